import { mergeColumns } from '../history/merge-series';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import { UserError } from '../model/errors';
import { MinMaxDownsampler } from '../history/downsample';
import { KIND_ABSENT, qualityOf, readHistoryColumns, valueAt } from '../history/history-columns';
import { readAhead, readAheadNow } from '../history/read-ahead';
import type { HistoryPoint } from '../ports/history-store';
import type { EditorRunPorts } from './editor-run-ports';
import type { RunnableDraft } from '../model/script-schema';
import { parseRange } from '../history/get-tag-history';
import { isoTime, type TagScalar } from '../model/tag-value';
import type { RunRequest } from './calculate-script';
import type { ReplayChunk } from '../lab/plot-replay';
import { replaySteps, type ReplayStepsState } from './replay-steps';
import { constantOverrides, resolveRunTarget, type ConstantOverride } from './resolve-run-target';

/**
 * Plot: a script's inputs over a time range from the history store, and its outputs computed by
 * replaying that history through the script in time order, as the engine would have computed them.
 *
 * Pipeline (bounded memory whatever the range), column-wise from the store to the lab:
 *   history store ─ readColumns(tag) pages per input ─▶ mergeColumns (instants in time order)
 *     ─▶ replaySteps (as-of alignment, triggers; packed chunks of steps) ─▶ lab thread (PlotReplay:
 *     batched evaluation, downsampled outputs)
 * The host reads and merges the next chunk while the lab evaluates the current one; the input
 * series are downsampled on the way. Reading stays on the main thread because the embedded store
 * (PGlite) lives there.
 */

export interface PlotRequest extends RunRequest {
  from: string | number;
  to: string | number;
  maxPoints?: number;
}

export interface PlotSeries {
  tag: string;
  alias?: string;
  role: 'input' | 'output';
  points: Array<{ ts: string; value: TagScalar }>;
}

export interface PlotResult {
  series: PlotSeries[];
  evaluations: number;
  errors: number;
  /** The first failed evaluation (or why the replay stopped early), null when none failed. */
  error: Diagnostic | null;
}

export const DEFAULT_PLOT_POINTS = 1000;
/** Evaluations one plot may make: a week of 1 s data is 604 800; this is ten times more. */
export const MAX_PLOT_EVALUATIONS = 6_048_000;
/** Steps per chunk sent to the lab (one chunk is evaluated while the next is read). */
export const STEPS_PER_CHUNK = 16_384;
/**
 * Points per page read from the history store, per input: one page per input for about one chunk
 * of steps. PGlite runs on this thread and blocks it for the whole query, so the reads must come in
 * slices no longer than the lab's work on a chunk, or the lab waits: with pages of 50 000 the
 * three inputs' pages arrived together every sixth chunk of 8 192 steps and the lab thread sat idle
 * for about 2 s of a 7-day plot; with pages the size of a chunk it waits ~0.3 s. Larger pages
 * save nothing measurable (the per-page cost is a few statements).
 */
export const PLOT_READ_PAGE = 16_384;

export async function plotScript(services: Pick<EditorRunPorts, 'store' | 'history' | 'lab'>, request: PlotRequest): Promise<PlotResult> {
  const target = await resolveRunTarget(services, request);
  const draft = target.draft;
  const { from, to } = parseRange(request.from, request.to);
  const maxPoints = request.maxPoints ?? DEFAULT_PLOT_POINTS;
  const trigger = draft.trigger ?? { type: 'onChange' as const };
  if (trigger.type === 'periodic' && (to - from) / trigger.intervalMs > MAX_PLOT_EVALUATIONS) {
    throw new UserError(
      'VALIDATION_FAILED',
      `a plot of this periodic script over this range would evaluate it more than ${MAX_PLOT_EVALUATIONS} times; shorten the range`,
    );
  }

  const overrides = constantOverrides(request.inputs);
  for (const alias of Object.keys(overrides)) {
    if (!draft.inputs.some((input) => input.alias === alias)) {
      throw new UserError('VALIDATION_FAILED', `inputs.${alias}: '${alias}' is not an input alias of this script`, { alias });
    }
  }
  const fixed = draft.inputs.map((input) => Object.hasOwn(overrides, input.alias));
  const readTags = [...new Set(draft.inputs.filter((_, index) => !fixed[index]).map((input) => input.tag))];
  const inputSamplers = new Map(readTags.map((tag) => [tag, new MinMaxDownsampler(from, to, maxPoints)]));
  const state: ReplayStepsState = { steps: 0, capped: false };

  // Reading starts now, while the lab thread compiles and loads the script.
  const chunks = readAheadNow(replayChunks(services, draft, { from, to, fixed, overrides, readTags, inputSamplers, state }));
  let replayed: Awaited<ReturnType<typeof services.lab.replay>>;
  try {
    replayed = await services.lab.replay({ draft, from, to, maxPoints }, chunks);
  } finally {
    // The lab refused the script, or the replay stopped early: release the history readers (in the
    // background: a read under way finishes first, and a store that hangs must not delay the answer).
    void chunks.close();
  }
  if (!replayed.ok) {
    const first = replayed.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    throw new UserError('SCRIPT_INVALID', `the script cannot be plotted: ${first?.message ?? 'see diagnostics'}`, { diagnostics: replayed.diagnostics });
  }
  const outcome = replayed.outcome;

  const series: PlotSeries[] = draft.inputs.map((input, index) => ({
    tag: input.tag,
    alias: input.alias,
    role: 'input',
    points: fixed[index]
      ? [from, to].map((ts) => ({ ts: isoTime(ts), value: overrides[input.alias].value }))
      : toPoints(inputSamplers.get(input.tag)!.points()),
  }));
  draft.outputs.forEach((output, index) => series.push({ tag: output.tag, role: 'output', points: toPoints(outcome.outputs[index]) }));

  let error = outcome.firstError;
  if (state.capped) {
    const note = `the plot stopped after ${MAX_PLOT_EVALUATIONS} evaluations; shorten the range to see the rest`;
    error = error
      ? { ...error, message: `${error.message} (${note})` }
      : diagnostic('plot-capped', { count: MAX_PLOT_EVALUATIONS }, { severity: 'warning', source: 'definition', kind: 'definition' });
  }
  return { series, evaluations: outcome.evaluations, errors: outcome.errors, error };
}

