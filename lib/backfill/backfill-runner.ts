import { messageOf } from '../model/errors';
import type { JobProgress, StoredJob } from '../model/job';
import type { HistoryColumnBatch, HistoryLineage } from '../ports/history-store';
import type { ReplayProgress, ReplayPublishedColumns } from '../lab/plot-replay';
import { emptyColumns } from '../history/history-columns';
import { writeColumnBatches } from '../history/write-columns';
import { readAheadNow } from '../history/read-ahead';
import { replayChunks } from '../editor-runs/plot-script';
import type { BackfillPorts } from './backfill-ports';

/**
 * Runs backfill jobs (history-ml.md "Backfill") in the process that has the lab thread: the script's
 * inputs' history is read on this thread (the embedded store lives here) and replayed through the
 * plot's code path (replayChunks → PlotReplay in the lab thread: the engine's compiler, sandbox,
 * ordering, deadbands and state, carried from chunk to chunk) with every published value handed back
 * per chunk as typed-array columns per output (transferred from the lab: no object per value on this
 * thread). Per chunk, in time order: `fill` drops values where the output already has a point,
 * the values are written with the history's column-wise bulk write (lineage: script id, name, version; the triggering step's
 * time), then the progress is saved — which is also the heartbeat and where a cancel is noticed.
 * After a restart a job whose heartbeat is old is claimed again and replayed from `from` (state
 * rebuilt), writing only from `processedUntil` on. The output topic is never touched.
 */

export interface BackfillRunnerOptions {
  /** Jobs at once in this process (BACKFILL_CONCURRENCY). */
  concurrency: number;
  /** How often queued jobs are looked for (a start in this process wakes the runner at once). */
  pollMs?: number;
  /** A running job whose heartbeat is older than this is taken over (its process died). */
  staleMs?: number;
  /** Steps per chunk (BACKFILL_CHUNK_STEPS); default BACKFILL_CHUNK_STEPS. */
  chunkSteps?: number;
}

export const BACKFILL_POLL_MS = 1000;
export const BACKFILL_STALE_MS = 15_000;
/**
 * Steps per chunk: progress is saved, a cancel noticed and a restart resumed at this grain; each
 * chunk's steps may use their CPU deadline before the lab's watchdog stops the thread. An editor run
 * waits behind the chunk in the lab thread, and the API behind the chunk's write on the main thread
 * (docs/performance.md, "P8 backfill", for the measured sizes).
 */
export const BACKFILL_CHUNK_STEPS = 2048;
/** Steps of unbounded length: a backfill may cover months. */
const NO_STEP_LIMIT = Number.MAX_SAFE_INTEGER;

export class BackfillRunner {
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private again = false;
  private stopping = false;

