import type { Diagnostic } from '../model/diagnostic';
import type { PassResult } from '../ports/engine';
import type { EngineHost } from '../ports/engine';
import type { TagCatalog } from '../tags/tag-catalog';
import type { Logger } from '../support/logger';
import type { Bus, InputBatch } from '../ports/bus';
import type { OutputValue, TagSource, TagState, TagValue } from '../model/tag-value';
import type { HistoryRecord } from '../ports/history-store';
import type { HistoryWriter } from '../history/history-writer';
import type { AppMetrics } from '../support/metrics';
import { stageTrace } from '../support/stage-trace';
import { joinValues } from '../model/packed-values';
import type { SnapshotWriter } from './snapshot-writer';
import type { ShadowBoard } from '../shadows/shadow-board';

/**
 * How a raw value becomes published outputs:
 *   bus batch → catalog (latest values) + history → engine (worker thread) → changed outputs
 *   → bus (acknowledged) → catalog + history + restart snapshot → the bus commits the batch.
 */
export interface PipelineDeps {
  engine: EngineHost;
  bus: Bus;
  catalog: TagCatalog;
  history: HistoryWriter;
  snapshot: SnapshotWriter;
  metrics: AppMetrics;
  log: Logger;
  onQuarantined(entries: Array<{ id: string; error: Diagnostic }>): void;
  /** Quarantined scripts whose retry succeeded. */
  onRecovered?(ids: string[]): void;
  /** Whether raw values go to history here (default true); scale-out's routers write them instead. */
  rawHistory?: boolean;
  /** Shadow runs' comparisons (changes.md): given each pass's live and shadow outputs; nothing of a shadow is published. */
  shadows?: ShadowBoard;
  /** How passes are gathered while the engine is busy (defaults: PASS_GATHERING). */
  gathering?: Partial<PassGathering>;
}

/**
 * Fewer, larger passes while the engine is busy: a pass has a fixed cost on both threads (the hop,
 * the packing, one produce request and one commit per pass), so when the engine has been busy for
 * more than `busyShare` of the last second, the next pass waits until `values` values are waiting or
 * until the oldest of them has waited `budgetMs` (the latency budget: a value never waits longer for
 * its pass to start than max(budgetMs, the pass before it)). An idle engine starts a pass at once.
 */
export interface PassGathering {
  budgetMs: number;
  values: number;
  busyShare: number;
}

export const PASS_GATHERING: PassGathering = { budgetMs: 8, values: 1000, busyShare: 0.5 };

/** The engine's busy time over the last second, from the passes' start and end times. */
class BusyWindow {
  private readonly spans: Array<[start: number, end: number]> = [];

  add(start: number, end: number): void {
    this.spans.push([start, end]);
  }

  share(now: number): number {
    const from = now - 1000;
    while (this.spans.length > 0 && this.spans[0][1] <= from) this.spans.shift();
    let busy = 0;
    for (const [start, end] of this.spans) busy += end - Math.max(start, from);
    return busy / 1000;
  }
}

/** A pass's result waiting for its publication, with what its handlers await. */
interface Unpublished {
  result: PassResult;
  applied: TagState[];
  /** Event time of the pass's first value (0: none; for the stage trace). */
  first: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** A failed pass: its outputs when only their publication failed, else null (the pass itself failed). */
interface FailedPass {
  outputs: OutputValue[] | null;
}

/**
 * Values of passes that failed after the engine may have taken them (the pass itself, or the
 * publication of its outputs). The engine holds those values by then, so their redelivery (the bus
 * reads a rejected batch again) would find each one a duplicate and evaluate nothing — and the
 * engine's outputs already hold what was computed, so even a re-evaluation publishes no change:
 * outputs lost while the offsets are committed. A pass that carries any of them again publishes the
 * failed pass's outputs first when only their publication failed (the engine is not asked again:
 * stateful scripts would step twice), or is run as a replay when the pass itself failed (the engine
 * thread was restarted: its scripts start afresh). Keyed by tag and time; bounded (the oldest
 * dropped) in case a batch is never redelivered here (its partition moved to another worker).
 */
export class OwedValues {
  private readonly keys = new Map<string, FailedPass>();

