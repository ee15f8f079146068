import type { CalcResult, Diagnostic, ValidateResponse } from './api-types';

/**
 * What registering would do, read from a run on the latest values (POST /api/scripts/validate, the
 * same evaluation as the engine's), sorted so the Register dialog can say it plainly:
 *  - `invalid`: it does not compile — registering is refused (422), fix it first;
 *  - `fails`: it compiles but the run throws, times out or makes an invalid output — the engine would
 *    publish bad outputs, so registering needs an explicit "Register anyway";
 *  - `warnings`: it runs, but the engine would wait for inputs never seen, or publish nulls;
 *  - `clean`: it runs and every output has a value.
 */

export type PreviewOutcome = 'invalid' | 'fails' | 'warnings' | 'clean';

export interface RegisterPreview {
  outcome: PreviewOutcome;
  /** Compile errors, or the run's error (with its line and column when it has them). */
  errors: Diagnostic[];
  /** Inputs never seen: the engine will wait until each has a value. */
  waitingFor: Array<{ alias: string; tag: string }>;
  /** Inputs whose value is null in this run. */
  nullInputs: Array<{ alias: string; tag: string }>;
  /** Outputs that would be published as null. */
  nullOutputs: string[];
  /** The outputs the run computed, by tag. */
  outputs: CalcResult['outputs'];
  /** Compile warnings (unused variables and the like), as the server words them. */
  otherWarnings: Diagnostic[];
}

export function classifyPreview(answer: ValidateResponse): RegisterPreview {
  const result = answer.result;
  const runError = result?.error ?? null;
  const errors = result === null ? answer.diagnostics.filter((diagnostic) => diagnostic.severity === 'error') : runError ? [runError] : [];
  const inputs = Object.entries(result?.inputs ?? {});
  const waitingFor = inputs.filter(([, input]) => input.ts === null).map(([tag, input]) => ({ alias: input.alias, tag }));
  const nullInputs = inputs.filter(([, input]) => input.ts !== null && input.value === null).map(([tag, input]) => ({ alias: input.alias, tag }));
  const nullOutputs = runError ? [] : Object.entries(result?.outputs ?? {}).filter(([, output]) => output.value === null).map(([tag]) => tag);
  // The run's own warnings are shown from the structured fields above, in the user's language.
  const runWarnings = new Set((result?.warnings ?? []).map((warning) => warning.message));
  const otherWarnings = answer.diagnostics.filter((diagnostic) => diagnostic.severity === 'warning' && !runWarnings.has(diagnostic.message));
  const outcome: PreviewOutcome =
    result === null
      ? 'invalid'
      : runError
        ? 'fails'
        : waitingFor.length + nullInputs.length + nullOutputs.length + otherWarnings.length > 0
          ? 'warnings'
          : 'clean';
  return { outcome, errors, waitingFor, nullInputs, nullOutputs, outputs: result?.outputs ?? {}, otherWarnings };
}

/** May the user register from this preview, and with which button? */
export function registerChoice(outcome: PreviewOutcome): 'register' | 'registerAnyway' | 'none' {
  return outcome === 'invalid' ? 'none' : outcome === 'fails' ? 'registerAnyway' : 'register';
}