  constructor(
    private readonly ports: BackfillPorts,
    private readonly options: BackfillRunnerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMs ?? BACKFILL_POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work now. */
  kick(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimAll()
      .catch((error) => this.ports.log.warn(`backfill jobs could not be claimed: ${messageOf(error)}`))
      .finally(() => {
        this.claiming = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Stops claiming and stops the running jobs at their next chunk; they stay `running` and resume after the restart. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.all([...this.running]);
  }

  private async claimAll(): Promise<void> {
    const jobs = this.ports.jobs;
    if (!jobs) return;
    while (!this.stopping && this.running.size < this.options.concurrency) {
      const now = this.ports.now();
      const job = await jobs.claim(new Date(now), new Date(now - (this.options.staleMs ?? BACKFILL_STALE_MS)));
      if (!job) return;
      const run: Promise<void> = this.run(job).finally(() => {
        this.running.delete(run);
        this.kick();
      });
      this.running.add(run);
    }
  }

  private async run(job: StoredJob): Promise<void> {
    const log = this.ports.log.child({ jobId: job.id, scriptId: job.scriptId });
    log.info({ from: job.from, to: job.to, mode: job.mode, resumeAt: job.progress.processedUntil }, 'backfill started');
    const jobs = this.ports.jobs!;
    const progress: JobProgress = { ...job.progress };
    const heartbeat = setInterval(() => {
      void jobs.saveProgress(job.id, progress, new Date(this.ports.now())).catch(() => undefined);
    }, (this.options.staleMs ?? BACKFILL_STALE_MS) / 3);
    heartbeat.unref();
    try {
      const outcome = await backfill(this.ports, job, progress, () => this.stopping, this.options.chunkSteps);
      if (outcome === 'interrupted') return;
      await jobs.finish(job.id, outcome.error ? 'failed' : 'done', progress, outcome.error, new Date(this.ports.now()));
      log.info({ ...progress, error: outcome.error }, 'backfill ended');
    } catch (error) {
      if (this.stopping) return;
      log.warn({ err: error }, 'backfill failed');
      await jobs.finish(job.id, 'failed', progress, `the backfill failed: ${messageOf(error)}`, new Date(this.ports.now())).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
    }
  }
}

/**
 * One job, from its saved progress to its end. Updates `progress` in place. 'interrupted': cancelled
 * (the store already says so) or the process is stopping (the job resumes after the restart).
 */
export async function backfill(
  ports: Pick<BackfillPorts, 'store' | 'history' | 'jobs' | 'lab' | 'now'>,
  job: StoredJob,
  progress: JobProgress,
  stopping: () => boolean = () => false,
  chunkSteps = BACKFILL_CHUNK_STEPS,
): Promise<{ error: string | null } | 'interrupted'> {
  const found = await ports.store.getVersion(job.scriptId, job.version);
  if (!found?.found) return { error: `script '${job.scriptId}' has no version ${job.version} any more` };
  const draft = found.found.definition;
  const lineage = { id: job.scriptId, name: draft.name, version: job.version };
  const outputTags = draft.outputs.map((output) => output.tag);
  const resumeAt = progress.processedUntil ?? job.from;
  const span = job.to - job.from;

  if (job.mode === 'replace') for (const tag of new Set(outputTags)) await ports.history.deleteRange(tag, resumeAt, job.to);

  const readTags = [...new Set(draft.inputs.map((input) => input.tag))];
  const chunks = readAheadNow(
    replayChunks(ports, draft, {
      from: job.from,
      to: job.to,
      fixed: draft.inputs.map(() => false),
      overrides: {},
      readTags,
      state: { steps: 0, capped: false },
      maxSteps: NO_STEP_LIMIT,
      chunkSize: chunkSteps,
      // Pages of about a chunk: PGlite holds the main thread (and the API) for the whole of each read.
      readPage: chunkSteps,
      // At the writes' low priority in PGlite's thread: an API request's statement never waits behind them.
      readBulk: true,
    }),
  );
  let evaluationsSeen = 0;
  let errorsSeen = 0;
  let interrupted = false;
  const onChunk = async (chunk: ReplayProgress): Promise<boolean> => {
    const newEvaluations = chunk.evaluations - evaluationsSeen;
    const newErrors = chunk.errors - errorsSeen;
    evaluationsSeen = chunk.evaluations;
    errorsSeen = chunk.errors;
    const lastStep = chunk.lastStep ?? resumeAt;
    // Replaying from `from` after a restart: the chunks before `resumeAt` only rebuild the state.
    if (lastStep >= resumeAt) {
      const batches: HistoryColumnBatch[] = [];
      for (const [output, columns] of (chunk.published ?? []).entries()) {
        const batch = await keepWritable(ports, job, outputTags[output], columns, resumeAt, lineage);
        if (batch.length > 0) batches.push(batch);
      }
      progress.written += await writeColumnBatches(ports.history, batches);
      progress.evaluations += newEvaluations;
      progress.errors += newErrors;
      progress.processedUntil = Math.min(job.to, lastStep + 1);
      progress.fraction = span > 0 ? Math.min(1, (progress.processedUntil - job.from) / span) : 1;
      const goOn = await ports.jobs!.saveProgress(job.id, progress, new Date(ports.now()));
      if (!goOn || stopping()) {
        interrupted = true;
        return false;
      }
    } else if (stopping()) {
      interrupted = true;
      return false;
    }
    return true;
  };
  let result: Awaited<ReturnType<typeof ports.lab.replay>>;
  try {
    result = await ports.lab.replay({ draft, from: job.from, to: job.to, maxPoints: 2, collect: true }, chunks, onChunk);
  } finally {
    void chunks.close();
  }
  if (interrupted) return 'interrupted';
  if (!result.ok) {
    const first = result.diagnostics.find((diagnostic) => diagnostic.severity === 'error') ?? result.diagnostics[0];
    return { error: `version ${job.version} of the script cannot run: ${first?.message ?? 'see its diagnostics'}` };
  }
  progress.processedUntil = job.to;
  progress.fraction = 1;
  if (result.outcome.stopped) return { error: result.outcome.firstError?.message ?? 'the replay stopped' };
  return { error: null };
}

/**
 * One output's published columns as a batch to write: its points in [resumeAt, job.to) and, with
 * `fill`, only where the output has no point yet (`replace` emptied the period). Typed arrays only.
 */
async function keepWritable(
  ports: Pick<BackfillPorts, 'history'>,
  job: StoredJob,
  tag: string,
  columns: ReplayPublishedColumns,
  resumeAt: number,
  script: HistoryLineage,
): Promise<HistoryColumnBatch> {
  const n = columns.length;
  let taken: Set<number> | null = null;
  if (job.mode === 'fill' && n > 0) {
    taken = new Set<number>();
    for await (const page of ports.history.readTimestamps(tag, columns.ts[0], columns.ts[n - 1] + 1)) for (const ts of page) taken.add(ts);
  }
  const batch: HistoryColumnBatch = { ...emptyColumns(n), texts: columns.texts, tag, reasons: [], source: 'script', script };
  const reasons: Array<[number, 'error']> = [];
  let failed = 0;
  for (let index = 0; index < n; index++) {
    while (failed < columns.failed.length && columns.failed[failed] < index) failed++;
    const ts = columns.ts[index];
    if (ts < resumeAt || ts >= job.to || taken?.has(ts)) continue;
    const at = batch.length++;
    batch.ts[at] = ts;
    batch.num[at] = columns.num[index];
    batch.kind[at] = columns.kind[index];
    batch.quality[at] = columns.quality[index];
    if (columns.failed[failed] === index) reasons.push([at, 'error']);
  }
  batch.reasons = reasons;
  return batch;
}
