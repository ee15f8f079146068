import { compileScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import { MinMaxDownsampler } from '../history/downsample';
import { emptyColumns, setValue, qualityCode, type HistoryColumns } from '../history/history-columns';
import type { HistoryPoint } from '../ports/history-store';
import { ScriptSandbox, type EvaluationJob, type InputSample, type SandboxLimits } from '../sandbox/script-sandbox';
import type { RunnableDraft } from '../model/script-schema';
import { QUALITIES } from '../model/tag-value';

/**
 * The evaluation side of a plot (in the lab thread): the script as the engine runs it (plain
 * compilation, change detection and deadbands, state carried from step to step) over a stream of
 * replay steps the host sends in chunks; each output's published values go through a downsampler,
 * so memory stays bounded whatever the length of the range.
 */

export interface ReplayOpenRequest {
  draft: RunnableDraft;
  from: number;
  to: number;
  maxPoints: number;
  /** Backfill: also hand back every published value of each chunk (`ReplayProgress.published`). */
  collect?: boolean;
}

/**
 * One output's values published in a chunk (backfill), column-wise in time order, each stamped with
 * its triggering step's time: typed arrays the lab hands back (transferred, not copied) so that the
 * host makes no object per value before the history's column-wise bulk write.
 */
export interface ReplayPublishedColumns extends HistoryColumns {
  /** Points a failed evaluation published null/bad (reason "error", as the engine does), ascending. */
  failed: number[];
}

/**
 * A chunk of replay steps in a compact form that crosses threads cheaply. For job j and input i,
 * `inputs[(j * nInputs + i) * 4 + 0..3]` = type (0 null, 1 number, 2 false, 3 true, 4 string),
 * number (or index into `strings`), ts, quality (0 good, 1 uncertain, 2 bad).
 */
export interface ReplayChunk {
  times: Float64Array;
  inputs: Float64Array;
  strings: string[];
}

export interface ReplayProgress {
  evaluations: number;
  errors: number;
  /** Set when the replay gave up (repeated timeouts, a broken sandbox): later chunks are ignored. */
  stopped: boolean;
  /** With `collect`: the values published while evaluating this chunk, per output (by index), in time order. */
  published?: ReplayPublishedColumns[];
  /** With `collect`: the time of the chunk's last step. */
  lastStep?: number;
}

export interface ReplayOutcome extends ReplayProgress {
  /** Published values of each output, downsampled, by output index. */
  outputs: HistoryPoint[][];
  /** The first failure, if any (the others are counted in `errors`). */
  firstError: Diagnostic | null;
}

/** A module-local copy: under tsx an imported binding is read through a getter on every use. */
const QUALITY_NAMES = QUALITIES;

/** Replays stop after this many timeouts in a row: each costs the CPU limit, and the next would too. */
export const REPLAY_TIMEOUTS_IN_A_ROW = 3;
/** Jobs per VM call at most; the first calls are smaller so that a script that times out is found cheaply. */
const MAX_BATCH = 4096;
const FIRST_BATCH = 16;

export class PlotReplay {
  private evaluations = 0;
  private errors = 0;
  private timeoutsInARow = 0;
  private firstError: Diagnostic | null = null;
  private lastError: Diagnostic | null = null;
  private stopped = false;
  private batchSize = FIRST_BATCH;
  private readonly jobPool: EvaluationJob[] = [];
  private published: ReplayPublishedColumns[] | null = null;

  private constructor(
    private readonly sandbox: ScriptSandbox,
    private readonly slot: number,
    private readonly inputCount: number,
    private readonly samplers: MinMaxDownsampler[],
    private readonly collect: boolean,
  ) {}

  static async open(limits: SandboxLimits, request: ReplayOpenRequest): Promise<{ ok: true; replay: PlotReplay } | { ok: false; diagnostics: Diagnostic[] }> {
    const compiled = compileScript(request.draft);
    if (!compiled.program) return { ok: false, diagnostics: compiled.diagnostics };
    const sandbox = await ScriptSandbox.create(limits);
    // A replay starts from a fresh state at `from`: initCode runs with ctx.now = from, nothing published before.
    const loaded = sandbox.load(compiled.program, { now: request.from });
    if (!loaded.ok) {
      sandbox.dispose();
      return { ok: false, diagnostics: [...compiled.diagnostics, loaded.error] };
    }
    const samplers = request.draft.outputs.map(() => new MinMaxDownsampler(request.from, request.to, request.maxPoints));
    return { ok: true, replay: new PlotReplay(sandbox, loaded.slot, request.draft.inputs.length, samplers, request.collect === true) };
  }

  feed(chunk: ReplayChunk): ReplayProgress {
    if (this.collect) this.published = this.samplers.map(() => ({ ...emptyColumns(chunk.times.length), failed: [] }));
    for (let start = 0; start < chunk.times.length && !this.stopped; ) {
      const count = Math.min(this.batchSize, chunk.times.length - start);
      this.evaluate(this.jobsOf(chunk, start, count));
      start += count;
      if (this.batchSize < MAX_BATCH && this.timeoutsInARow === 0) this.batchSize = Math.min(MAX_BATCH, this.batchSize * 4);
    }
    const progress = this.progress();
    if (this.published) {
      progress.published = this.published;
      progress.lastStep = chunk.times[chunk.times.length - 1];
    }
    this.published = null;
    return progress;
  }

  finish(): ReplayOutcome {
    return { ...this.progress(), outputs: this.samplers.map((sampler) => sampler.points()), firstError: this.firstError };
  }

  dispose(): void {
    this.sandbox.dispose();
  }

  private progress(): ReplayProgress {
    return { evaluations: this.evaluations, errors: this.errors, stopped: this.stopped };
  }

  private evaluate(jobs: EvaluationJob[]): void {
    const batch = this.sandbox.evaluate(jobs);
    for (let index = 0; index < jobs.length; index++) {
      const result = batch.results[index];
      if (!result || result.status === 'skipped') continue;
      this.evaluations++;
      const ts = jobs[index].now;
      for (const sample of result.outputs) this.samplers[sample.index].addValue(ts, sample.value, sample.quality);
      if (this.published) {
        // A failed run publishes its outputs null/bad: the engine marks those with reason "error".
        const failed = result.status === 'failed';
        for (const sample of result.outputs) {
          const columns: ReplayPublishedColumns = this.published[sample.index];
          const at = columns.length;
          if (at === columns.ts.length) grow(columns);
          columns.ts[at] = ts;
          setValue(columns, at, sample.value);
          columns.quality[at] = qualityCode(sample.quality);
          columns.length = at + 1;
          if (failed && sample.value === null && sample.quality === 'bad') columns.failed.push(at);
        }
      }
      if (result.status === 'ok') {
        this.timeoutsInARow = 0;
        continue;
      }
      this.errors++;
      this.firstError ??= result.error;
      this.lastError = result.error;
      if (result.error.kind === 'timeout') {
        this.timeoutsInARow++;
        this.batchSize = 1;
        if (this.timeoutsInARow >= REPLAY_TIMEOUTS_IN_A_ROW) {
          this.stop(`the replay stopped after ${REPLAY_TIMEOUTS_IN_A_ROW} evaluations in a row timed out`, result.error);
          return;
        }
      } else {
        this.timeoutsInARow = 0;
      }
    }
    if (this.sandbox.broken) this.stop(`the replay stopped: the sandbox failed (${this.sandbox.broken})`, this.lastError);
  }

  /** Gives up; the error reported becomes the one that made the replay stop. */
  private stop(reason: string, cause: Diagnostic | null): void {
    this.stopped = true;
    this.firstError = cause
      ? { ...cause, message: `${cause.message} — ${reason}` }
      : diagnostic('replay-stopped', { error: reason }, { source: 'calc', kind: 'runtime' });
  }

  /**
   * Jobs for steps [start, start + count) of the chunk. The job objects are reused from one batch to
   * the next (the sandbox encodes them before evaluate returns): a week of steps would otherwise
   * allocate millions of short-lived objects.
   */
  private jobsOf(chunk: ReplayChunk, start: number, count: number): EvaluationJob[] {
    const width = this.inputCount;
    while (this.jobPool.length < count) {
      const inputs: InputSample[] = [];
      for (let input = 0; input < width; input++) inputs.push({ value: null, ts: 0, quality: 'good' });
      this.jobPool.push({ slot: this.slot, now: 0, inputs });
    }
    const jobs = this.jobPool.length === count ? this.jobPool : this.jobPool.slice(0, count);
    const values = chunk.inputs;
    for (let job = 0; job < count; job++) {
      const target = jobs[job];
      target.now = chunk.times[start + job];
      for (let input = 0, p = (start + job) * width * 4; input < width; input++, p += 4) {
        const type = values[p];
        const sample = target.inputs[input];
        sample.value = type === 1 ? values[p + 1] : type === 0 ? null : type === 2 ? false : type === 3 ? true : chunk.strings[values[p + 1]];
        sample.ts = values[p + 2];
        sample.quality = QUALITY_NAMES[values[p + 3]];
      }
    }
    return jobs;
  }
}

/** Twice the room (an output published more than once in a step). */
function grow(columns: ReplayPublishedColumns): void {
  const capacity = Math.max(16, columns.ts.length * 2);
  const ts = new Float64Array(capacity);
  const num = new Float64Array(capacity);
  const kind = new Uint8Array(capacity);
  const quality = new Uint8Array(capacity);
  ts.set(columns.ts);
  num.set(columns.num);
  kind.set(columns.kind);
  quality.set(columns.quality);
  Object.assign(columns, { ts, num, kind, quality });
}
