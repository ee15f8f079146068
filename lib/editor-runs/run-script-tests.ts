import type { RunnableDraft } from '../model/script-schema';
import { findMismatches, reportOf, type TestOutputValue, type TestReport, type TestResult } from '../model/script-tests';
import type { EditorRunPorts } from './editor-run-ports';
import { resolveTestSteps, testDiagnostic } from './test-steps';

/**
 * Runs the regression tests a draft carries (changes.md) in the lab: each from a fresh
 * initialisation, its steps in order with state carried, then its expectations checked against the
 * outputs after the last step. The same compiler, sandbox and quality rules as Calculate, Debug and
 * the engine. A test that cannot run (an unknown alias, an input without a value, a script that does
 * not compile) fails with an error saying why.
 */
export async function runScriptTests(services: Pick<EditorRunPorts, 'lab'>, draft: RunnableDraft, start: number = Date.now()): Promise<TestReport> {
  const tests = draft.tests ?? [];
  const results: Array<TestResult | null> = tests.map(() => null);
  const nothing = () => Object.fromEntries(draft.outputs.map((output) => [output.tag, null])) as Record<string, TestOutputValue | null>;
  const runnable: Array<{ index: number; steps: ReturnType<typeof resolveTestSteps> & { ok: true } }> = [];
  tests.forEach((test, index) => {
    const resolved = resolveTestSteps(draft, test, start);
    if (resolved.ok) runnable.push({ index, steps: resolved });
    else results[index] = { name: test.name, ok: false, outputs: nothing(), mismatches: [], error: resolved.error, step: resolved.step };
  });

  if (runnable.length > 0) {
    // The tests are not part of what is evaluated: the lab gets the script without them.
    const { tests: _tests, ...script } = draft;
    const outcome = await services.lab.runTests({ draft: script, tests: runnable.map((entry) => ({ steps: entry.steps.steps })) });
    const compileError = outcome.ok ? null : (outcome.diagnostics.find((found) => found.severity === 'error') ?? outcome.diagnostics[0] ?? null);
    runnable.forEach((entry, position) => {
      const test = tests[entry.index];
      if (!outcome.ok) {
        results[entry.index] = { name: test.name, ok: false, outputs: nothing(), mismatches: [], error: compileError };
        return;
      }
      const ran = outcome.results[position];
      const outputs = Object.fromEntries(draft.outputs.map((output, k) => [output.tag, ran.outputs[k] ?? null]));
      const unknown = Object.keys(test.expect).find((tag) => !Object.hasOwn(outputs, tag));
      const error = ran.error ?? (unknown === undefined ? null : testDiagnostic('test-unknown-output', { tag: unknown }));
      const mismatches = ran.error ? [] : findMismatches(test.expect, outputs);
      results[entry.index] = {
        name: test.name,
        ok: error === null && mismatches.length === 0,
        outputs,
        mismatches,
        error,
        ...(ran.error && ran.step !== null ? { step: ran.step } : {}),
      };
    });
  }
  return reportOf(results as TestResult[]);
}
