import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { EditorRunPorts } from './editor-run-ports';
import type { RunnableDraft } from '../model/script-schema';
import { isoTime, type Quality, type TagScalar } from '../model/tag-value';
import type { LabRunResult } from '../lab/lab-run';
import { collectRunInputs, resolveRunTarget, type InputOverrides, type RunInputs, type RunTarget } from './resolve-run-target';

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
  /**
   * What the engine would do differently, or what to look at (beyond api.md): inputs never seen (the
   * engine waits for them), inputs that are null, outputs that would be published as null.
   */
  warnings: Diagnostic[];
  /** False when an input has never had a value: the engine would wait and not run the script yet. */
  engineWouldRun: boolean;
}

export interface RunRequest {
  script?: RunnableDraft;
  scriptId?: string;
  inputs?: InputOverrides;
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
    warnings: runWarnings(target, inputs, outputEntries, error),
    engineWouldRun: inputs.missing.length === 0,
  };
}

/** A warning of a run, coded so the IDE says it in the user's language (lib/model/diagnostic-messages.ts). */
const warning = (code: 'input-no-value' | 'input-null' | 'input-stale' | 'output-null', params: Record<string, string>): Diagnostic =>
  diagnostic(code, params, { severity: 'warning', source: 'definition', kind: code === 'output-null' ? 'output' : 'definition' });

/** What a plant user should know before trusting a run: how the engine would differ, and null values. */
export function runWarnings(target: RunTarget, inputs: RunInputs, outputs: CalcResult['outputs'], error: Diagnostic | null): Diagnostic[] {
  const warnings: Diagnostic[] = [];
  const tagOf = (alias: string) => target.draft.inputs.find((input) => input.alias === alias)?.tag ?? alias;
  for (const alias of inputs.missing) warnings.push(warning('input-no-value', { alias, tag: tagOf(alias) }));
  for (const alias of inputs.nulls) warnings.push(warning('input-null', { alias, tag: tagOf(alias) }));
  for (const alias of inputs.stale) warnings.push(warning('input-stale', { alias, tag: tagOf(alias) }));
  if (error === null) {
    for (const output of target.draft.outputs) {
      if (outputs[output.tag]?.value === null) warnings.push(warning('output-null', { tag: output.tag, variable: output.variable }));
    }
  }
  return warnings;
}
