import { quarantineAudit } from '../model/audit';
import { cycleDiagnostic } from '../model/diagnostic-messages';
import { messageOf } from '../model/errors';
import type { TagState } from '../model/tag-value';
import type { InputBatch } from '../ports/bus';
import type { EngineHost, EngineScriptSpec } from '../ports/engine';
import type { ScriptStateRecord, StateTopic, StateWrite } from '../ports/scale-out';
import type { ScriptStore, StoredScript } from '../ports/script-store';
import type { Logger } from '../support/logger';
import { PromiseQueue } from '../support/promise-queue';
import { ThrottledWarning } from '../support/throttled-warning';
import { resumesQuarantine, toLoadedEngineSpec } from '../engine-host/to-engine-spec';
import type { TagCatalog } from '../tags/tag-catalog';
import { planPartitions, routeValues, type PartitionPlan, type RoutedBatch } from './script-groups';

/**
 * One worker process of WORKER_MODE=partitioned (scale-out.md). It follows the registered scripts
 * from the database (every router and engine computes the same script groups from them) and
 *   - routes: each input batch becomes one record per script group reading any of its values,
 *     produced to the group's partition of the routed topic (the bus commits the input offsets once
 *     they are acknowledged);
 *   - computes the groups of the routed partitions the consumer group assigned it: a newly assigned
 *     partition's state is read from the state topic to its end and its scripts are loaded with it
 *     before its first record is evaluated; records the restored state already reflects are skipped;
 *     a revoked partition's scripts are unloaded;
 *   - checkpoints: after each routed batch (before the bus commits it) the state of every script of
 *     the partition evaluated since the last checkpoint is written to the state topic (acks=all),
 *     and every STATE_CHECKPOINT_MS that of the others (periodic scripts).
 * A regrouping (a script change that splits or merges groups) writes a moved script's state to its
 * new partition (and a tombstone to the old) before it is computed there.
 */

export interface PartitionedWorkerDeps {
  store: ScriptStore;
  engine: EngineHost;
  /** The main thread's catalog: the tags' latest values saved with each script's state. */
  catalog: TagCatalog;
  state: StateTopic;
  partitions: number;
  checkpointMs: number;
  /** Evaluates routed values and publishes their outputs; resolves once they are acknowledged. */
  evaluate(batch: InputBatch): Promise<void>;
  /** Produces routed records (acks=all); resolves once acknowledged. */
  produceRouted(batches: RoutedBatch[]): Promise<void>;
  log: Logger;
  pollMs?: number;
  /** How long a script moved here by a regrouping waits for its state from the previous owner (default 5 s). */
  moveWaitMs?: number;
}

export interface PartitionedWorkerCounters {
  partitions: number[];
  groups: number;
  scripts: number;
  routerValuesIn: number;
  routerValuesRouted: number;
  routerValuesUnread: number;
  routedRecordsOut: number;
  stateRecordsWritten: number;
  stateRecordsRestored: number;
  valuesSkipped: number;
  rebalances: number;
  /** Time spent loading newly assigned partitions (reading state, loading scripts), in total. */
  rebalanceMs: number;
}

export class PartitionedWorker {
  private plan: PartitionPlan;
  private readonly runnable = new Map<string, StoredScript>();
  private revision = 0;
  /** Partitions whose scripts are loaded in the engine. */
  private readonly owned = new Set<number>();
  /** Script id → version and partition loaded in the engine. */
  private readonly loaded = new Map<string, { version: number; partition: number }>();
  /** Partition → first routed offset not reflected in its restored state. */
  private readonly skipBefore = new Map<number, number>();
  /** Partition → next routed offset after the last batch evaluated here. */
  private readonly position = new Map<number, number>();
  private readonly inFlight = new Map<number, number>();
  /** Partition → which load of it the engine holds (a partition revoked and assigned again is a new load). */
  private readonly loadNumber = new Map<number, number>();
  private loads = 0;
  /** Batches evaluated and waiting for their checkpoint, and whether one is being written. */
  private readonly finishing: FinishedBatch[] = [];
  private checkpointing = false;
  /** Partitions whose next checkpoint writes every script (an idle checkpoint overlapped one of their batches). */
  private readonly captureWhole = new Set<number>();
  private readonly queue = new PromiseQueue();
  private timers: NodeJS.Timeout[] = [];
  private polling: Promise<void> | null = null;
  private readonly warning = new ThrottledWarning(10_000);
  private readonly totals = {
    routerValuesIn: 0,
    routerValuesRouted: 0,
    routerValuesUnread: 0,
    routedRecordsOut: 0,
    valuesSkipped: 0,
    rebalances: 0,
    rebalanceMs: 0,
  };

