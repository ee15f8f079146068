import { afterAll, describe, expect, it } from 'vitest';
import { inProcessLab } from '../lab-host/in-process-lab';
import { RunnableDraftSchema, ScriptDraftSchema, formatIssues, type RunnableDraft } from '../model/script-schema';
import { findMismatches, MAX_TEST_STEPS, MAX_TESTS, type ScriptTest } from '../model/script-tests';
import { runScriptTests } from './run-script-tests';
import { resolveTestSteps, TEST_STEP_INTERVAL_MS } from './test-steps';

/**
 * Regression tests run with the lab's evaluation (the engine's compiler and sandbox): a fresh
 * initialisation per test, state carried across steps, expectations with approx and quality.
 */

const lab = inProcessLab({ cpuMs: 50, initCpuMs: 200, memoryMb: 32 });
afterAll(() => lab.close());
const services = { lab };
const T = Date.parse('2026-11-27T10:00:00.000Z');

const counter: RunnableDraft = {
  name: 'counter',
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;\nlet total = 0;',
  calcCode: 'runs++;\ntotal += steam;\nconst eff = steam / fuel;\nconst at = ctx.now;',
  outputs: [
    { tag: 'CALC.RUNS', variable: 'runs' },
    { tag: 'CALC.TOTAL', variable: 'total' },
    { tag: 'CALC.EFF', variable: 'eff' },
    { tag: 'CALC.AT', variable: 'at' },
  ],
};

const withTests = (tests: ScriptTest[], draft: RunnableDraft = counter): RunnableDraft => ({ ...draft, tests });

