import { afterAll, describe, expect, it } from 'vitest';
import { inProcessLab } from '../lab-host/in-process-lab';
import type { AppError } from '../model/errors';
import type { RunnableDraft } from '../model/script-schema';
import { isoTime, type TagState } from '../model/tag-value';
import { TagCatalog } from '../tags/tag-catalog';
import { calculateScript } from './calculate-script';
import { closeDebugSession } from './close-debug-session';
import type { EditorRunPorts } from './editor-run-ports';
import { openDebugSession } from './open-debug-session';
import { runDebugSession } from './run-debug-session';
import { validateScript } from './validate-script';

/**
 * Calculate as the plant would run it: overrides with quality and time, null values passed as null,
 * never-seen inputs reported as the engine would treat them, state kept between runs (debug session).
 */

const lab = inProcessLab({ cpuMs: 50, initCpuMs: 200, memoryMb: 32 });
afterAll(() => lab.close());

const T = Date.parse('2026-11-27T10:00:00.000Z');

function services(values: Array<Omit<TagState, 'source'>> = []): Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'> {
  const catalog = new TagCatalog();
  for (const value of values) catalog.apply(value, 'raw');
  return { lab, catalog, store: null as never };
}

const branching: RunnableDraft = {
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  calcCode: 'const mode = isGood("steam") ? "measured" : "fallback";\nconst age = ctx.now - ctx.input("steam").ts;\nconst eff = fuel > 0 ? steam / fuel : null;',
  outputs: [
    { tag: 'CALC.MODE', variable: 'mode' },
    { tag: 'CALC.AGE', variable: 'age' },
    { tag: 'CALC.EFF', variable: 'eff' },
  ],
};

const live = [
  { tag: 'FT-101.PV', value: 12, ts: T, quality: 'good' as const },
  { tag: 'FT-102.PV', value: 4, ts: T, quality: 'good' as const },
];

describe('calculate with input overrides', () => {
  it('a bare value is good and current, as before', async () => {
    const result = await calculateScript(services(live), { script: branching, inputs: { fuel: 3 } });
    expect(result.inputs['FT-102.PV']).toMatchObject({ alias: 'fuel', value: 3, quality: 'good' });
    expect(result.outputs['CALC.EFF']).toEqual({ value: 4, quality: 'good' });
    expect(result.outputs['CALC.MODE'].value).toBe('measured');
    expect(result.warnings).toEqual([]);
    expect(result.engineWouldRun).toBe(true);
  });

  it('an object sets quality: isGood() takes the other branch and outputs carry the worst input quality', async () => {
    const uncertain = await calculateScript(services(live), { script: branching, inputs: { steam: { value: 12, quality: 'uncertain' } } });
    expect(uncertain.inputs['FT-101.PV']).toMatchObject({ value: 12, quality: 'uncertain' });
    expect(uncertain.outputs['CALC.MODE']).toEqual({ value: 'fallback', quality: 'uncertain' });
    expect(uncertain.outputs['CALC.EFF']).toEqual({ value: 3, quality: 'uncertain' });

    const bad = await calculateScript(services(live), { script: branching, inputs: { steam: { value: 12, quality: 'bad' }, fuel: { value: 4, quality: 'uncertain' } } });
    expect(bad.outputs['CALC.EFF'].quality).toBe('bad');
  });

  it('ctx.setQuality still wins over the inputs’ quality', async () => {
    const draft: RunnableDraft = { ...branching, calcCode: `${branching.calcCode}\nctx.setQuality("eff", "good");` };
    const result = await calculateScript(services(live), { script: draft, inputs: { steam: { value: 12, quality: 'bad' } } });
    expect(result.outputs['CALC.EFF'].quality).toBe('good');
    expect(result.outputs['CALC.MODE'].quality).toBe('bad');
  });

  it('an object sets the value’s time (ISO or epoch ms), which ctx.input().ts and the result show', async () => {
    const tenMinutesAgo = Date.now() - 600_000;
    const iso = await calculateScript(services(live), { script: branching, inputs: { steam: { value: 12, ts: isoTime(tenMinutesAgo) } } });
    expect(iso.inputs['FT-101.PV'].ts).toBe(isoTime(tenMinutesAgo));
    expect(iso.outputs['CALC.AGE'].value).toBeGreaterThanOrEqual(600_000);
    expect(iso.outputs['CALC.AGE'].value).toBeLessThan(660_000);
    const epoch = await calculateScript(services(live), { script: branching, inputs: { steam: { value: 12, ts: tenMinutesAgo, quality: 'good' } } });
    expect(epoch.inputs['FT-101.PV'].ts).toBe(isoTime(tenMinutesAgo));
  });

  it('refuses a time that is not one, naming the input and the fix', async () => {
    const error = (await calculateScript(services(live), { script: branching, inputs: { steam: { value: 1, ts: 'yesterday' } } }).catch((e) => e)) as AppError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(/^inputs\.steam\.ts: .*'yesterday'.*ISO 8601/);
  });

  it('refuses an alias the script does not have', async () => {
    const error = (await calculateScript(services(live), { script: branching, inputs: { stem: { value: 1 } } }).catch((e) => e)) as AppError;
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toContain("'stem' is not an input alias");
  });
});

