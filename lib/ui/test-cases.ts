import { MAX_TEST_NAME, MAX_TESTS, type ScriptTest, type TestExpectation, type TestInput, type TestReport, type TestResult } from '../model/script-tests';
import type { Quality, TagScalar } from '../model/tag-value';
import type { CalcResult } from './api-types';
import { parseDecimal } from './script-form';

/**
 * The Tests tab's logic (changes.md "Regression tests"): a test case captured from a Calculate run,
 * the form it is edited in (values as typed), and back to the API's shape with what is wrong said
 * per field.
 */

// ---- values as typed ----

/**
 * A value as the user reads and types it: numbers, `true`, `false` and `null` as themselves, any
 * other text as it is; a text that would read as one of those is shown in double quotes.
 */
export function valueToText(value: TagScalar): string {
  if (typeof value === 'string') return parseValueText(value) === value ? value : JSON.stringify(value);
  return value === null ? 'null' : String(value);
}

/** The value a typed text means (see valueToText); an empty field is null. A comma may be the decimal sign. */
export function parseValueText(text: string): TagScalar {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'null') return null;
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  const number = parseDecimal(trimmed);
  if (number !== null) return number;
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    try {
      const inner: unknown = JSON.parse(trimmed);
      if (typeof inner === 'string') return inner;
    } catch {
      // not a JSON string: the text as typed
    }
  }
  return text;
}

// ---- the edit form ----

export interface TestInputRow {
  alias: string;
  value: string;
  quality: Quality;
  /** The value's time when the test gave one (kept as it was). */
  ts?: string | number;
}

export interface TestExpectRow {
  tag: string;
  /** Empty: this output is not checked. */
  value: string;
  /** '' = the quality is not checked. */
  quality: Quality | '';
  /** Absolute tolerance for a number, as typed; empty = exact. */
  approx: string;
}

export interface TestCaseForm {
  name: string;
  /** The steps before the last, kept as they are (a test made through the API may have several). */
  earlierSteps: ScriptTest['steps'];
  /** The inputs of the last step. */
  inputs: TestInputRow[];
  expect: TestExpectRow[];
}

export type TestFormProblem =
  | { field: 'name'; code: 'nameEmpty' | 'nameTooLong' | 'nameUsed' }
  | { field: 'approx'; tag: string; code: 'approxInvalid' | 'approxNotNumber' }
  | { field: 'tests'; code: 'tooMany' };

/** A name like "Test 3" that no other test has. */
export function nextTestName(tests: readonly ScriptTest[], base: string): string {
  const names = new Set(tests.map((test) => test.name));
  for (let n = tests.length + 1; ; n += 1) if (!names.has(`${base} ${n}`)) return `${base} ${n}`;
}

/**
 * A new test from the last Calculate: the inputs it used (by alias, with their quality) and the
 * outputs it produced as the expected values, exact; each output that is not good also expects its quality.
 */
export function testFormFromRun(run: CalcResult, name: string): TestCaseForm {
  return {
    name,
    earlierSteps: [],
    inputs: Object.values(run.inputs).map((input) => ({ alias: input.alias, value: valueToText(input.value), quality: input.quality })),
    expect: Object.entries(run.outputs).map(([tag, output]) => ({ tag, value: valueToText(output.value), quality: output.quality === 'good' ? '' : output.quality, approx: '' })),
  };
}

/** A saved test in the form, with the output tags of the script offered even when the test does not check them. */
export function testFormOf(test: ScriptTest, outputTags: readonly string[] = []): TestCaseForm {
  const last = test.steps[test.steps.length - 1] ?? { inputs: {} };
  const inputs = Object.entries(last.inputs).map(([alias, input]): TestInputRow => {
    if (input === null || typeof input !== 'object') return { alias, value: valueToText(input), quality: 'good' };
    return { alias, value: valueToText(input.value), quality: input.quality ?? 'good', ...(input.ts !== undefined ? { ts: input.ts } : {}) };
  });
  const expect = Object.entries(test.expect).map(([tag, expected]): TestExpectRow => {
    if (expected === null || typeof expected !== 'object') return { tag, value: valueToText(expected), quality: '', approx: '' };
    return { tag, value: expected.value === undefined ? '' : valueToText(expected.value), quality: expected.quality ?? '', approx: expected.approx === undefined ? '' : String(expected.approx) };
  });
  for (const tag of outputTags) if (!expect.some((row) => row.tag === tag)) expect.push({ tag, value: '', quality: '', approx: '' });
  return { name: test.name, earlierSteps: test.steps.slice(0, -1), inputs, expect };
}