  constructor(private readonly deps: PartitionedWorkerDeps) {
    this.plan = planPartitions([], deps.partitions);
  }

  async start(): Promise<void> {
    await this.queue.run(() => this.poll());
    this.timers.push(
      setInterval(() => {
        this.polling ??= this.queue.run(() => this.poll()).finally(() => (this.polling = null));
      }, this.deps.pollMs ?? 500),
      setInterval(() => void this.queue.run(() => this.checkpointIdle()).catch((error) => this.deps.log.warn(`state checkpoint failed: ${messageOf(error)}`)), this.deps.checkpointMs),
    );
    for (const timer of this.timers) timer.unref();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.polling;
  }

  // ---------------------------------------------------------------- router

  /** The router's input handler: one routed record per script group reading any of the batch's values. */
  readonly route = async (batch: InputBatch): Promise<void> => {
    this.totals.routerValuesIn += batch.values.length;
    const { batches, unread } = routeValues(batch.values, this.plan);
    this.totals.routerValuesUnread += unread;
    if (batches.length === 0) return;
    await this.deps.produceRouted(batches);
    this.totals.routedRecordsOut += batches.length;
    for (const routed of batches) this.totals.routerValuesRouted += routed.values.length;
  };

  // ---------------------------------------------------------------- engine

  /** The consumer group gave this worker `partitions` of the routed topic (kafkajs: after each rebalance). */
  assign(partitions: readonly number[]): Promise<void> {
    const wanted = new Set(partitions);
    return this.queue.run(async () => {
      this.totals.rebalances++;
      const started = Date.now();
      const revoked = [...this.owned].filter((partition) => !wanted.has(partition));
      if (revoked.length > 0) {
        const ids = [...this.loaded].filter(([, entry]) => revoked.includes(entry.partition)).map(([id]) => id);
        await this.deps.engine.unload?.(ids);
        for (const id of ids) this.loaded.delete(id);
        for (const partition of revoked) this.forget(partition);
      }
      // The new partitions' state is read at once (each read waits for the reader to reach it), then loaded one by one.
      const added = [...wanted].filter((partition) => !this.owned.has(partition));
      const reads = added.map((partition) => this.deps.state.readPartition(partition));
      for (const read of reads) read.catch(() => undefined);
      for (const [index, partition] of added.entries()) if (!this.owned.has(partition)) await this.load(partition, reads[index]);
      this.totals.rebalanceMs += Date.now() - started;
      this.deps.log.info({ partitions: [...this.owned].sort((a, b) => a - b), revoked, ms: Date.now() - started }, 'routed partitions assigned');
    });
  }

  /** The engine's input handler (routed topic): evaluates what restored state does not reflect, then checkpoints. */
  readonly handleRouted = async (batch: InputBatch): Promise<void> => {
    const origin = batch.origin;
    if (!origin) throw new Error('routed batches carry their partition and offsets (a Kafka bus)');
    const { partition } = origin;
    this.inFlight.set(partition, (this.inFlight.get(partition) ?? 0) + 1);
    try {
      // Normally loaded on assignment already; a batch never runs before its partition's state.
      if (!this.owned.has(partition)) await this.queue.run(() => (this.owned.has(partition) ? undefined : this.load(partition)));
      const load = this.loadNumber.get(partition);
      const skip = this.skipBefore.get(partition) ?? 0;
      let values = batch.values;
      if (skip > 0 && origin.offsets.length > 0 && origin.offsets[0] < skip) {
        values = values.filter((_, index) => origin.offsets[index] >= skip);
        this.totals.valuesSkipped += batch.values.length - values.length;
      }
      if (values.length > 0) await this.deps.evaluate({ ...batch, values });
      await new Promise<void>((resolve, reject) => {
        this.finishing.push({ partition, load, nextOffset: origin.nextOffset, resolve, reject });
        if (!this.checkpointing) void this.checkpointFinished();
      });
    } finally {
      this.inFlight.set(partition, (this.inFlight.get(partition) ?? 1) - 1);
    }
  };

