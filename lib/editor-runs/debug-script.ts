import type { EditorRunPorts } from './editor-run-ports';
import type { ConsoleLog } from '../sandbox/script-sandbox';
import { toCalcResult, type CalcResult, type RunRequest } from './calculate-script';
import { collectRunInputs, resolveRunTarget, type RunInputs, type RunTarget } from './resolve-run-target';
import type { TraceStep } from '../lab/trace-steps';
import type { LabDebugResult } from '../lab/traced-run';

/** api.md: CalcResult & { trace: Step[], logs: Log[] }, with `truncated: true` when the trace was capped. */
export interface DebugResult extends CalcResult {
  trace: TraceStep[];
  logs: ConsoleLog[];
  truncated?: true;
}

/**
 * Runs a draft or a saved script once on the latest data, traced: every executed statement of its
 * initCode and calcCode with the values of its variables after it, and its console output.
 */
export async function debugScript(services: Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'>, request: RunRequest): Promise<DebugResult> {
  const target = await resolveRunTarget(services, request);
  const now = Date.now();
  const inputs = collectRunInputs(services, target.draft, request.inputs, now);
  const run = await services.lab.debug({ draft: target.draft, inputs: inputs.samples, previous: inputs.previous, now });
  return toDebugResult(target, inputs, run, now);
}

export function toDebugResult(target: RunTarget, inputs: RunInputs, run: LabDebugResult, now: number): DebugResult {
  const compileError = run.diagnostics.find((diagnostic) => diagnostic.severity === 'error') ?? null;
  return {
    ...toCalcResult(target, inputs, run, now, run.error ?? compileError),
    trace: run.trace,
    logs: run.logs,
    ...(run.truncated ? { truncated: true as const } : {}),
  };
}
