import type { Diagnostic } from '../model/diagnostic';
import type { RunnableDraft } from '../model/script-schema';
import type { Quality, TagScalar } from '../model/tag-value';
import type { ConsoleLog, InputSample, PreviousOutput } from '../sandbox/script-sandbox';

/** A single editor run (validate, calculate, debug) as the host asks the lab thread for it. */
export interface LabRunRequest {
  draft: RunnableDraft;
  /** One per input of the draft, in order; null for an input never seen. */
  inputs: Array<InputSample | null>;
  /** Last published value of each output, for ctx.previous. */
  previous: Array<PreviousOutput | null>;
  /** Evaluation time (ctx.now). */
  now: number;
}

export interface LabRunResult {
  /** Compile diagnostics (errors stop the run; warnings do not). */
  diagnostics: Diagnostic[];
  /** By output index; null when the output was not computed. */
  outputs: Array<{ value: TagScalar; quality: Quality } | null>;
  staticVars: Record<string, unknown>;
  durationMs: number;
  error: Diagnostic | null;
  logs: ConsoleLog[];
}
