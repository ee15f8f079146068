import { describe, expect, it } from 'vitest';
import type { ScriptTest } from '../model/script-tests';
import type { CalcResult } from './api-types';
import {
  expectationText,
  nextTestName,
  parseValueText,
  scriptsToTest,
  testFormFromRun,
  testFormOf,
  testFromForm,
  testsStatusKey,
  testsStatusOf,
  valueToText,
} from './test-cases';

const run: CalcResult = {
  inputs: {
    'plant/boiler/steam': { alias: 'steam', value: 12.5, ts: '2026-11-27T10:00:00.000Z', quality: 'good' },
    'plant/boiler/fuel': { alias: 'fuel', value: 3, ts: '2026-11-27T10:00:00.000Z', quality: 'uncertain' },
  },
  outputs: {
    'calc/boiler/efficiency': { value: 0.8333, quality: 'good' },
    'calc/boiler/alarm': { value: null, quality: 'bad' },
  },
} as unknown as CalcResult;

describe('values as typed', () => {
  it('reads numbers (comma or dot), booleans, null and text', () => {
    expect(parseValueText(' 12,5 ')).toBe(12.5);
    expect(parseValueText('-3e2')).toBe(-300);
    expect(parseValueText('true')).toBe(true);
    expect(parseValueText('false')).toBe(false);
    expect(parseValueText('null')).toBeNull();
    expect(parseValueText('')).toBeNull();
    expect(parseValueText('RUN')).toBe('RUN');
    expect(parseValueText('"12"')).toBe('12');
  });
  it('writes a value back so that it reads the same', () => {
    for (const value of [12.5, 0, -1e-9, true, false, null, 'RUN', '12', 'true', 'null', '"quoted"']) {
      expect(parseValueText(valueToText(value))).toEqual(value);
    }
    expect(valueToText('12')).toBe('"12"');
    expect(valueToText('RUN')).toBe('RUN');
  });
});

describe('a test from the last Calculate', () => {
  it('captures the inputs by alias with their quality and the outputs as exact expectations', () => {
    const form = testFormFromRun(run, 'Test 1');
    const made = testFromForm(form, []);
    expect(made).toEqual({
      ok: true,
      test: {
        name: 'Test 1',
        steps: [{ inputs: { steam: 12.5, fuel: { value: 3, quality: 'uncertain' } } }],
        expect: { 'calc/boiler/efficiency': 0.8333, 'calc/boiler/alarm': { value: null, quality: 'bad' } },
      },
    });
  });

  it('takes edits: a tolerance, an unchecked output, a changed input', () => {
    const form = testFormFromRun(run, 'Edited');
    form.inputs[0].value = '20';
    form.expect[0] = { ...form.expect[0], value: '0,83', approx: '0.01' };
    form.expect[1] = { ...form.expect[1], value: '', quality: '' };
    const made = testFromForm(form, []);
    expect(made.ok && made.test).toEqual({
      name: 'Edited',
      steps: [{ inputs: { steam: 20, fuel: { value: 3, quality: 'uncertain' } } }],
      expect: { 'calc/boiler/efficiency': { value: 0.83, approx: 0.01 } },
    });
  });

  it('says what is wrong: no name, a name in use, a tolerance that is not a number or not for a number', () => {
    const other: ScriptTest = { name: 'Taken', steps: [{ inputs: {} }], expect: {} };
    const form = testFormFromRun(run, ' ');
    form.expect[0].approx = 'abc';
    form.expect[1] = { tag: 'calc/boiler/alarm', value: 'RUN', quality: '', approx: '0.5' };
    expect(testFromForm(form, [other])).toEqual({
      ok: false,
      problems: [
        { field: 'name', code: 'nameEmpty' },
        { field: 'approx', tag: 'calc/boiler/efficiency', code: 'approxInvalid' },
        { field: 'approx', tag: 'calc/boiler/alarm', code: 'approxNotNumber' },
      ],
    });
    expect(testFromForm({ ...testFormFromRun(run, 'Taken') }, [other])).toEqual({ ok: false, problems: [{ field: 'name', code: 'nameUsed' }] });
  });
});

describe('a saved test in the form', () => {
  it('edits the last step and keeps the earlier ones, and offers the outputs it does not check', () => {
    const test: ScriptTest = {
      name: 'ramp',
      steps: [{ inputs: { steam: 1 } }, { inputs: { steam: { value: 2, ts: 1_000 }, fuel: { value: 4, quality: 'bad' } } }],
      expect: { 'calc/a': { value: 2, approx: 0.5 }, 'calc/b': { quality: 'bad' } },
    };
    const form = testFormOf(test, ['calc/a', 'calc/b', 'calc/c']);
    expect(form.earlierSteps).toEqual([{ inputs: { steam: 1 } }]);
    expect(form.inputs).toEqual([
      { alias: 'steam', value: '2', quality: 'good', ts: 1_000 },
      { alias: 'fuel', value: '4', quality: 'bad' },
    ]);
    expect(form.expect.map((row) => row.tag)).toEqual(['calc/a', 'calc/b', 'calc/c']);
    const back = testFromForm(form, []);
    expect(back.ok && back.test).toEqual(test);
  });
});

describe('names and texts', () => {
  it('names a new test after the ones there are', () => {
    const named = (name: string): ScriptTest => ({ name, steps: [{ inputs: {} }], expect: {} });
    expect(nextTestName([], 'Test')).toBe('Test 1');
    expect(nextTestName([named('Test 2'), named('x')], 'Test')).toBe('Test 3');
    expect(nextTestName([named('Test 2')], 'Test')).toBe('Test 3');
    expect(nextTestName([named('a'), named('Test 3'), named('b')], 'Test')).toBe('Test 4');
  });
  it('reads an expectation', () => {
    expect(expectationText(87.5)).toBe('87.5');
    expect(expectationText({ value: 87.5, approx: 0.1 })).toBe('87.5 ± 0.1');
    expect(expectationText({ quality: 'bad' })).toBe('(bad)');
    expect(expectationText({ value: null, quality: 'bad' })).toBe('null (bad)');
  });
});

describe('the tests status of the scripts list', () => {
  it('summarises a report', () => {
    expect(testsStatusOf({ passed: 3, failed: 0, results: [] })).toEqual({ kind: 'passed', total: 3 });
    expect(testsStatusOf({ passed: 2, failed: 1, results: [] })).toEqual({ kind: 'failed', failed: 1, total: 3 });
  });
  it('asks only for saved versions with tests it does not know yet', () => {
    const test: ScriptTest = { name: 't', steps: [{ inputs: {} }], expect: {} };
    const scripts = [
      { id: 'a', version: 2, tests: [test] },
      { id: 'b', version: 1, tests: [] },
      { id: 'c', version: 5 },
      { id: 'd', version: 1, tests: [test] },
    ];
    const known = new Set([testsStatusKey({ id: 'd', version: 1 }), testsStatusKey({ id: 'a', version: 1 })]);
    expect(scriptsToTest(scripts, known).map((script) => script.id)).toEqual(['a']);
  });
});
