import { afterEach, describe, expect, it } from 'vitest';
import { OpStream, ScriptSandbox } from './script-sandbox';
import { compileDraft as compile, TEST_LIMITS as limits, twoInputBatch as batch } from './testing-batches';

// The fast path (step-code.ts): runs of fast programs, unconditional with a known quality, are run by
// the sandbox's generated step code instead of their runners. Quality -1 sends the same run through
// the runner (the general path), so both paths can be compared on the same scripts.

const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

const BODIES = [
  { initCode: '', calcCode: 'const y = a * 2 + b;' },
  { initCode: 'let f = null;', calcCode: 'const s = a - b;\nf = f === null ? s : f + 0.5 * (s - f);\nconst y = Math.round(f * 100) / 100;' },
  { initCode: '', calcCode: 'const y = a > 50 ? "high" : a > 10 ? Math.sqrt(a) : null;' },
  { initCode: 'let n = 0;', calcCode: 'n++;\nif (a > 90) throw new RangeError("too big: " + a);\nconst y = n % 3 === 0 ? a / (b - b) : a + n;' },
  { initCode: '', calcCode: 'const y = Math.max(a, b) - Math.min(a, b);' },
];

async function loaded(count: number) {
  const box = await ScriptSandbox.create(limits);
  sandboxes.push(box);
  const slots: number[] = [];
  for (let i = 0; i < count; i++) {
    const body = BODIES[i % BODIES.length];
    const program = compile({
      inputs: [{ tag: `S${i}.A`, alias: 'a' }, { tag: `S${i}.B`, alias: 'b' }],
      ...(body.initCode ? { initCode: body.initCode } : {}),
      calcCode: body.calcCode,
      outputs: [{ tag: `S${i}.Y`, variable: 'y' }],
    });
    expect(program.fast).toBe(true);
    const result = box.load(program, { now: 0 });
    if (!result.ok) throw new Error('load failed');
    slots.push(result.slot);
  }
  return { box, slots };
}

