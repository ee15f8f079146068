import { messageOf } from '../model/errors';
import type { JobProgress, StoredJob } from '../model/job';
import type { HistoryRecord } from '../ports/history-store';
import type { ReplayProgress } from '../lab/plot-replay';
import { readAheadNow } from '../history/read-ahead';
import { replayChunks } from '../editor-runs/plot-script';
import type { BackfillPorts } from './backfill-ports';

/**
 * Runs backfill jobs (history-ml.md "Backfill") in the process that has the lab thread: the script's
 * inputs' history is read on this thread (the embedded store lives here) and replayed through the
 * plot's code path (replayChunks → PlotReplay in the lab thread: the engine's compiler, sandbox,
 * ordering, deadbands and state, carried from chunk to chunk) with every published value handed back
 * per chunk. Per chunk, in time order: `fill` drops values where the output already has a point,
 * the values are written with writeBulk (lineage: script id, name, version; the triggering step's
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
      const values = (chunk.published ?? []).filter((value) => value.ts >= resumeAt && value.ts < job.to);
      const records = await keepWritable(ports, job, values.map((value): HistoryRecord => {
        const record: HistoryRecord = { tag: outputTags[value.output], value: value.value, ts: value.ts, quality: value.quality, source: 'script', script: lineage };
        if (value.reason) record.reason = value.reason;
        return record;
      }));
      progress.written += records.length > 0 ? await ports.history.writeBulk(records) : 0;
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

/** `fill`: only where the output has no point yet; `replace`: everything (the period was emptied). */
async function keepWritable(ports: Pick<BackfillPorts, 'history'>, job: StoredJob, records: HistoryRecord[]): Promise<HistoryRecord[]> {
  if (job.mode === 'replace' || records.length === 0) return records;
  const first = records[0].ts;
  const last = records[records.length - 1].ts;
  const taken = new Map<string, Set<number>>();
  for (const tag of new Set(records.map((record) => record.tag))) {
    const times = new Set<number>();
    for await (const page of ports.history.readTimestamps(tag, first, last + 1)) for (const ts of page) times.add(ts);
    taken.set(tag, times);
  }
  return records.filter((record) => !taken.get(record.tag)!.has(record.ts));
}