  constructor(private readonly limit = 200_000) {}

  get size(): number {
    return this.keys.size;
  }

  add(values: readonly TagValue[], outputs: OutputValue[] | null): void {
    const failed: FailedPass = { outputs };
    for (const value of values) {
      const key = `${value.ts}\u0000${value.tag}`;
      this.keys.delete(key);
      this.keys.set(key, failed);
    }
    for (const key of this.keys.keys()) {
      if (this.keys.size <= this.limit) break;
      this.keys.delete(key);
    }
  }

  /** What a pass of `values` owes: a replay, and outputs to publish first; those values are no longer owed. */
  take(values: readonly TagValue[]): { replay: boolean; outputs: OutputValue[] } {
    const owed = { replay: false, outputs: [] as OutputValue[] };
    if (this.keys.size === 0) return owed;
    const seen = new Set<FailedPass>();
    for (const value of values) {
      const key = `${value.ts}\u0000${value.tag}`;
      const failed = this.keys.get(key);
      if (!failed) continue;
      this.keys.delete(key);
      if (seen.has(failed)) continue;
      seen.add(failed);
      if (failed.outputs) {
        // Once: the failed pass may have joined several partitions' batches, read again one by one.
        owed.outputs.push(...failed.outputs);
        failed.outputs = [];
      } else owed.replay = true;
    }
    return owed;
  }
}

/** An input batch waiting for the engine, with what its handler awaits. */
interface Waiting {
  values: TagValue[];
  /** performance.now() when it was handed in. */
  arrived: number;
  applied: TagState[];
  resolve(): void;
  reject(error: unknown): void;
}

export class ValuePipeline {
  private tickTimer: NodeJS.Timeout | null = null;
  private ticking = false;
  /** Batches handed in while the engine was busy; they go to it together, as one pass. */
  private waiting: Waiting[] = [];
  private draining = false;
  /**
   * Passes whose outputs wait for the publication in flight. Publications go out one at a time, in the
   * order their passes ran, so an output tag's values reach the bus in order; the passes that finished
   * while one was in flight go out together as the next one (one acks=all round trip for all of them,
   * not one each behind one another).
   */
  private unpublished: Unpublished[] = [];
  private publishing = false;
  private readonly gathering: PassGathering;
  private readonly busy = new BusyWindow();
  /** Values in `waiting`. */
  private waitingValues = 0;
  /** Set while a pass is held back to gather more: called when enough have arrived. */
  private gathered: (() => void) | null = null;
  /** Values of failed passes, whose redelivery is replayed (see OwedValues). */
  private readonly owed = new OwedValues();

  constructor(private readonly deps: PipelineDeps) {
    this.gathering = { ...PASS_GATHERING, ...deps.gathering };
  }

