import { afterEach, describe, expect, it } from 'vitest';
import { compileScript } from '../compiler/compile-script';
import type { RunnableDraft } from '../model/script-schema';
import { eachRecord, ScriptSandbox, type OpsResult } from './script-sandbox';
import { twoInputBatch as batch } from './testing-batches';

// The copy-back's raw path (runOps with `raw`, read with eachRecord): what the engine publishes from
// must be exactly what the decoded records say — numbers, strings, null, booleans, failed runs —
// and a batch that does not run whole in one call falls back to records.

const limits = { cpuMs: 30, initCpuMs: 200, memoryMb: 32 };
const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

const BODIES = [
  'const y = a * 2 + b;',
  'const y = a > 50 ? "high" : a > 10 ? a > 40 : null;',
  'if (a > 90) throw new RangeError("too big");\nconst y = a - b;',
  'const y = a > 95 ? a / (b - b) : a > 80 ? true : a + b;',
  'if (a === 77) { while (true) {} }\nconst y = a;',
];

async function loaded() {
  const box = await ScriptSandbox.create(limits);
  sandboxes.push(box);
  const slots = BODIES.map((calcCode, i) => {
    const result = compileScript({ name: 'test', inputs: [{ tag: `S${i}.A`, alias: 'a' }, { tag: `S${i}.B`, alias: 'b' }], calcCode, outputs: [{ tag: `S${i}.Y`, variable: 'y' }] } as RunnableDraft);
    if (!result.program) throw new Error(JSON.stringify(result.diagnostics));
    const loadedScript = box.load(result.program, { now: 0 });
    if (!loadedScript.ok) throw new Error('load failed');
    return loadedScript.slot;
  });
  return { box, slots };
}

function visited(outcome: OpsResult) {
  const seen: unknown[] = [];
  eachRecord(outcome, (ordinal, index, value, quality, reason) => seen.push(reason === undefined ? { ordinal, index, value, quality } : { ordinal, index, value, quality, reason }));
  return seen;
}

describe('the copy-back (raw out buffer)', () => {
  it('eachRecord over the raw buffer visits exactly the records the decoded path gives, round after round, fast and general runs', async () => {
    const raw = await loaded();
    const decoded = await loaded();
    let seed = 11;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const kinds = new Set<string>();
    for (let round = 1; round <= 40; round++) {
      // Script 1 goes through null, false, a string and true; script 4 never reaches its endless loop.
      const values = raw.slots.map((_, i) => [i === 1 ? [5, 20, 60, 45][round % 4] : i === 4 ? 1 + round : Math.floor(1 + next() * 99), Math.floor(1 + next() * 99)] as const);
      const quality = round % 2 === 0 ? 0 : -1;
      const a = raw.box.runOps(batch(raw.box, raw.slots, values, round, quality), undefined, undefined, true);
      const b = decoded.box.runOps(batch(decoded.box, decoded.slots, values, round, quality));
      expect(a.raw).toBeDefined();
      expect(a.records).toEqual([]);
      expect(b.raw).toBeUndefined();
      expect(visited(a)).toEqual(b.records);
      expect(a.failures.map((f) => [f.ordinal, f.error.message])).toEqual(b.failures.map((f) => [f.ordinal, f.error.message]));
      for (const record of b.records) kinds.add(record.reason ?? (record.value === null ? 'null' : typeof record.value));
    }
    // The rounds covered every kind of value the buffer carries.
    expect([...kinds].sort()).toEqual(['boolean', 'error', 'null', 'number', 'string']);
  });

  it('a batch stopped at a deadline is not raw: its records are decoded as before, the timed-out run failed', async () => {
    const { box, slots } = await loaded();
    const values: Array<[number, number]> = [[1, 2], [60, 1], [3, 4], [5, 6], [77, 1]];
    const outcome = box.runOps(batch(box, slots, values, 1, 0), undefined, undefined, true);
    expect(outcome.raw).toBeUndefined();
    expect(outcome.failures.map((f) => f.ordinal)).toEqual([4]);
    expect(visited(outcome)).toEqual(outcome.records);
    expect(outcome.records.map((r) => [r.ordinal, r.value])).toEqual([
      [0, 4],
      [1, 'high'],
      [2, -1],
      [3, 11],
      [4, null],
    ]);
  });
});