describe('running regression tests', () => {
  it('carries state from step to step and starts every test from a fresh initialisation', async () => {
    const three: ScriptTest = {
      name: 'three steps',
      steps: [{ inputs: { steam: 10, fuel: 4 } }, { inputs: { steam: 20 } }, { inputs: { steam: 30 } }],
      expect: { 'CALC.RUNS': 3, 'CALC.TOTAL': 60, 'CALC.EFF': 7.5 },
    };
    const report = await runScriptTests(services, withTests([three, { ...three, name: 'again' }]), T);
    expect(report).toMatchObject({ passed: 2, failed: 0 });
    // The second test saw runs = 3, not 6: its own initialisation.
    expect(report.results[1].outputs['CALC.RUNS']).toEqual({ value: 3, quality: 'good' });
    expect(report.results[1].mismatches).toEqual([]);
    expect(report.results[0].outputs['CALC.AT']).toEqual({ value: T + 2 * TEST_STEP_INTERVAL_MS, quality: 'good' });
  });

  it('reports each mismatch with what was expected and what came out; approx is an absolute tolerance', async () => {
    const report = await runScriptTests(
      services,
      withTests([
        { name: 'close enough', steps: [{ inputs: { steam: 1, fuel: 3 } }], expect: { 'CALC.EFF': { value: 0.33, approx: 0.01 } } },
        { name: 'too far', steps: [{ inputs: { steam: 1, fuel: 3 } }], expect: { 'CALC.EFF': { value: 0.3, approx: 0.01 }, 'CALC.RUNS': 1 } },
        { name: 'exact', steps: [{ inputs: { steam: 1, fuel: 3 } }], expect: { 'CALC.EFF': 0.33 } },
      ]),
      T,
    );
    expect(report.results.map((result) => result.ok)).toEqual([true, false, false]);
    expect(report).toMatchObject({ passed: 1, failed: 2 });
    expect(report.results[1].mismatches).toEqual([{ tag: 'CALC.EFF', expected: { value: 0.3, approx: 0.01 }, actual: { value: 1 / 3, quality: 'good' } }]);
    expect(report.results[2].mismatches[0]).toMatchObject({ tag: 'CALC.EFF', expected: 0.33 });
  });

  it('passes the quality of inputs through the engine’s quality rules and checks the expected quality', async () => {
    const report = await runScriptTests(
      services,
      withTests([
        { name: 'uncertain', steps: [{ inputs: { steam: { value: 10, quality: 'uncertain' }, fuel: 5 } }], expect: { 'CALC.EFF': { value: 2, quality: 'uncertain' } } },
        { name: 'wrongly good', steps: [{ inputs: { steam: { value: 10, quality: 'bad' }, fuel: 5 } }], expect: { 'CALC.EFF': { quality: 'good' } } },
      ]),
      T,
    );
    expect(report.results[0]).toMatchObject({ ok: true, outputs: { 'CALC.EFF': { value: 2, quality: 'uncertain' } } });
    expect(report.results[1]).toMatchObject({ ok: false, mismatches: [{ tag: 'CALC.EFF', actual: { value: 2, quality: 'bad' } }] });
  });

  it('uses a step’s ts as ctx.now and as the input’s time', async () => {
    const ts = '2026-11-27T11:00:00.000Z';
    const draft: RunnableDraft = { ...counter, calcCode: 'runs++;\ntotal += steam;\nconst eff = ctx.input("steam").ts;\nconst at = ctx.now;' };
    const report = await runScriptTests(services, withTests([{ name: 'timed', steps: [{ inputs: { steam: { value: 1, ts }, fuel: 1 } }], expect: { 'CALC.AT': Date.parse(ts), 'CALC.EFF': Date.parse(ts) } }], draft), T);
    expect(report.results[0].mismatches).toEqual([]);
    expect(report.results[0].ok).toBe(true);
  });

  it('fails a test at the step that throws, with the diagnostic and the step number', async () => {
    const draft: RunnableDraft = { ...counter, calcCode: 'runs++;\ntotal += steam;\nif (runs === 2) throw new Error("second run");\nconst eff = 1;\nconst at = 1;' };
    const report = await runScriptTests(services, withTests([{ name: 'throws', steps: [{ inputs: { steam: 1, fuel: 1 } }, { inputs: { steam: 2 } }, { inputs: { steam: 3 } }], expect: {} }], draft), T);
    expect(report.results[0]).toMatchObject({ ok: false, step: 2, error: { source: 'calc', line: 3 } });
    expect(report.results[0].error?.message).toContain('second run');
  });

  it('explains a test that cannot run: unknown alias, input without a value, unknown output, a script that does not compile', async () => {
    const report = await runScriptTests(
      services,
      withTests([
        { name: 'typo', steps: [{ inputs: { steam: 1, fuel: 1 } }, { inputs: { stem: 2 } }], expect: {} },
        { name: 'no fuel', steps: [{ inputs: { steam: 1 } }], expect: {} },
        { name: 'no such output', steps: [{ inputs: { steam: 1, fuel: 1 } }], expect: { 'CALC.NOPE': 1 } },
      ]),
      T,
    );
    expect(report).toMatchObject({ passed: 0, failed: 3 });
    expect(report.results[0]).toMatchObject({ step: 2, error: { code: 'test-unknown-input' } });
    expect(report.results[0].error?.message).toBe("step 2: 'stem' is not an input alias of this script — rename it in the test or remove it");
    expect(report.results[1]).toMatchObject({ step: 1, error: { code: 'test-missing-input', params: { alias: 'fuel' } } });
    expect(report.results[2]).toMatchObject({ error: { code: 'test-unknown-output', params: { tag: 'CALC.NOPE' } } });

    const broken = await runScriptTests(services, withTests([{ name: 'x', steps: [{ inputs: { steam: 1, fuel: 1 } }], expect: {} }], { ...counter, calcCode: 'const eff = (;' }), T);
    expect(broken.results[0]).toMatchObject({ ok: false, error: { severity: 'error', kind: 'syntax' } });
  });

  it('answers an empty report for a script without tests', async () => {
    expect(await runScriptTests(services, counter, T)).toEqual({ passed: 0, failed: 0, results: [] });
  });
});