  counters(): PartitionedWorkerCounters {
    const groups = new Set<string>();
    for (const group of this.plan.groups) if (this.owned.has(group.partition)) groups.add(group.key);
    const state = this.deps.state.counters();
    return {
      partitions: [...this.owned].sort((a, b) => a - b),
      groups: groups.size,
      scripts: this.loaded.size,
      ...this.totals,
      stateRecordsWritten: state.written,
      stateRecordsRestored: state.restored,
    };
  }

  // ---------------------------------------------------------------- loading and checkpoints

  private forget(partition: number): void {
    this.owned.delete(partition);
    this.loadNumber.delete(partition);
    this.skipBefore.delete(partition);
    this.position.delete(partition);
    this.captureWhole.delete(partition);
  }

  /** Reads the partition's state to its end, then loads its scripts with their state. */
  private async load(partition: number, read?: Promise<Map<string, ScriptStateRecord>>): Promise<void> {
    const records = await (read ?? this.deps.state.readPartition(partition));
    let reflected = 0;
    for (const record of records.values()) reflected = Math.max(reflected, record.routedOffset);
    await this.restoreTags([...records.values()]);
    for (const group of this.plan.groups) {
      if (group.partition !== partition) continue;
      for (const id of group.scriptIds) {
        const script = this.runnable.get(id);
        if (script) await this.start1(script, partition, records.get(id) ?? null);
      }
    }
    // Owned only once every script is in the engine: a batch that arrives meanwhile waits for the
    // load (handleRouted) instead of being computed by the scripts registered so far — which lost
    // every value of a moved partition's backlog whose script was not registered yet.
    this.owned.add(partition);
    this.loadNumber.set(partition, ++this.loads);
    this.skipBefore.set(partition, reflected);
  }

  /** Latest values saved with the states, where they are newer than what this process holds. */
  private async restoreTags(records: ScriptStateRecord[]): Promise<void> {
    const newer: TagState[] = [];
    for (const record of records) {
      for (const tag of record.tags) {
        const held = this.deps.catalog.get(tag.tag);
        if (held && held.ts >= tag.ts) continue;
        this.deps.catalog.apply(tag, tag.source);
        newer.push(tag);
      }
    }
    if (newer.length > 0) await this.deps.engine.restore(newer);
  }

  private async start1(script: StoredScript, partition: number, record: ScriptStateRecord | null): Promise<void> {
    const spec: EngineScriptSpec = toLoadedEngineSpec(script);
    // A new version starts from its initCode, as a hot swap does.
    if (record && record.version === script.version) spec.restoreState = record.state;
    const outcome = await this.deps.engine.register(spec);
    if (outcome.ok) {
      this.loaded.set(script.id, { version: script.version, partition });
      return;
    }
    const error = outcome.reason === 'cycle' ? cycleDiagnostic(outcome.cycle) : outcome.diagnostics[0];
    this.deps.log.warn({ scriptId: script.id, error: error.message }, 'script could not start; quarantined');
    await this.deps.store.setState(script.id, 'quarantined', error, quarantineAudit(error, 'could not start'));
  }

  /**
   * Checkpoints the batches evaluated so far, several partitions' at once (group commit): one
   * engine round trip and one state write for every batch that finished while the previous
   * checkpoint was being written, each batch released once the write is acknowledged.
   */
  private async checkpointFinished(): Promise<void> {
    this.checkpointing = true;
    try {
      while (this.finishing.length > 0) {
        const group = this.finishing.splice(0);
        await this.queue.run(() => this.checkpointBatches(group)).catch((error: unknown) => group.forEach((entry) => entry.reject(error)));
      }
    } finally {
      this.checkpointing = false;
    }
  }

