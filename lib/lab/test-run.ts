import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { RunnableDraft } from '../model/script-schema';
import type { TestOutputValue } from '../model/script-tests';
import { ScriptSandbox, type InputSample, type SandboxLimits } from '../sandbox/script-sandbox';

/**
 * The evaluation side of regression tests (in the lab thread): each test gets a sandbox of its own,
 * so nothing of an earlier test (its tag table: the values ctx.previous and change detection see)
 * leaks into it, loads the script there (its initCode runs: a fresh initialisation) and evaluates
 * its steps in order in that slot, so state carries from step to step — the engine's compiler,
 * sandbox, limits and quality rules, with every output reported as editor runs do (`program` is
 * compiled with `capture`). A test stops at its first failing step.
 */

export interface LabTestStep {
  /** ctx.now of the evaluation. */
  now: number;
  /** One per input of the draft, in order (the host resolved the values each input holds). */
  inputs: InputSample[];
}

export interface LabTestRequest {
  draft: RunnableDraft;
  tests: Array<{ steps: LabTestStep[] }>;
}

export interface LabTestCaseResult {
  /** By output index, after the last step run; null when not computed. */
  outputs: Array<TestOutputValue | null>;
  error: Diagnostic | null;
  /** 1-based step of the error; null when the initialisation failed or there was none. */
  step: number | null;
}

export type LabTestOutcome = { ok: true; results: LabTestCaseResult[] } | { ok: false; diagnostics: Diagnostic[] };

export async function runTestCases(program: CompiledScript, request: LabTestRequest, limits: SandboxLimits): Promise<LabTestCaseResult[]> {
  const results: LabTestCaseResult[] = [];
  for (const test of request.tests) {
    const sandbox = await ScriptSandbox.create(limits);
    try {
      results.push(runOne(sandbox, program, request.draft, test.steps));
    } finally {
      sandbox.dispose();
    }
  }
  return results;
}

function runOne(sandbox: ScriptSandbox, program: CompiledScript, draft: RunnableDraft, steps: LabTestStep[]): LabTestCaseResult {
  const none = (): Array<TestOutputValue | null> => draft.outputs.map(() => null);
  const loaded = sandbox.load(program, { now: steps[0]?.now ?? Date.now(), reportAll: true });
  if (!loaded.ok) return { outputs: none(), error: loaded.error, step: null };
  let outputs = none();
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index];
    const result = sandbox.evaluate([{ slot: loaded.slot, now: step.now, inputs: step.inputs }]).results[0];
    if (!result || result.status === 'skipped') {
      const error = diagnostic('sandbox-failed', { error: sandbox.broken ?? 'the step did not run' }, { source: 'calc', kind: 'memory' });
      return { outputs, error, step: index + 1 };
    }
    outputs = none();
    for (const sample of result.outputs) outputs[sample.index] = { value: sample.value, quality: sample.quality };
    if (result.status === 'failed') return { outputs, error: result.error, step: index + 1 };
  }
  return { outputs, error: null, step: null };
}