describe('test steps and expectations (rules)', () => {
  it('holds inputs not given from the step before and spaces untimed steps one second apart', () => {
    const resolved = resolveTestSteps(counter, { steps: [{ inputs: { steam: 1, fuel: 2 } }, { inputs: { fuel: 3 } }] }, T);
    expect(resolved).toEqual({
      ok: true,
      steps: [
        { now: T, inputs: [{ value: 1, quality: 'good', ts: T }, { value: 2, quality: 'good', ts: T }] },
        { now: T + 1000, inputs: [{ value: 1, quality: 'good', ts: T }, { value: 3, quality: 'good', ts: T + 1000 }] },
      ],
    });
  });

  it('compares bare values exactly, null included, and fails an output that was not computed', () => {
    expect(findMismatches({ A: null, B: 'on', C: true }, { A: { value: null, quality: 'good' }, B: { value: 'on', quality: 'bad' }, C: { value: true, quality: 'good' } })).toEqual([]);
    expect(findMismatches({ A: 1 }, { A: null })).toEqual([{ tag: 'A', expected: 1, actual: null }]);
    expect(findMismatches({ A: { value: 1, approx: 0.5 } }, { A: { value: 1.5, quality: 'good' } })).toEqual([]);
    expect(findMismatches({ A: { value: 1, approx: 0.5 } }, { A: { value: 1.51, quality: 'good' } })).toHaveLength(1);
  });
});

describe('tests in the ScriptDraft (limits and shapes, 400 with paths)', () => {
  const base = { name: 'limits', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a;', outputs: [{ tag: 'Y', variable: 'y' }] };
  const test = (name: string, steps = 1): ScriptTest => ({ name, steps: Array.from({ length: steps }, () => ({ inputs: { a: 1 } })), expect: { Y: 1 } });
  const problems = (tests: unknown) => {
    const parsed = ScriptDraftSchema.safeParse({ ...base, tests });
    return parsed.success ? '' : formatIssues(parsed.error);
  };

  it(`accepts ${MAX_TESTS} tests of ${MAX_TEST_STEPS} steps and refuses one more of either`, () => {
    expect(problems(Array.from({ length: MAX_TESTS }, (_, index) => test(`t${index}`)))).toBe('');
    expect(problems([test('long', MAX_TEST_STEPS)])).toBe('');
    expect(problems(Array.from({ length: MAX_TESTS + 1 }, (_, index) => test(`t${index}`)))).toBe(`tests: a script has at most ${MAX_TESTS} tests`);
    expect(problems([test('ok'), test('long', MAX_TEST_STEPS + 1)])).toBe(`tests[1].steps: a test has at most ${MAX_TEST_STEPS} steps`);
  });

  it('names the field of a wrong input, expectation or name', () => {
    expect(problems([test('same'), test('same')])).toBe("tests[1].name: test name 'same' is already used by test 1");
    expect(problems([{ ...test('q'), steps: [{ inputs: { a: { value: 1, quality: 'fine' } } }] }])).toMatch(/^tests\[0\]\.steps\[0\]\.inputs\.a: "quality": .* — a step input is a value/);
    expect(problems([{ ...test('ts'), steps: [{ inputs: { a: { value: 1, ts: 'yesterday' } } }] }])).toBe(
      "tests[0].steps[0].inputs.a.ts: ts 'yesterday' is not an ISO 8601 time or epoch milliseconds — give an ISO 8601 time such as 2026-11-27T10:00:00Z or epoch milliseconds",
    );
    expect(problems([{ ...test('approx'), expect: { Y: { value: 'on', approx: 1 } } }])).toBe('tests[0].expect.Y.approx: approx is a tolerance for a number: give a number "value" with it');
    expect(problems([{ ...test('empty'), expect: { Y: {} } }])).toMatch(/^tests\[0\]\.expect\.Y: give "value", "quality" or both/);
    expect(problems([{ ...test('none'), steps: [] }])).toBe('tests[0].steps: a test needs at least one step');
    expect(RunnableDraftSchema.safeParse({ ...base, name: undefined, tests: [test('ok')] }).success).toBe(true);
  });
});
