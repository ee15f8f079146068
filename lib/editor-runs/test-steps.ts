import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import { parseTimestamp } from '../model/parse-tag-fields';
import type { RunnableDraft } from '../model/script-schema';
import type { ScriptTest } from '../model/script-tests';
import type { InputSample } from '../sandbox/script-sandbox';
import type { LabTestStep } from '../lab/test-run';

/** Time between two steps that give no time of their own. */
export const TEST_STEP_INTERVAL_MS = 1000;

/**
 * The evaluations of a regression test, as the lab runs them: each step applies its inputs and
 * evaluates once. An input not given in a step keeps its value from the step before (as a tag holds
 * its latest value); a bare value is good and takes the step's time. A step's time (ctx.now) is the
 * latest `ts` given in it, else one second after the previous step; the first step without a time
 * starts at `start`. Like the engine, a step runs only when every input has a value.
 */
export function resolveTestSteps(
  draft: Pick<RunnableDraft, 'inputs'>,
  test: Pick<ScriptTest, 'steps'>,
  start: number,
): { ok: true; steps: LabTestStep[] } | { ok: false; error: Diagnostic; step: number } {
  const indexOf = new Map(draft.inputs.map((input, index) => [input.alias, index]));
  const held: Array<InputSample | null> = draft.inputs.map(() => null);
  const steps: LabTestStep[] = [];
  let previous: number | null = null;
  for (let k = 0; k < test.steps.length; k++) {
    const given = Object.entries(test.steps[k].inputs);
    let latest = -Infinity;
    const times = given.map(([alias, input]) => {
      if (!indexOf.has(alias)) return null;
      const raw = input !== null && typeof input === 'object' ? input.ts : undefined;
      const parsed = raw === undefined ? null : parseTimestamp(raw, 0);
      const ts = parsed?.ok ? parsed.value : null;
      if (ts !== null) latest = Math.max(latest, ts);
      return ts;
    });
    const unknown = given.find(([alias]) => !indexOf.has(alias));
    if (unknown) return { ok: false, error: testDiagnostic('test-unknown-input', { step: k + 1, alias: unknown[0] }), step: k + 1 };
    const now: number = Number.isFinite(latest) ? latest : previous === null ? start : previous + TEST_STEP_INTERVAL_MS;
    given.forEach(([alias, input], index) => {
      const sample: InputSample =
        input !== null && typeof input === 'object'
          ? { value: input.value, quality: input.quality ?? 'good', ts: times[index] ?? now }
          : { value: input, quality: 'good', ts: now };
      held[indexOf.get(alias)!] = sample;
    });
    const missing = held.findIndex((sample) => sample === null);
    if (missing >= 0) return { ok: false, error: testDiagnostic('test-missing-input', { step: k + 1, alias: draft.inputs[missing].alias }), step: k + 1 };
    steps.push({ now, inputs: held.map((sample) => ({ ...sample! })) });
    previous = now;
  }
  return { ok: true, steps };
}

export function testDiagnostic(code: 'test-unknown-input' | 'test-missing-input' | 'test-unknown-output', params: Record<string, string | number>): Diagnostic {
  return diagnostic(code, params, { source: 'definition', kind: 'definition' });
}
