import { compileTracedScript, toUserColumns, type TracedProgram } from '../compiler/compile-traced-script';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { ConsoleLog, InputSample, PreviousOutput, ScriptSandbox } from '../sandbox/script-sandbox';
import type { RunnableDraft } from '../model/script-schema';
import type { LabRunResult } from './lab-run';
import { decodeTrace, EMPTY_TRACE, type Trace, type TraceStep } from './trace-steps';

/**
 * The pieces of a debug run shared by one-off debug runs and debug sessions: load a traced program
 * (its initCode traced), run its calcCode once traced, and read back outputs, static variables,
 * console logs and the trace — also when the script threw or timed out.
 */

/**
 * Extra CPU time a traced calculation may use beyond the calculation limit: recording costs about a
 * microsecond per step plus a fraction per variable, and is bounded by the 10 000-step cap. Without
 * it a script that runs well in the engine could time out only because it is being traced.
 */
export const TRACE_CPU_ALLOWANCE_MS = 200;

export interface LabDebugResult extends LabRunResult {
  trace: TraceStep[];
  truncated: boolean;
}

/** `diagnostics` are the compiler's; a failed load with `error: null` did not compile. */
export type TracedLoad =
  | { ok: true; diagnostics: Diagnostic[]; traced: TracedProgram; slot: number; trace: Trace; logs: ConsoleLog[] }
  | { ok: false; diagnostics: Diagnostic[]; error: Diagnostic | null; trace: Trace; logs: ConsoleLog[] };

/** Compiles the draft traced and loads it (running its initCode, traced). Capture must be on. */
export function loadTraced(
  sandbox: ScriptSandbox,
  draft: RunnableDraft,
  options: { now: number; previous: Array<PreviousOutput | null> },
): TracedLoad {
  const compiled = compileTracedScript(draft);
  if (!compiled.traced) return { ok: false, diagnostics: compiled.diagnostics, error: null, trace: EMPTY_TRACE, logs: [] };
  const traced = compiled.traced;
  const loaded = sandbox.load(traced.program, { now: options.now, previous: options.previous, reportAll: true, trace: true });
  if (!loaded.ok) {
    const trace = loaded.slot === undefined ? EMPTY_TRACE : decodeTrace(sandbox.takeTrace(loaded.slot), traced.sites);
    const logs = sandbox.broken ? [] : sandbox.takeLogs();
    return { ok: false, diagnostics: compiled.diagnostics, error: toUserColumns(loaded.error, traced), trace, logs };
  }
  const trace = decodeTrace(sandbox.takeTrace(loaded.slot), traced.sites);
  return { ok: true, traced, slot: loaded.slot, trace, logs: sandbox.takeLogs(loaded.slot), diagnostics: compiled.diagnostics };
}

/** Runs a loaded traced program's calcCode once. */
export function evaluateTraced(
  sandbox: ScriptSandbox,
  load: { traced: TracedProgram; slot: number },
  draft: RunnableDraft,
  request: { inputs: Array<InputSample | null>; now: number },
): Omit<LabDebugResult, 'diagnostics'> {
  const inputs = request.inputs.map((input) => input ?? { value: null, ts: request.now, quality: 'bad' as const });
  const started = performance.now();
  const limitMs = sandbox.limits.cpuMs;
  const batch = sandbox.evaluate([{ slot: load.slot, now: request.now, inputs }], limitMs + TRACE_CPU_ALLOWANCE_MS);
  const durationMs = performance.now() - started;
  const outcome = batch.results[0];
  const outputs: LabRunResult['outputs'] = draft.outputs.map(() => null);
  let error: Diagnostic | null = null;
  if (outcome && outcome.status !== 'skipped') {
    for (const sample of outcome.outputs) outputs[sample.index] = { value: sample.value, quality: sample.quality };
    if (outcome.status === 'failed') error = explainTimeout(toUserColumns(outcome.error, load.traced), limitMs);
  }
  if (sandbox.broken) {
    return { outputs, staticVars: {}, durationMs, error, logs: [], trace: [], truncated: false };
  }
  const trace = decodeTrace(sandbox.takeTrace(load.slot), load.traced.sites);
  return {
    outputs,
    staticVars: sandbox.readStatic(load.slot),
    durationMs,
    error,
    logs: sandbox.takeLogs(load.slot),
    trace: trace.steps,
    truncated: trace.truncated,
  };
}

function explainTimeout(error: Diagnostic, limitMs: number): Diagnostic {
  if (error.kind !== 'timeout' || error.source === 'definition') return error;
  const params = { part: error.source, total: limitMs + TRACE_CPU_ALLOWANCE_MS, ms: limitMs, allowance: TRACE_CPU_ALLOWANCE_MS };
  return diagnostic(error.code === 'timeout' ? 'trace-timeout-other' : 'trace-timeout', params, { source: error.source, kind: 'timeout', line: error.line, column: error.column });
}
