import type { Diagnostic, DiagnosticSource } from '../model/diagnostic';
import type { Quality, TagScalar } from '../model/tag-value';

/** The types of the sandbox's API (script-sandbox.ts re-exports them). */

/** A script's static variables as JSON (dumpState), or which one does not serialise and why. */
export type StaticState =
  | { ok: true; vars: Record<string, unknown>; undef: string[] }
  | { ok: false; variable: string; why: string };

export interface SandboxLimits {
  cpuMs: number;
  initCpuMs: number;
  memoryMb: number;
  /** QuickJS stack bound; keeps deep recursion a catchable error inside the guest. */
  stackBytes?: number;
}

export interface InputSample {
  value: TagScalar;
  ts: number;
  quality: Quality;
}

export interface EvaluationJob {
  slot: number;
  now: number;
  inputs: InputSample[];
}

export interface OutputSample {
  /** Index into the script's outputs. */
  index: number;
  value: TagScalar;
  quality: Quality;
}

export type JobResult =
  | { status: 'ok'; outputs: OutputSample[] }
  | { status: 'failed'; outputs: OutputSample[]; error: Diagnostic }
  | { status: 'skipped' };

export interface PreviousOutput {
  value: TagScalar;
  quality: Quality;
}

export interface LoadOptions {
  /** ctx.now during initCode. */
  now: number;
  /** Last published value of each output (by index), for change detection and ctx.previous. */
  previous?: ReadonlyArray<PreviousOutput | null | undefined>;
  /** Report every valid output on every run, not only the changed ones (editor runs). */
  reportAll?: boolean;
  /** The program is a traced compilation (debug runs): give it a step recorder, read with takeTrace. */
  trace?: boolean;
  /** Latest known values of the script's tags (inputs seen, outputs published), by tag. */
  seed?: ReadonlyMap<string, InputSample> | ((tag: string) => InputSample | undefined);
}

/** On failure `slot` is the slot the program was given, for reading the trace of its initCode. */
export type LoadResult = { ok: true; slot: number } | { ok: false; error: Diagnostic; slot?: number };

export interface ConsoleLog {
  level: 'log' | 'warn' | 'error';
  message: string;
  line?: number;
  source?: DiagnosticSource;
}

export interface BatchResult {
  results: JobResult[];
  /** Set when the sandbox broke during the batch: jobs from this index on were not run. */
  brokenAt: number | null;
}

export interface GuestError {
  op: number;
  ordinal: number;
  slot: number;
  kind: 'runtime' | 'output';
  name?: string;
  message?: string;
  stack?: string;
  output?: number;
}

/** A value a script published in a batch. */
export interface PublishedRecord {
  /** The ordinal the run op carried (the caller's own numbering). */
  ordinal: number;
  /** Tag table index of the output tag. */
  index: number;
  value: TagScalar;
  quality: Quality;
  /** 'error': the null/bad value a failed run publishes for an output it could not compute. */
  reason?: 'error';
}

/** A run that failed in a batch. */
export interface FailedRun {
  ordinal: number;
  slot: number;
  op: number;
  error: Diagnostic;
}

export interface OpsResult {
  records: PublishedRecord[];
  /**
   * A batch that ran whole in one VM call, asked for with runOps's `raw`: its out buffer and side
   * strings as they came back, instead of `records` (read them with eachRecord, guest-output.ts).
   */
  raw?: { out: Float64Array; strings: string[] };
  failures: FailedRun[];
  /** Conditional runs that did not evaluate (not triggered, or an input never seen), by ordinal. */
  skipped: number[];
  /** Set when the sandbox broke: ops from this index on were not applied. */
  brokenAt: number | null;
}
