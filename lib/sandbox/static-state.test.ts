import { afterEach, describe, expect, it } from 'vitest';
import { compileScript } from '../compiler/compile-script';
import type { RunnableDraft } from '../model/script-schema';
import { ScriptSandbox, type EvaluationJob } from './script-sandbox';

/** Scale-out: a script's static variables leave one engine as JSON and continue in another. */

const limits = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const sandboxes: ScriptSandbox[] = [];
afterEach(() => {
  sandboxes.splice(0).forEach((sandbox) => sandbox.dispose());
});

async function sandbox() {
  const created = await ScriptSandbox.create(limits);
  sandboxes.push(created);
  return created;
}

function compile(draft: Partial<RunnableDraft> & Pick<RunnableDraft, 'calcCode' | 'outputs'>) {
  const result = compileScript({ inputs: [{ tag: 'A', alias: 'a' }], ...draft } as RunnableDraft);
  if (!result.program) throw new Error(JSON.stringify(result.diagnostics));
  return result.program;
}

const job = (slot: number, value: number): EvaluationJob => ({ slot, now: 1000, inputs: [{ value, ts: 1000, quality: 'good' }] });

describe('static state (dumpState / loadState)', () => {
  it('carries let, var and const (filled in place) variables to another sandbox, which continues from them', async () => {
    const program = compile({
      initCode: 'let count = 0;\nvar last;\nconst window = [];\nconst totals = { sum: 0 };\nfunction add(x) { return x + 1; }',
      calcCode: 'count = add(count);\nlast = a;\nwindow.push(a);\ntotals.sum += a;\nconst out = count * 1000 + totals.sum;',
      outputs: [{ tag: 'OUT', variable: 'out' }],
    });
    const first = await sandbox();
    const a = first.load(program, { now: 0 });
    if (!a.ok) throw new Error('load failed');
    expect(first.dumpState(a.slot)).toEqual({ ok: true, vars: { count: 0, window: [], totals: { sum: 0 } }, undef: ['last'] });
    first.evaluate([job(a.slot, 5)]);
    first.evaluate([job(a.slot, 7)]);
    const saved = first.dumpState(a.slot);
    expect(saved).toEqual({ ok: true, vars: { count: 2, last: 7, window: [5, 7], totals: { sum: 12 } }, undef: [] });
    if (!saved.ok) return;

    const second = await sandbox();
    const b = second.load(program, { now: 0 });
    if (!b.ok) throw new Error('load failed');
    expect(second.loadState(b.slot, JSON.parse(JSON.stringify(saved)))).toBe(true);
    const result = second.evaluate([job(b.slot, 1)]).results[0];
    // count 3, sum 13: continued, not restarted from initCode.
    expect(result).toEqual({ status: 'ok', outputs: [{ index: 0, value: 3013, quality: 'good' }] });
    expect(second.dumpState(b.slot)).toEqual({ ok: true, vars: { count: 3, last: 1, window: [5, 7, 1], totals: { sum: 13 } }, undef: [] });
  });

  it('says which variable does not serialise as JSON, and why', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['const seen = new Map();', 'seen', /a Map/],
      ['let started = new Date(0);', 'started', /a Date/],
      ['let x = NaN;', 'x', /NaN/],
      ['let loop = {}; loop.self = loop;', 'loop', /refers to itself/],
      ['let f = [function () {}];', 'f', /function/],
      ['let g = { get v() { return 1; } };', 'g', /getter/],
    ];
    const box = await sandbox();
    for (const [initCode, variable, why] of cases) {
      const loaded = box.load(compile({ initCode, calcCode: 'const y = a;', outputs: [{ tag: 'Y', variable: 'y' }] }), { now: 0 });
      if (!loaded.ok) throw new Error(`load failed: ${initCode}`);
      const state = box.dumpState(loaded.slot);
      expect(state.ok, initCode).toBe(false);
      if (state.ok) continue;
      expect(state.variable).toBe(variable);
      expect(state.why).toMatch(why);
    }
  });
});