/**
 * The evaluation steps of `draft` over its inputs' history in [from, to], in chunks: what the plot
 * and backfill (lib/backfill) both feed to PlotReplay in the lab — one code path.
 */
export async function* replayChunks(
  services: Pick<EditorRunPorts, 'history'>,
  draft: RunnableDraft,
  context: {
    from: number;
    to: number;
    fixed: boolean[];
    overrides: Record<string, ConstantOverride>;
    readTags: string[];
    /** The plot's downsampled input series (backfill has none). */
    inputSamplers?: Map<string, MinMaxDownsampler>;
    state: ReplayStepsState;
    /** Default MAX_PLOT_EVALUATIONS. */
    maxSteps?: number;
    /** Steps per chunk; default STEPS_PER_CHUNK. */
    chunkSize?: number;
    /** Points per page read from the store, per input; default PLOT_READ_PAGE. */
    readPage?: number;
    /** The reads are a background job's (backfill): after requests' statements where the store can. */
    readBulk?: boolean;
  },
): AsyncIterable<ReplayChunk> {
  const { from, to, fixed, overrides } = context;
  // The value each input holds when the range starts: its last point before `from`.
  const latest = new Map(
    await Promise.all(context.readTags.map(async (tag) => [tag, await services.history.readLatestBefore(tag, from - 1)] as const)),
  );
  const seeds = draft.inputs.map((input, index): HistoryPoint | null =>
    fixed[index] ? { ...overrides[input.alias], ts: from } : (latest.get(input.tag) ?? null),
  );
  const trigger = draft.trigger ?? { type: 'onChange' as const };
  const triggerAliases = trigger.type === 'onChange' ? new Set(trigger.inputs ?? draft.inputs.map((input) => input.alias)) : null;
  const pages = context.readTags.map((tag) => [tag, readAhead(readHistoryColumns(services.history, tag, from, to, { chunkSize: context.readPage ?? PLOT_READ_PAGE, bulk: context.readBulk }))] as const);
  const inputSamplers = context.inputSamplers;
  const samplers = inputSamplers ? context.readTags.map((tag) => inputSamplers.get(tag)!) : [];
  yield* replaySteps(
    mergeColumns(pages, { maxInstants: context.chunkSize ?? STEPS_PER_CHUNK }),
    {
      tags: draft.inputs.map((input) => input.tag),
      seriesTags: context.readTags,
      seeds,
      fixed,
      trigger: triggerAliases
        ? { type: 'onChange', inputs: draft.inputs.map((input, index) => triggerAliases.has(input.alias) && !fixed[index]) }
        : { type: 'periodic', intervalMs: (trigger as { intervalMs: number }).intervalMs },
      from,
      to,
      chunkSize: context.chunkSize ?? STEPS_PER_CHUNK,
      maxSteps: context.maxSteps ?? MAX_PLOT_EVALUATIONS,
      // The input series of the plot, downsampled on the way.
      onBatch: samplers.length === 0 ? undefined : (batch, used) => {
        // Local copies: under tsx an imported binding is read through a getter on every use.
        const [absent, valueOf, qualityName] = [KIND_ABSENT, valueAt, qualityOf];
        for (let s = 0; s < samplers.length; s++) {
          const column = batch.series[s];
          const sampler = samplers[s];
          for (let i = 0; i < used; i++) {
            if (column.kind[i] !== absent) sampler.addValue(batch.ts[i], valueOf(column, i), qualityName(column.quality[i]));
          }
        }
      },
    },
    context.state,
  );
}

function toPoints(points: readonly HistoryPoint[]): PlotSeries['points'] {
  return points.map((point) => ({ ts: isoTime(point.ts), value: point.value }));
}