describe('calculate with null and never-seen inputs', () => {
  const nullCheck: RunnableDraft = {
    inputs: [
      { tag: 'A', alias: 'a' },
      { tag: 'B', alias: 'b' },
    ],
    calcCode: 'const kind = b === null ? "null" : typeof b;\nconst total = a + b;',
    outputs: [
      { tag: 'KIND', variable: 'kind' },
      { tag: 'TOTAL', variable: 'total' },
    ],
  };
  const a = { tag: 'A', value: 5, ts: T, quality: 'good' as const };

  it('a null override reaches the script as null (not 0), with a warning; the engine would run', async () => {
    const result = await calculateScript(services([a, { tag: 'B', value: 7, ts: T, quality: 'good' }]), { script: nullCheck, inputs: { b: null } });
    expect(result.outputs.KIND.value).toBe('null');
    expect(result.inputs.B).toMatchObject({ value: null, quality: 'good' });
    expect(result.engineWouldRun).toBe(true);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatchObject({ severity: 'warning', message: expect.stringContaining("input 'b' (B) is null in this run") });
    const object = await calculateScript(services([a]), { script: nullCheck, inputs: { b: { value: null, quality: 'bad' } } });
    expect(object.outputs.KIND).toEqual({ value: 'null', quality: 'bad' });
  });

  it('an input never seen runs with null, says the engine would wait for it, and that it would not run', async () => {
    const result = await calculateScript(services([a]), { script: nullCheck });
    expect(result.outputs.KIND.value).toBe('null');
    expect(result.inputs.B).toEqual({ alias: 'b', value: null, ts: null, quality: 'bad' });
    expect(result.engineWouldRun).toBe(false);
    expect(result.warnings.map((w) => w.message)).toEqual([expect.stringContaining('the engine will wait until B has a value and would not run the script now')]);
  });

  it('warns about an output that would be published as null, naming it and its variable', async () => {
    const result = await calculateScript(services(live), { script: branching, inputs: { fuel: 0 } });
    expect(result.outputs['CALC.EFF'].value).toBeNull();
    expect(result.warnings).toEqual([expect.objectContaining({ kind: 'output', message: "output CALC.EFF would be published as null: variable 'eff' is null after the calculation" })]);
  });

  it('validate lists the same warnings among its diagnostics, once', async () => {
    const answer = await validateScript(services([a]), { script: nullCheck });
    expect(answer.ok).toBe(true);
    expect(answer.diagnostics.filter((d) => d.message.includes('never had a value'))).toHaveLength(1);
    expect(answer.result?.engineWouldRun).toBe(false);
  });

  it('an invalid output fails the run with the output named', async () => {
    const draft: RunnableDraft = { ...nullCheck, calcCode: 'const kind = "x";\nconst total = a / 0;' };
    const result = await calculateScript(services([a, { tag: 'B', value: 1, ts: T, quality: 'good' }]), { script: draft });
    expect(result.error).toMatchObject({ kind: 'output', message: expect.stringContaining('TOTAL') });
    expect(result.warnings).toEqual([]);
  });
});

describe('calculate keeping state (a debug session)', () => {
  const counter: RunnableDraft = {
    inputs: [{ tag: 'A', alias: 'a' }],
    initCode: 'let runs = 0;\nlet total = 0;',
    calcCode: 'runs++;\ntotal += a;',
    outputs: [{ tag: 'RUNS', variable: 'runs' }],
  };
  const a = { tag: 'A', value: 2, ts: T, quality: 'good' as const };

  it('state carries over from run to run, overrides with quality apply, and reset runs initCode again', async () => {
    const ports = services([a]);
    const first = await openDebugSession(ports, counter);
    const run1 = await runDebugSession(ports, first.id, undefined);
    const run2 = await runDebugSession(ports, first.id, { a: { value: 10, quality: 'uncertain' } });
    expect(run1.staticVars).toEqual({ runs: 1, total: 2 });
    expect(run2.staticVars).toEqual({ runs: 2, total: 12 });
    expect(run2.outputs.RUNS).toEqual({ value: 2, quality: 'uncertain' });

    await closeDebugSession(ports, first.id);
    const reset = await openDebugSession(ports, counter);
    const run3 = await runDebugSession(ports, reset.id, undefined);
    expect(run3.staticVars).toEqual({ runs: 1, total: 2 });
    await closeDebugSession(ports, reset.id);
  });

  it('a plain calculate never keeps state', async () => {
    const ports = services([a]);
    const once = await calculateScript(ports, { script: counter });
    const again = await calculateScript(ports, { script: counter });
    expect(once.staticVars).toEqual({ runs: 1, total: 2 });
    expect(again.staticVars).toEqual({ runs: 1, total: 2 });
  });
});

describe('calculate with a stale input (an input declaring staleAfterMs)', () => {
  // staleAfterMs is read where the script definition carries it (scripts.md); a draft here is built by hand.
  const staleDraft = {
    ...branching,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam', staleAfterMs: 60_000 }, branching.inputs[1]],
  } as RunnableDraft;

  it('an override older than staleAfterMs makes isGood() false, quality uncertain, and says so', async () => {
    const old = await calculateScript(services(live), { script: staleDraft, inputs: { steam: { value: 12, ts: Date.now() - 120_000 } } });
    expect(old.inputs['FT-101.PV'].quality).toBe('uncertain');
    expect(old.outputs['CALC.MODE']).toEqual({ value: 'fallback', quality: 'uncertain' });
    expect(old.warnings.map((w) => w.message)).toEqual([expect.stringContaining("input 'steam' (FT-101.PV) is stale in this run")]);
    const fresh = await calculateScript(services(live), { script: staleDraft, inputs: { steam: { value: 12, ts: Date.now() - 1_000 } } });
    expect(fresh.outputs['CALC.MODE']).toEqual({ value: 'measured', quality: 'good' });
    expect(fresh.warnings).toEqual([]);
  });
});
