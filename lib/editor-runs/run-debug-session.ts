import type { EditorRunPorts } from './editor-run-ports';
import { toDebugResult, type DebugResult } from './debug-script';
import { collectRunInputs, type InputOverrides } from './resolve-run-target';

/** One more run of a debug session's calcCode, on the latest data (or the values given), traced. */
export async function runDebugSession(
  services: Pick<EditorRunPorts, 'catalog' | 'lab'>,
  id: string,
  overrides: InputOverrides | undefined,
): Promise<DebugResult> {
  const { draft } = services.lab.sessions.get(id);
  const now = Date.now();
  const inputs = collectRunInputs(services, draft, overrides, now);
  const { result } = await services.lab.sessions.run(id, { inputs: inputs.samples, now });
  return toDebugResult({ scriptId: null, name: draft.name ?? null, draft }, inputs, result, now);
}
