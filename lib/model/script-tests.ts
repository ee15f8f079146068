import { z } from 'zod';
import type { Diagnostic } from './diagnostic';
import { parseTimestamp } from './parse-tag-fields';
import type { Quality, TagScalar } from './tag-value';

/**
 * Regression tests of a script (changes.md "Regression tests"): part of the ScriptDraft, versioned
 * with it. A test is a list of steps run in order from a fresh initialisation (state carried from
 * step to step), then expectations on the outputs after the last step.
 */

export const MAX_TESTS = 50;
export const MAX_TEST_STEPS = 1000;
export const MAX_TEST_NAME = 200;

const ScalarSchema = z.union([z.number(), z.boolean(), z.string(), z.null()]);
const QualitySchema = z.enum(['good', 'uncertain', 'bad']);

const TEST_INPUT_SHAPE = 'a step input is a value (number, boolean, string or null) or { "value": …, "quality"?: "good" | "uncertain" | "bad", "ts"?: ISO 8601 or epoch ms }';
const EXPECTATION_SHAPE = 'an expectation is a value (number, boolean, string or null) or { "value"?: …, "quality"?: "good" | "uncertain" | "bad", "approx"?: a tolerance ≥ 0 }';

export const TestInputSchema = z
  .union(
    [
      ScalarSchema,
      z.strictObject({
        value: ScalarSchema,
        quality: QualitySchema.optional(),
        ts: z
          .union([z.string(), z.number()])
          .optional()
          .superRefine((ts, ctx) => {
            const parsed = parseTimestamp(ts, 0);
            if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason} — give an ISO 8601 time such as 2026-11-27T10:00:00Z or epoch milliseconds` });
          }),
      }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? unionProblem(issue.input, issue.errors, TEST_INPUT_SHAPE) : undefined) },
  )
  .meta({ id: 'TestInput', description: 'A bare value (quality good, the step’s time) or { value, quality?, ts? }' });

export const TestExpectationSchema = z
  .union(
    [
      ScalarSchema,
      z
        .strictObject({
          value: ScalarSchema.optional(),
          quality: QualitySchema.optional(),
          approx: z.number().finite().min(0, { message: 'approx must be a tolerance of at least 0' }).optional(),
        })
        .superRefine((expectation, ctx) => {
          if (expectation.value === undefined && expectation.quality === undefined) {
            ctx.addIssue({ code: 'custom', message: 'give "value", "quality" or both' });
          }
          if (expectation.approx !== undefined && typeof expectation.value !== 'number') {
            ctx.addIssue({ code: 'custom', path: ['approx'], message: 'approx is a tolerance for a number: give a number "value" with it' });
          }
        }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? unionProblem(issue.input, issue.errors, EXPECTATION_SHAPE) : undefined) },
  )
  .meta({ id: 'TestExpectation', description: 'A bare value (compared exactly), or { value?, quality?, approx? } (approx: absolute tolerance for numbers)' });

export const TestStepSchema = z.object({
  inputs: z.record(z.string(), TestInputSchema).meta({ description: 'Values by input alias; an input not given keeps its value from the previous step' }),
});

export const ScriptTestSchema = z
  .object({
    name: z.string().trim().min(1, { message: 'a test needs a name' }).max(MAX_TEST_NAME, { message: `a test name is at most ${MAX_TEST_NAME} characters` }),
    steps: z
      .array(TestStepSchema)
      .min(1, { message: 'a test needs at least one step' })
      .max(MAX_TEST_STEPS, { message: `a test has at most ${MAX_TEST_STEPS} steps` }),
    expect: z.record(z.string(), TestExpectationSchema).meta({ description: 'By output tag: checked after the last step' }),
  })
  .meta({ id: 'ScriptTest' });

export const ScriptTestsSchema = z
  .array(ScriptTestSchema)
  .max(MAX_TESTS, { message: `a script has at most ${MAX_TESTS} tests` })
  .superRefine((tests, ctx) => {
    const seen = new Map<string, number>();
    tests.forEach((test, index) => {
      const first = seen.get(test.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `test name '${test.name}' is already used by test ${first + 1}` });
      else seen.set(test.name, index);
    });
  });

export type TestInput = z.infer<typeof TestInputSchema>;
export type TestExpectation = z.infer<typeof TestExpectationSchema>;
export type ScriptTest = z.infer<typeof ScriptTestSchema>;

/** Says which field of an object is wrong (a union alone would only say "Invalid input"). */
function unionProblem(input: unknown, branches: ReadonlyArray<ReadonlyArray<{ path: PropertyKey[]; message: string }>>, shape: string): string {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const inner = isObject ? branches[1]?.[0] : undefined;
  if (!inner) return shape;
  const field = inner.path.map(String).join('.');
  return `${field ? `"${field}": ` : ''}${inner.message} — ${shape}`;
}

// ---- results ----

export interface TestOutputValue {
  value: TagScalar;
  quality: Quality;
}

export interface TestMismatch {
  tag: string;
  expected: TestExpectation;
  /** What the script produced; null when it did not compute the output. */
  actual: TestOutputValue | null;
}

export interface TestResult {
  name: string;
  ok: boolean;
  /** Every output after the last step run, by tag; null when not computed. */
  outputs: Record<string, TestOutputValue | null>;
  mismatches: TestMismatch[];
  error: Diagnostic | null;
  /** The step (1-based) the error happened at; absent without an error or when it concerns the whole test. */
  step?: number;
}

export interface TestReport {
  passed: number;
  failed: number;
  results: TestResult[];
}

/** The expectations of a test that the outputs do not meet, in the order of `expect`. */
export function findMismatches(expect: Record<string, TestExpectation>, outputs: Record<string, TestOutputValue | null>): TestMismatch[] {
  const mismatches: TestMismatch[] = [];
  for (const [tag, expected] of Object.entries(expect)) {
    const actual = outputs[tag] ?? null;
    if (!meets(expected, actual)) mismatches.push({ tag, expected, actual });
  }
  return mismatches;
}

function meets(expected: TestExpectation, actual: TestOutputValue | null): boolean {
  if (actual === null) return false;
  if (expected === null || typeof expected !== 'object') return sameValue(expected, actual.value, undefined);
  if (expected.quality !== undefined && expected.quality !== actual.quality) return false;
  return expected.value === undefined || sameValue(expected.value, actual.value, expected.approx);
}

function sameValue(expected: TagScalar, actual: TagScalar, approx: number | undefined): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') return approx === undefined ? expected === actual : Math.abs(actual - expected) <= approx;
  return expected === actual;
}

/** A report from the results of each test. */
export function reportOf(results: TestResult[]): TestReport {
  const passed = results.filter((result) => result.ok).length;
  return { passed, failed: results.length - passed, results };
}