// Each case runs with the runs marked by the guest's op loop and by the host (a marks op and its
// block, wire.ts Op.Marks: what the engine's batches carry).
describe.each([
  ['marked by the guest', false],
  ['marked by the host', true],
])('the step code (fast path), runs %s', (_, hostMarks) => {
  it('publishes what the runners publish: same records, same failures, same order, round after round', async () => {
    const fast = await loaded(10);
    const general = await loaded(10);
    let seed = 7;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let round = 1; round <= 30; round++) {
      const values = fast.slots.map(() => [Math.floor(1 + next() * 99), Math.floor(1 + next() * 99)] as const);
      const a = fast.box.runOps(batch(fast.box, fast.slots, values, round, 0, hostMarks));
      const b = general.box.runOps(batch(general.box, general.slots, values, round, -1, hostMarks));
      expect(a.records).toEqual(b.records);
      expect(a.failures.map((f) => [f.ordinal, f.slot, f.error.message, f.error.line])).toEqual(b.failures.map((f) => [f.ordinal, f.slot, f.error.message, f.error.line]));
    }
  });

  it('a run that throws fails alone, named by its ordinal and line; the runs after it in the step still run', async () => {
    const { box, slots } = await loaded(5);
    const values: Array<[number, number]> = [[1, 2], [3, 4], [5, 6], [95, 1], [7, 9]];
    const outcome = box.runOps(batch(box, slots, values, 1, 0, hostMarks));
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ ordinal: 3, slot: slots[3] });
    expect(outcome.failures[0].error.message).toMatch(/too big: 95/);
    expect(outcome.failures[0].error.line).toBe(2);
    expect(outcome.records.map((r) => [r.ordinal, r.value, r.quality])).toEqual([
      [0, 4, 'good'],
      [1, -1, 'good'],
      [2, null, 'good'],
      [3, null, 'bad'],
      [4, 2, 'good'],
    ]);
  });

  it('an output that is not a number is published as the runner would: a string, null; NaN fails the run with its line', async () => {
    const { box, slots } = await loaded(4);
    const first = box.runOps(batch(box, slots, [[1, 1], [1, 1], [60, 1], [1, 1]], 1, 0, hostMarks));
    expect(first.records.find((r) => r.ordinal === 2)).toMatchObject({ value: 'high', quality: 'good' });
    box.runOps(batch(box, slots, [[1, 1], [1, 1], [20, 1], [1, 1]], 2, 0, hostMarks));
    const third = box.runOps(batch(box, slots, [[1, 1], [1, 1], [5, 1], [1, 1]], 3, 0, hostMarks));
    expect(third.records.find((r) => r.ordinal === 2)).toMatchObject({ value: null, quality: 'good' });
    // Script 3's third run divides by zero.
    expect(third.failures).toHaveLength(1);
    expect(third.failures[0].ordinal).toBe(3);
    expect(third.failures[0].error.kind).toBe('output');
    expect(third.failures[0].error.line).toBe(3);
    expect(third.records.find((r) => r.ordinal === 3)).toMatchObject({ value: null, quality: 'bad', reason: 'error' });
  });

  it('a run stopped at its deadline is the one named; the runs after it run once, and the next batch is whole', async () => {
    const box = await ScriptSandbox.create({ ...limits, cpuMs: 30 });
    sandboxes.push(box);
    const slots: number[] = [];
    const codes = ['const y = a + 1;', 'let x = 0;\nwhile (a > 5) { x++; }\nconst y = x;', 'let runs = 0;', 'const y = b * 3;'];
    codes.forEach((calcCode, i) => {
      const program = compile({
        inputs: [{ tag: `S${i}.A`, alias: 'a' }, { tag: `S${i}.B`, alias: 'b' }],
        ...(i === 2 ? { initCode: calcCode } : {}),
        calcCode: i === 2 ? 'runs++;\nconst y = runs;' : calcCode,
        outputs: [{ tag: `S${i}.Y`, variable: 'y' }],
      });
      expect(program.fast).toBe(true);
      const result = box.load(program, { now: 0 });
      if (!result.ok) throw new Error('load failed');
      slots.push(result.slot);
    });
    const outcome = box.runOps(batch(box, slots, [[1, 1], [9, 1], [1, 1], [1, 2]], 1, 0, hostMarks));
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ ordinal: 1, slot: slots[1] });
    expect(outcome.failures[0].error.kind).toBe('timeout');
    const byOrdinal = Object.fromEntries(outcome.records.map((r) => [r.ordinal, [r.value, r.quality]]));
    expect(byOrdinal).toEqual({ 0: [2, 'good'], 1: [null, 'bad'], 2: [1, 'good'], 3: [6, 'good'] });
    const next = box.runOps(batch(box, slots, [[2, 1], [1, 1], [1, 1], [1, 3]], 2, 0, hostMarks));
    expect(next.failures).toEqual([]);
    expect(next.records.map((r) => [r.ordinal, r.value])).toEqual([
      [0, 3],
      [1, 0],
      [2, 2],
      [3, 9],
    ]);
  });

  it('a fast output read by another script of the sandbox carries its step: the conditional reader runs in the same step, with its timestamp', async () => {
    const box = await ScriptSandbox.create(limits);
    sandboxes.push(box);
    const first = compile({ inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a * 10;', outputs: [{ tag: 'X', variable: 'y' }] });
    const reader = compile({ inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x + 1;\nconst t = ctx.input("x").ts;', outputs: [{ tag: 'Z', variable: 'y' }, { tag: 'T', variable: 't' }] });
    expect(first.fast).toBe(true);
    expect(reader.fast).toBe(false);
    const a = box.load(first, { now: 0 });
    const b = box.load(reader, { now: 0 });
    if (!a.ok || !b.ok) throw new Error('load failed');
    for (const [step, value] of [[1, 2], [2, 2], [3, 5]]) {
      const stream = new OpStream();
      if (hostMarks) stream.markSlots = box.slotCount;
      stream.value(box.indexOf('A'), value);
      stream.step(step, 1000 * step);
      stream.run(a.slot, false, 0, 1, hostMarks);
      stream.run(b.slot, true, -1, 2, hostMarks);
      const outcome = box.runOps(stream);
      expect(outcome.failures).toEqual([]);
      const published = outcome.records.map((r) => [r.ordinal, box.tagAt(r.index), r.value]);
      if (step === 2) expect(published).toEqual([]);
      else expect(published).toEqual([[0, 'X', value * 10], [1, 'Z', value * 10 + 1], [1, 'T', 1000 * step]]);
    }
  });

  it('follows the scripts of the sandbox: a slot unloaded and reused by another script runs the new one, fast or not', async () => {
    const box = await ScriptSandbox.create(limits);
    sandboxes.push(box);
    const inputs = [{ tag: 'A', alias: 'a' }];
    const first = box.load(compile({ inputs, calcCode: 'const y = a + 1;', outputs: [{ tag: 'Y', variable: 'y' }] }), { now: 0 });
    if (!first.ok) throw new Error('load failed');
    const once = (step: number, value: number, slot: number, outputs = 1) => {
      const stream = new OpStream();
      if (hostMarks) stream.markSlots = box.slotCount;
      stream.value(box.indexOf('A'), value);
      stream.step(step, 1000 * step);
      stream.run(slot, false, 0, outputs, hostMarks && outputs === 1);
      return box.runOps(stream).records.map((r) => [box.tagAt(r.index), r.value]);
    };
    expect(once(1, 1, first.slot)).toEqual([['Y', 2]]);
    box.unload(first.slot);
    const fast = box.load(compile({ inputs, calcCode: 'const y = a * 100;', outputs: [{ tag: 'Y', variable: 'y' }] }), { now: 0 });
    if (!fast.ok) throw new Error('load failed');
    expect(fast.slot).toBe(first.slot);
    expect(once(2, 2, fast.slot)).toEqual([['Y', 200]]);
    box.unload(fast.slot);
    const general = compile({ inputs, calcCode: 'const y = a - 1;\nconst z = a;', outputs: [{ tag: 'Y', variable: 'y' }, { tag: 'Z', variable: 'z' }] });
    expect(general.fast).toBe(false);
    const other = box.load(general, { now: 0 });
    if (!other.ok) throw new Error('load failed');
    expect(other.slot).toBe(first.slot);
    expect(once(3, 3, other.slot, 2)).toEqual([['Y', 2], ['Z', 3]]);
  });

  it('in careful mode (one run per call, each announced) publishes what one call publishes', async () => {
    const whole = await loaded(6);
    const careful = await loaded(6);
    for (let round = 1; round <= 4; round++) {
      const values = whole.slots.map((_, i) => [round * 7 + i, i + 1] as const);
      const announced: number[] = [];
      const a = whole.box.runOps(batch(whole.box, whole.slots, values, round, 0, hostMarks));
      const b = careful.box.runOps(batch(careful.box, careful.slots, values, round, 0, hostMarks), 50, (slot) => announced.push(slot));
      expect(b.records).toEqual(a.records);
      expect(b.failures.map((f) => [f.ordinal, f.slot])).toEqual(a.failures.map((f) => [f.ordinal, f.slot]));
      expect(announced).toEqual([...careful.slots, -1]);
    }
  });
});

describe('the host marks (wire.ts Op.Marks)', () => {
  it('marks only unconditional fast runs of a known quality below markSlots, in increasing slots, and decodes as the runs alone', async () => {
    const { box, slots } = await loaded(4);
    const stream = new OpStream();
    stream.markSlots = box.slotCount;
    stream.step(1, 1000);
    const plain = new OpStream();
    plain.step(1, 1000);
    const runs: Array<[number, boolean, number, boolean]> = [
      [slots[0], false, 0, true],
      [slots[2], false, 0, true],
      [slots[1], false, 0, true], // a lower slot: a new block
      [slots[3], true, -1, true], // conditional: not marked
      [slots[3], false, 0, false], // not fast: not marked
    ];
    for (const [slot, conditional, quality, fast] of runs) {
      expect(stream.run(slot, conditional, quality, 1, fast)).toBe(plain.run(slot, conditional, quality, 1));
    }
    // Two marks ops, each with ceil(4 / 3) = 2 fill ops.
    expect(stream.count).toBe(plain.count + 2 * 3);
    expect(stream.decode(0, (index) => box.tagAt(index))).toEqual(plain.decode(0, (index) => box.tagAt(index)));
    expect(stream.runCount).toBe(5);
  });
});
