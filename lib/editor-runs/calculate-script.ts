import type { Diagnostic } from '../model/diagnostic';
import type { EditorRunPorts } from './editor-run-ports';
import type { RunnableDraft } from '../model/script-schema';
import { isoTime, type Quality, type TagScalar } from '../model/tag-value';
import type { LabRunResult } from '../lab/lab-run';
import { collectRunInputs, resolveRunTarget, type RunInputs, type RunTarget } from './resolve-run-target';

/** api.md CalcResult */
export interface CalcResult {
  scriptId: string | null;
  name: string | null;
  inputs: Record<string, { alias: string; value: TagScalar; ts: string | null; quality: Quality }>;
  outputs: Record<string, { value: TagScalar; quality: Quality }>;
  staticVars: Record<string, unknown>;
  calcAt: string;
  durationMs: number;
  error: Diagnostic | null;
}

export interface RunRequest {
  script?: RunnableDraft;
  scriptId?: string;
  inputs?: Record<string, TagScalar>;
}

/** Runs a draft or a saved script once on the latest data, without registering it. */
export async function calculateScript(services: Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'>, request: RunRequest): Promise<CalcResult> {
  const { result } = await runOnce(services, request);
  return result;
}

export async function runOnce(
  services: Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'>,
  request: RunRequest,
): Promise<{ target: RunTarget; inputs: RunInputs; run: LabRunResult; result: CalcResult }> {
  const target = await resolveRunTarget(services, request);
  const now = Date.now();
  const inputs = collectRunInputs(services, target.draft, request.inputs, now);
  const run = await services.lab.run({ draft: target.draft, inputs: inputs.samples, previous: inputs.previous, now });
  const compileError = run.diagnostics.find((diagnostic) => diagnostic.severity === 'error') ?? null;
  return { target, inputs, run, result: toCalcResult(target, inputs, run, now, run.error ?? compileError) };
}

export function toCalcResult(target: RunTarget, inputs: RunInputs, run: LabRunResult, now: number, error: Diagnostic | null): CalcResult {
  const inputEntries: CalcResult['inputs'] = {};
  target.draft.inputs.forEach((input, index) => {
    const sample = inputs.samples[index];
    inputEntries[input.tag] = sample
      ? { alias: input.alias, value: sample.value, ts: isoTime(sample.ts), quality: sample.quality }
      : { alias: input.alias, value: null, ts: null, quality: 'bad' };
  });
  const outputEntries: CalcResult['outputs'] = {};
  target.draft.outputs.forEach((output, index) => {
    const computed = run.outputs[index];
    if (computed) outputEntries[output.tag] = computed;
  });
  return {
    scriptId: target.scriptId,
    name: target.name,
    inputs: inputEntries,
    outputs: outputEntries,
    staticVars: run.staticVars,
    calcAt: isoTime(now),
    durationMs: Math.round(run.durationMs * 1000) / 1000,
    error,
  };
}
