import { UserError } from '../model/errors';
import type { EditorRunPorts } from './editor-run-ports';
import type { RunRequest } from './calculate-script';
import { collectRunInputs, resolveRunTarget } from './resolve-run-target';
import type { BenchmarkFigures } from '../lab/run-benchmark';

export const DEFAULT_BENCHMARK_MS = 1000;

/**
 * Runs a draft or a saved script over and over on the latest data for `durationMs`, as the engine
 * would (batched evaluation, its limits, state carried over), and reports how long an evaluation
 * takes. Runs in a lab thread of its own, so neither the API nor the engine waits for it.
 */
export async function benchmarkScript(
  services: Pick<EditorRunPorts, 'store' | 'catalog' | 'lab'>,
  request: RunRequest & { durationMs?: number },
): Promise<BenchmarkFigures> {
  const target = await resolveRunTarget(services, request);
  const now = Date.now();
  const inputs = collectRunInputs(services, target.draft, request.inputs, now);
  const outcome = await services.lab.benchmark({
    draft: target.draft,
    inputs: inputs.samples,
    previous: inputs.previous,
    now,
    durationMs: request.durationMs ?? DEFAULT_BENCHMARK_MS,
  });
  if (!outcome.ok) {
    const first = outcome.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    throw new UserError('SCRIPT_INVALID', `the script cannot be benchmarked: ${first?.message ?? 'see diagnostics'}`, { diagnostics: outcome.diagnostics });
  }
  return outcome.figures;
}