  private async checkpointBatches(group: FinishedBatch[]): Promise<void> {
    const done: FinishedBatch[] = [];
    const changed = new Set<number>();
    const whole = new Set<number>();
    for (const entry of group) {
      // Revoked (kafkajs may rejoin while another partition's batch is in hand) or revoked and
      // loaded again meanwhile: its scripts may have been unloaded under the batch, and the state
      // the new owner read does not reflect it. Failing leaves the offsets uncommitted, so the
      // owner computes the batch again from that state: duplicates, never a value lost.
      if (entry.load === undefined || this.loadNumber.get(entry.partition) !== entry.load) {
        entry.reject(new Error(`routed partition ${entry.partition} was reassigned while a batch of it was being computed; the batch is left uncommitted for its owner`));
        continue;
      }
      this.position.set(entry.partition, entry.nextOffset);
      (this.captureWhole.delete(entry.partition) ? whole : changed).add(entry.partition);
      done.push(entry);
    }
    // The scripts evaluated since the last checkpoint (all of them where an idle checkpoint overlapped a batch).
    const writes = [...(await this.captured(this.idsIn(changed), true)), ...(await this.captured(this.idsIn(whole), false))];
    if (writes.length > 0) await this.deps.state.write(writes);
    for (const entry of done) entry.resolve();
  }

  private idsIn(partitions: ReadonlySet<number>): string[] {
    if (partitions.size === 0) return [];
    return [...this.loaded].filter(([, entry]) => partitions.has(entry.partition)).map(([id]) => id);
  }

  /** State records of `ids` (those evaluated since their last capture when `changedOnly`), each in its partition at that partition's position; `keep` filters by partition. */
  private async captured(ids: string[], changedOnly: boolean, keep?: (partition: number) => boolean): Promise<StateWrite[]> {
    if (ids.length === 0 || !this.deps.engine.captureState) return [];
    const writes: StateWrite[] = [];
    for (const entry of await this.deps.engine.captureState({ ids, changedOnly })) {
      const partition = this.loaded.get(entry.id)?.partition;
      if (partition === undefined || (keep && !keep(partition))) continue;
      const routedOffset = this.position.get(partition) ?? this.skipBefore.get(partition) ?? 0;
      writes.push({ partition, scriptId: entry.id, record: this.recordOf(entry.id, entry.version, entry.state, routedOffset) });
    }
    return writes;
  }

  private recordOf(id: string, version: number, state: ScriptStateRecord['state'], routedOffset: number): ScriptStateRecord {
    const definition = this.runnable.get(id)?.definition;
    const tags: TagState[] = [];
    for (const tag of [...(definition?.inputs.map((input) => input.tag) ?? []), ...(definition?.outputs.map((output) => output.tag) ?? [])]) {
      const held = this.deps.catalog.get(tag);
      if (held) tags.push(held);
    }
    return { scriptId: id, version, routedOffset, state, tags, writtenAt: Date.now() };
  }

  /**
   * Periodic scripts and ticks: what changed in the partitions with no batch in hand, asked of the
   * engine thread in one round trip (not one per partition) and written in one produce; nothing is
   * written for a partition none of whose scripts ran since its last checkpoint.
   */
  private async checkpointIdle(): Promise<void> {
    const idle = new Set([...this.owned].filter((partition) => (this.inFlight.get(partition) ?? 0) === 0));
    const writes = await this.captured(this.idsIn(idle), true, (partition) => {
      // A batch of it started meanwhile: the state may hold part of it, which this checkpoint's
      // offset would not say; that batch's own checkpoint writes the whole partition instead.
      if ((this.inFlight.get(partition) ?? 0) === 0) return true;
      this.captureWhole.add(partition);
      return false;
    });
    if (writes.length > 0) await this.deps.state.write(writes);
  }

  // ---------------------------------------------------------------- script changes