/**
 * The test the form describes, or what is wrong with it. `others` are the script's other tests
 * (names must differ). An expectation with neither a value nor a quality is left out (not checked).
 */
export function testFromForm(form: TestCaseForm, others: readonly ScriptTest[]): { ok: true; test: ScriptTest } | { ok: false; problems: TestFormProblem[] } {
  const problems: TestFormProblem[] = [];
  const name = form.name.trim();
  if (!name) problems.push({ field: 'name', code: 'nameEmpty' });
  else if (name.length > MAX_TEST_NAME) problems.push({ field: 'name', code: 'nameTooLong' });
  else if (others.some((test) => test.name === name)) problems.push({ field: 'name', code: 'nameUsed' });
  if (others.length >= MAX_TESTS) problems.push({ field: 'tests', code: 'tooMany' });

  const inputs: Record<string, TestInput> = {};
  for (const row of form.inputs) {
    const value = parseValueText(row.value);
    inputs[row.alias] = row.quality === 'good' && row.ts === undefined ? value : { value, ...(row.quality !== 'good' ? { quality: row.quality } : {}), ...(row.ts !== undefined ? { ts: row.ts } : {}) };
  }
  const expect: Record<string, TestExpectation> = {};
  for (const row of form.expect) {
    const hasValue = row.value.trim() !== '';
    const value = parseValueText(row.value);
    let approx: number | undefined;
    if (row.approx.trim() !== '') {
      const parsed = parseDecimal(row.approx);
      if (parsed === null || parsed < 0) problems.push({ field: 'approx', tag: row.tag, code: 'approxInvalid' });
      else if (!hasValue || typeof value !== 'number') problems.push({ field: 'approx', tag: row.tag, code: 'approxNotNumber' });
      else approx = parsed;
    }
    if (!hasValue && row.quality === '') continue;
    expect[row.tag] =
      row.quality === '' && approx === undefined
        ? value
        : { ...(hasValue ? { value } : {}), ...(row.quality !== '' ? { quality: row.quality } : {}), ...(approx !== undefined ? { approx } : {}) };
  }
  if (problems.length) return { ok: false, problems };
  return { ok: true, test: { name, steps: [...form.earlierSteps, { inputs }], expect } };
}

// ---- results ----

/** An expectation as read in a result: `87.5`, `87.5 ± 0.1`, `quality bad`, `null (bad)`. */
export function expectationText(expected: TestExpectation): string {
  if (expected === null || typeof expected !== 'object') return valueToText(expected);
  const value = expected.value === undefined ? '' : valueToText(expected.value);
  const approx = expected.approx !== undefined ? ` ± ${expected.approx}` : '';
  if (expected.quality === undefined) return `${value}${approx}`;
  return value ? `${value}${approx} (${expected.quality})` : `(${expected.quality})`;
}

/** What a test produced for a tag: `87.5 (good)`, or null when it computed nothing. */
export function actualText(actual: { value: TagScalar; quality: Quality } | null): string | null {
  return actual === null ? null : `${valueToText(actual.value)} (${actual.quality})`;
}

/** The tests of a report that failed, in order. */
export function failingResults(report: TestReport): TestResult[] {
  return report.results.filter((result) => !result.ok);
}

/** A report's results with the tests' current names: a result whose test was renamed or removed since is dropped. */
export function resultsByName(report: TestReport | null): Map<string, TestResult> {
  return new Map((report?.results ?? []).map((result) => [result.name, result]));
}

// ---- the tests status of the scripts list ----

export type TestsStatus = { kind: 'none' } | { kind: 'pending' } | { kind: 'passed'; total: number } | { kind: 'failed'; failed: number; total: number } | { kind: 'unknown' };

export function testsStatusOf(report: TestReport): TestsStatus {
  const total = report.passed + report.failed;
  return report.failed > 0 ? { kind: 'failed', failed: report.failed, total } : { kind: 'passed', total };
}

/** The key a script's tests result is kept under: it stays true until the script saves another version. */
export function testsStatusKey(script: { id: string; version: number }): string {
  return `${script.id}@${script.version}`;
}

/**
 * The saved scripts whose tests status is not known yet (those with tests, not in `known`), in the
 * order given — the list asks for them one at a time.
 */
export function scriptsToTest<T extends { id: string; version: number; tests?: readonly unknown[] }>(scripts: readonly T[], known: ReadonlySet<string>): T[] {
  return scripts.filter((script) => (script.tests?.length ?? 0) > 0 && !known.has(testsStatusKey(script)));
}
