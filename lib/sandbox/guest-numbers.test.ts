import { afterEach, describe, expect, it } from 'vitest';
import { OpStream, ScriptSandbox } from './script-sandbox';
import { compileDraft as compile, TEST_LIMITS as limits } from './testing-batches';

// Numbers in guest memory (decision 0019, addendum 2): a fast program's input that only fast programs
// read (a direct index) gets the numbers of a batch's first step written by the host straight into
// the guest's N, with no op; later steps, non-numbers and every other input still go by ops.

const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

function load(box: ScriptSandbox, draft: Parameters<typeof compile>[0], fast: boolean): number {
  const program = compile(draft);
  expect(program.fast).toBe(fast);
  const result = box.load(program, { now: 0 });
  if (!result.ok) throw new Error('load failed');
  return result.slot;
}

const outputs = (box: ScriptSandbox, stream: OpStream) =>
  box.runOps(stream).records.map((record) => [record.ordinal, box.tagAt(record.index), record.value, record.quality]);

describe('numbers written into guest memory', () => {
  it('a direct input follows every step of a batch: never seen, numbers hoisted, a string between numbers, later steps, the runner path', async () => {
    const box = await ScriptSandbox.create(limits);
    sandboxes.push(box);
    const f = load(box, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = typeof a === "number" ? a * 2 : a === undefined ? -1 : -2;', outputs: [{ tag: 'Y', variable: 'y' }] }, true);
    const g = load(box, { inputs: [{ tag: 'B', alias: 'b' }], calcCode: 'const z = b + ctx.input("b").ts;', outputs: [{ tag: 'Z', variable: 'z' }] }, false);
    const A = box.indexOf('A');
    const B = box.indexOf('B');

    // Never seen: the body gets undefined, as before.
    let stream = new OpStream();
    stream.step(1, 1000);
    stream.run(f, false, 0, 1, true);
    expect(outputs(box, stream)).toEqual([[0, 'Y', -1, 'good']]);

    // First step: A hoisted into N, B (read by a runner with ctx) by its update op; then a string, then a number in later steps.
    stream = new OpStream();
    stream.markSlots = box.slotCount;
    stream.value(A, 21);
    stream.update(B, 5, 100, 'good', 2);
    stream.step(2, 2000);
    stream.run(f, false, 0, 1, true);
    stream.run(g, false, 0, 1);
    stream.update(A, 'text', 3000, 'good', 3);
    stream.step(3, 3000);
    stream.run(f, false, 0, 1, true);
    stream.value(A, 7);
    stream.step(4, 4000);
    stream.run(f, false, 0, 1, true);
    expect(outputs(box, stream)).toEqual([
      [0, 'Y', 42, 'good'],
      [1, 'Z', 105, 'good'],
      [2, 'Y', -2, 'good'],
      [3, 'Y', 14, 'good'],
    ]);

    // Hoisted again, then the runner path (unknown quality) in a later step reads the same numbers.
    stream = new OpStream();
    stream.value(A, 3);
    stream.step(5, 5000);
    stream.run(f, false, -1, 1);
    stream.value(A, 4);
    stream.step(6, 6000);
    stream.run(f, false, 0, 1);
    stream.run(f, false, -1, 1);
    expect(outputs(box, stream)).toEqual([
      [0, 'Y', 6, 'good'],
      [1, 'Y', 8, 'good'],
    ]);

    // A hoisted number, then a script whose runner reads A is loaded: A is no longer direct and the
    // new reader sees A's latest number.
    stream = new OpStream();
    stream.value(A, 10);
    stream.step(7, 7000);
    stream.run(f, false, 0, 1);
    expect(outputs(box, stream)).toEqual([[0, 'Y', 20, 'good']]);
    const h = load(box, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const w = a + 0.5;\nconst t = ctx.now;', outputs: [{ tag: 'W', variable: 'w' }, { tag: 'T', variable: 't' }] }, false);
    stream = new OpStream();
    stream.step(8, 8000);
    stream.run(h, false, -1, 2);
    stream.run(f, false, 0, 1);
    expect(outputs(box, stream)).toEqual([
      [0, 'W', 10.5, 'good'],
      [0, 'T', 8000, 'good'],
    ]);
    stream = new OpStream();
    stream.value(A, 1);
    stream.step(9, 9000);
    stream.run(h, false, -1, 2);
    stream.run(f, false, 0, 1);
    expect(outputs(box, stream)).toEqual([
      [0, 'W', 1.5, 'good'],
      [0, 'T', 9000, 'good'],
      [1, 'Y', 2, 'good'],
    ]);
  });

  it('a NaN for a direct input reaches the body as NaN (N holds no number then), and the next number replaces it', async () => {
    const box = await ScriptSandbox.create(limits);
    sandboxes.push(box);
    const f = load(box, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = Number.isNaN(a) ? -3 : a;', outputs: [{ tag: 'Y', variable: 'y' }] }, true);
    const A = box.indexOf('A');
    for (const [value, expected] of [[5, 5], [Number.NaN, -3], [6, 6]] as const) {
      const stream = new OpStream();
      stream.value(A, value);
      stream.step(1, 1000);
      stream.run(f, false, 0, 1);
      expect(box.runOps(stream).records.map((record) => record.value)).toEqual([expected]);
    }
  });
});
