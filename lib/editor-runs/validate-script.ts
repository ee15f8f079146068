import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { EditorRunPorts } from './editor-run-ports';
import { runOnce, type CalcResult, type RunRequest } from './calculate-script';

export interface ValidateResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  result: CalcResult | null;
}

/** Compiles, checks names, and runs once on the latest data; never registers anything. */
export async function validateScript(services: Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'>, request: RunRequest): Promise<ValidateResult> {
  const { target, inputs, run, result } = await runOnce(services, request);
  const diagnostics: Diagnostic[] = [...run.diagnostics];
  const compiled = !diagnostics.some((diagnostic) => diagnostic.severity === 'error');
  for (const alias of inputs.missing) {
    const tag = target.draft.inputs.find((input) => input.alias === alias)?.tag;
    diagnostics.push(diagnostic('input-no-value', { alias, tag: tag ?? '' }, { severity: 'warning', source: 'definition', kind: 'definition' }));
  }
  if (compiled && run.error) diagnostics.push(run.error);
  return {
    ok: !diagnostics.some((diagnostic) => diagnostic.severity === 'error'),
    diagnostics,
    result: compiled ? result : null,
  };
}