  /**
   * The bus's input handler: resolves once the batch's outputs are acknowledged. The bus may call it
   * for several partitions at once; batches that arrive while the engine is busy are evaluated
   * together in its next pass, and the next pass runs while the previous one's outputs are being
   * acknowledged.
   */
  readonly handleBatch = async (batch: InputBatch): Promise<void> => {
    const { catalog, history, metrics } = this.deps;
    metrics.valuesIn.inc(batch.values.length);
    if (batch.rejected > 0) metrics.valuesRejected.inc(batch.rejected);
    // One record per value, for history and — when it became the latest — for the restart snapshot.
    // The snapshot gets these records, not the catalog's entries: those are updated in place, and
    // another partition's batch may have put a newer value of the same tag there (producers need not
    // key by tag), one whose outputs are not acknowledged yet.
    const { values } = batch;
    if (stageTrace && values.length > 0) stageTrace.age('3 handleBatch', values[0].ts);
    const records: TagState[] = new Array(values.length);
    const applied: TagState[] = [];
    for (let index = 0; index < values.length; index++) {
      const record = stateOf(values[index], 'raw');
      records[index] = record;
      if (catalog.apply(record, 'raw') === 'applied') applied.push(record);
    }
    if (this.deps.rawHistory !== false) history.add(records);

    if (stageTrace && values.length > 0) stageTrace.age('4 recorded', values[0].ts);
    // Evaluation runs in the engine's thread; keep the consumer's session alive meanwhile.
    const heartbeat = setInterval(() => void batch.heartbeat().catch(() => undefined), 1500);
    try {
      await new Promise<void>((resolve, reject) => {
        this.waiting.push({ values: batch.values, arrived: performance.now(), applied, resolve, reject });
        this.waitingValues += batch.values.length;
        if (this.gathered && this.waitingValues >= this.gathering.values) this.gathered();
        if (!this.draining) void this.drain();
      });
    } finally {
      clearInterval(heartbeat);
    }
  };

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.waiting.length > 0) {
        const g0 = performance.now();
        await this.gather();
        stageTrace?.ms('wait gather', performance.now() - g0);
        const group = this.waiting.splice(0);
        this.waitingValues = 0;
        const values = group.length === 1 ? group[0].values : joinValues(group.map((entry) => entry.values));
        let result: PassResult;
        try {
          const started = performance.now();
          if (stageTrace && values.length > 0) stageTrace.age('5 engine start', values[0].ts);
          const owed = this.owed.take(values);
          result = await this.deps.engine.ingest(values, { replay: owed.replay });
          if (owed.outputs.length > 0) result = { ...result, outputs: [...owed.outputs, ...result.outputs] };
          if (stageTrace && values.length > 0) stageTrace.age('6 engine end', values[0].ts);
          const ended = performance.now();
          this.busy.add(started, ended);
          this.deps.metrics.evaluationLatency.observe((ended - started) / 1000);
        } catch (error) {
          this.owe(values, null, error);
          for (const entry of group) entry.reject(error);
          continue;
        }
        const applied = group.length === 1 ? group[0].applied : group.flatMap((entry) => entry.applied);
        const first = values.length > 0 ? values[0].ts : 0;
        this.enqueue(result, applied, first).then(
          () => {
            if (stageTrace && first > 0) stageTrace.age('9 published', first);
            group.forEach((entry) => entry.resolve());
          },
          (error: unknown) => {
            this.owe(values, result.outputs, error);
            group.forEach((entry) => entry.reject(error));
          },
        );
      }
    } finally {
      this.draining = false;
    }
  }

  /** A pass or its publication failed: see OwedValues. */
  private owe(values: readonly TagValue[], outputs: OutputValue[] | null, error: unknown): void {
    this.owed.add(values, outputs);
    const what = outputs ? `the publication of a pass's ${outputs.length} outputs failed` : 'a pass failed';
    this.deps.log.warn({ err: error, values: values.length }, `${what}; the redelivery of its values will ${outputs ? 'publish them' : 'be evaluated again'}`);
  }

  /** While the engine is busy and few values wait, waits for more of them within the latency budget (PassGathering). */
  private async gather(): Promise<void> {
    const { budgetMs, values, busyShare } = this.gathering;
    if (budgetMs <= 0 || this.waitingValues >= values) return;
    const now = performance.now();
    const wait = this.waiting[0].arrived + budgetMs - now;
    if (wait <= 0 || this.busy.share(now) < busyShare) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.gathered = null;
        resolve();
      }, wait);
      this.gathered = () => {
        clearTimeout(timer);
        this.gathered = null;
        resolve();
      };
    });
  }

  /** Periodic scripts: checked every 100 ms, evaluated at their tick times. */
  startTicking(intervalMs = 100): void {
    this.tickTimer ??= setInterval(() => void this.tick(), intervalMs);
    this.tickTimer.unref();
  }

  stopTicking(): void {
    if (this.tickTimer) clearInterval(this.tickTimer);
    this.tickTimer = null;
  }

  private async tick(): Promise<void> {
    if (this.ticking) return;
    // A standby worker has no inputs flowing in: periodic scripts run on the active one only.
    if (this.deps.bus.isActive && !this.deps.bus.isActive()) return;
    this.ticking = true;
    try {
      const result = await this.deps.engine.tick(Date.now());
      // A tick also carries retries, stale inputs and the outputs of stopped scripts.
      if (result.evaluations > 0 || result.outputs.length > 0 || result.shadow) await this.enqueue(result, []);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'periodic evaluation failed');
    } finally {
      this.ticking = false;
    }
  }

  /** Publishes a pass's outputs after every earlier pass's; resolves once they are acknowledged. */
  private enqueue(result: PassResult, applied: TagState[], first = 0): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.unpublished.push({ result, applied, first, resolve, reject });
      if (!this.publishing) void this.publishAll();
    });
  }

  /**
   * Publishes the waiting passes, all of them at once, until none waits. A refused publication fails
   * every pass in it (nothing of theirs is committed); the passes after it are still published.
   */
  private async publishAll(): Promise<void> {
    this.publishing = true;
    try {
      while (this.unpublished.length > 0) {
        const passes = this.unpublished.splice(0);
        try {
          await this.publish(passes);
        } catch (error) {
          for (const pass of passes) pass.reject(error);
          continue;
        }
        for (const pass of passes) pass.resolve();
      }
    } finally {
      this.publishing = false;
    }
  }

  /** One publication of the passes' outputs (in pass order); after the acknowledgement, each pass's records. */
  private async publish(passes: Unpublished[]): Promise<void> {
    const { bus, metrics } = this.deps;
    for (const { result, first } of passes) {
      if (stageTrace && first > 0) stageTrace.age('7 publish start', first);
      metrics.evaluations.inc(result.evaluations);
      if (result.failures > 0) metrics.evaluationErrors.inc(result.failures);
    }
    // One pass's outputs go as they are (their packed form writes the messages without a walk per output).
    const outputs = passes.length === 1 ? passes[0].result.outputs : passes.flatMap((pass) => pass.result.outputs);
    if (outputs.length > 0) {
      await bus.publishOutputs(outputs);
      metrics.valuesOut.inc(outputs.length);
    }
    for (const pass of passes) this.published(pass);
  }

  /** A pass whose outputs are acknowledged: its outputs to the catalog and history, its values to the snapshot. */
  private published({ result, applied, first }: Unpublished): void {
    const { catalog, history, snapshot } = this.deps;
    if (result.outputs.length > 0) {
      if (stageTrace && first > 0) stageTrace.age('8 acked', first);
      const { outputs } = result;
      // One record per output, for history and — when it became the latest — for the restart snapshot
      // (which keeps records nobody changes; it does not store the lineage).
      const records: HistoryRecord[] = new Array(outputs.length);
      for (let index = 0; index < outputs.length; index++) {
        const output = outputs[index];
        const record: HistoryRecord = stateOf(output, 'script');
        record.script = output.script;
        records[index] = record;
        if (catalog.apply(record, 'script') === 'applied') applied.push(record);
      }
      history.add(records);
    }
    snapshot.mark(applied);
    // After the live outputs are acknowledged; the shadow's outputs go nowhere else.
    this.deps.shadows?.record(result.outputs, result.shadow);
    if (result.quarantined.length > 0) this.deps.onQuarantined(result.quarantined);
    if (result.recovered && result.recovered.length > 0) this.deps.onRecovered?.(result.recovered);
  }
}

/** A value as a record of its source: one object literal of one shape (no spread), the reason only when it has one. */
export function stateOf(value: TagValue, source: TagSource): TagState & HistoryRecord {
  const state: TagState = { tag: value.tag, value: value.value, ts: value.ts, quality: value.quality, source };
  if (value.reason !== undefined) state.reason = value.reason;
  return state;
}