  private async poll(): Promise<void> {
    let changes: StoredScript[];
    try {
      changes = await this.deps.store.changesSince(this.revision);
    } catch (error) {
      if (this.warning.admit() !== undefined) this.deps.log.warn(`cannot read script changes (scripts keep running as they are): ${messageOf(error)}`);
      return;
    }
    if (changes.length === 0) return;
    const stopped = new Map<string, 'deleted' | 'unregistered'>();
    for (const script of changes) {
      this.revision = Math.max(this.revision, script.revision);
      if (!script.deleted && (script.state === 'registered' || resumesQuarantine(script) || (script.state === 'quarantined' && this.loaded.has(script.id)))) {
        this.runnable.set(script.id, script);
      } else if (this.runnable.delete(script.id)) {
        stopped.set(script.id, script.deleted ? 'deleted' : 'unregistered');
      }
    }
    const before = this.plan;
    this.plan = planPartitions([...this.runnable.values()].map(graphOf), this.deps.partitions);
    await this.regroup(before, stopped);
  }

  private async regroup(before: PartitionPlan, stopped: Map<string, 'deleted' | 'unregistered'>): Promise<void> {
    const writes: StateWrite[] = [];
    // Stopped scripts: the owner publishes their outputs null/bad with the reason; their state goes.
    for (const [id, reason] of stopped) {
      const entry = this.loaded.get(id);
      if (!entry) continue;
      await this.deps.engine.unregister(id, reason);
      this.loaded.delete(id);
      writes.push({ partition: entry.partition, scriptId: id, record: null });
      this.deps.log.info({ scriptId: id }, 'script stopped (changed through the web)');
    }
    // Scripts loaded here whose group moved partition: their state goes to the new partition first.
    const leaving: string[] = [];
    for (const [id, entry] of this.loaded) {
      const group = this.plan.groupOf.get(id);
      if (!group || group.partition === entry.partition) continue;
      const [captured] = (await this.deps.engine.captureState?.({ ids: [id] })) ?? [];
      if (captured) {
        const offset = this.position.get(group.partition) ?? this.skipBefore.get(group.partition) ?? 0;
        writes.push({ partition: group.partition, scriptId: id, record: this.recordOf(id, captured.version, captured.state, offset) });
      }
      writes.push({ partition: entry.partition, scriptId: id, record: null });
      if (this.owned.has(group.partition)) this.loaded.set(id, { version: entry.version, partition: group.partition });
      else leaving.push(id);
    }
    if (writes.length > 0) await this.deps.state.write(writes);
    if (leaving.length > 0) {
      await this.deps.engine.unload?.(leaving);
      for (const id of leaving) this.loaded.delete(id);
      this.deps.log.info({ scripts: leaving.length }, 'scripts moved to another worker by a regrouping');
    }
    // New versions, new scripts, and scripts moved here from a partition another worker owns.
    for (const group of this.plan.groups) {
      if (!this.owned.has(group.partition)) continue;
      for (const id of group.scriptIds) {
        const script = this.runnable.get(id)!;
        const entry = this.loaded.get(id);
        if (entry && entry.version === script.version) continue;
        if (entry) {
          await this.start1(script, group.partition, null);
          continue;
        }
        const previous = before.groupOf.get(id);
        const record = previous && !this.owned.has(previous.partition) ? await this.movedState(id, group.partition, previous.partition) : null;
        await this.start1(script, group.partition, record);
      }
    }
  }

  /** The state of a script another worker computed until a regrouping moved it here. */
  private async movedState(id: string, to: number, from: number): Promise<ScriptStateRecord | null> {
    const deadline = Date.now() + (this.deps.moveWaitMs ?? 5_000);
    for (;;) {
      const here = (await this.deps.state.readPartition(to)).get(id);
      if (here) return here;
      if (Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const there = (await this.deps.state.readPartition(from)).get(id) ?? null;
    if (!there) this.deps.log.warn({ scriptId: id }, `no saved state arrived for script ${id} moved from partition ${from} to ${to}: it starts from its initCode`);
    return there;
  }
}

interface FinishedBatch {
  partition: number;
  /** The partition's load number when the batch started. */
  load: number | undefined;
  nextOffset: number;
  resolve(): void;
  reject(error: unknown): void;
}

function graphOf(script: StoredScript) {
  return {
    id: script.id,
    inputTags: script.definition.inputs.map((input) => input.tag),
    outputTags: script.definition.outputs.map((output) => output.tag),
  };
}
