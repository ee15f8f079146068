import { describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import type { TagValue } from '../model/tag-value';
import type { InputBatch } from '../ports/bus';
import type { CapturedScriptState, EngineHost, EngineScriptSpec } from '../ports/engine';
import type { ScriptStateRecord, StateTopic, StateWrite } from '../ports/scale-out';
import type { ScriptStore, StoredScript } from '../ports/script-store';
import { createLogger } from '../support/logger';
import { TagCatalog } from '../tags/tag-catalog';
import { PartitionedWorker } from './partitioned-worker';
import { partitionOf, type RoutedBatch } from './script-groups';

/** The order of things in one worker: state read before a partition is computed, written before a batch is done. */

const PARTITIONS = 4;
const stored = (id: string, input: string, output: string, revision = 1): StoredScript =>
  ({
    id,
    version: 1,
    revision,
    state: 'registered',
    deleted: false,
    lastError: null,
    definition: { name: id, inputs: [{ tag: input, alias: 'x' }], initCode: 'let n = 0;', calcCode: 'n++; const y = n;', outputs: [{ tag: output, variable: 'y' }] } as ScriptDraft,
  }) as unknown as StoredScript;

function setup(scripts: StoredScript[], saved: Map<number, Map<string, ScriptStateRecord>> = new Map()) {
  const events: string[] = [];
  const registered: EngineScriptSpec[] = [];
  const engine = {
    register: async (spec: EngineScriptSpec) => {
      events.push(`register ${spec.id}${spec.restoreState ? ' with state' : ''}`);
      registered.push(spec);
      return { ok: true as const };
    },
    unregister: async (id: string) => {
      events.push(`unregister ${id}`);
      return true;
    },
    unload: async (ids: string[]) => void events.push(`unload ${ids.join(',')}`),
    restore: async () => undefined,
    captureState: async (options: { ids?: string[] }): Promise<CapturedScriptState[]> => (options.ids ?? []).map((id) => ({ id, version: 1, state: { vars: { n: 7 }, undef: [] } })),
  } as unknown as EngineHost;
  const writes: StateWrite[] = [];
  const state: StateTopic = {
    write: async (entries) => {
      events.push(`state write ${entries.map((entry) => `${entry.scriptId}@${entry.partition}:${entry.record?.routedOffset ?? 'tombstone'}`).join(',')}`);
      writes.push(...entries);
    },
    readPartition: async (partition) => {
      events.push(`state read ${partition}`);
      return saved.get(partition) ?? new Map();
    },
    counters: () => ({ written: writes.length, restored: 0 }),
    stop: async () => undefined,
  };
  const store = { changesSince: async (revision: number) => scripts.filter((script) => script.revision > revision) } as unknown as ScriptStore;
  const routed: RoutedBatch[][] = [];
  const evaluated: TagValue[][] = [];
  const worker = new PartitionedWorker({
    store,
    engine,
    catalog: new TagCatalog(),
    state,
    partitions: PARTITIONS,
    checkpointMs: 60_000,
    pollMs: 60_000,
    evaluate: async (batch) => {
      events.push(`evaluate ${batch.values.map((value) => value.value).join(',')}`);
      evaluated.push(batch.values);
    },
    produceRouted: async (batches) => void routed.push(batches),
    log: createLogger({ level: 'error', pretty: false, name: 'test' }),
  });
  return { worker, events, registered, writes, routed, evaluated };
}

const value = (tag: string, v: number): TagValue => ({ tag, value: v, ts: 1000 + v, quality: 'good' });
const batchOf = (values: TagValue[], partition: number, offsets: number[]): InputBatch => ({
  values,
  rejected: 0,
  heartbeat: async () => undefined,
  origin: { partition, offsets, nextOffset: offsets[offsets.length - 1] + 1 },
});

describe('PartitionedWorker', () => {
  it('routes one record per script group, only tags a script reads', async () => {
    const { worker, routed } = setup([stored('a', 'X', 'A'), stored('b', 'A', 'B'), stored('c', 'Y', 'C')]);
    await worker.start();
    await worker.route(batchOf([value('X', 1), value('Z', 2), value('Y', 3), value('X', 4)], 0, [0, 1, 2, 3]));
    await worker.stop();
    expect(routed).toEqual([
      [
        { key: 'a', partition: partitionOf('a', PARTITIONS), values: [value('X', 1), value('X', 4)] },
        { key: 'c', partition: partitionOf('c', PARTITIONS), values: [value('Y', 3)] },
      ],
    ]);
    expect(worker.counters()).toMatchObject({ routerValuesIn: 4, routerValuesRouted: 3, routerValuesUnread: 1, routedRecordsOut: 2 });
  });

  it('reads a partition state before loading its scripts, skips what it reflects, and writes state before a batch is done', async () => {
    const partition = partitionOf('a', PARTITIONS);
    const saved = new Map([[partition, new Map([['a', { scriptId: 'a', version: 1, routedOffset: 5, state: { vars: { n: 3 }, undef: [] }, tags: [], writtenAt: 0 }]])]]);
    const { worker, events, registered } = setup([stored('a', 'X', 'A')], saved);
    await worker.start();
    await worker.assign([partition]);
    expect(registered[0].restoreState).toEqual({ vars: { n: 3 }, undef: [] });
    await worker.handleRouted(batchOf([value('X', 4), value('X', 5), value('X', 6)], partition, [4, 5, 6]));
    await worker.stop();
    expect(events).toEqual([`state read ${partition}`, 'register a with state', 'evaluate 5,6', `state write a@${partition}:7`]);
    expect(worker.counters()).toMatchObject({ partitions: [partition], scripts: 1, valuesSkipped: 1 });
  });

  it('leaves a batch uncommitted (fails it) when its partition is revoked while it is computed: no state written for it', async () => {
    const partition = partitionOf('a', PARTITIONS);
    const { worker, events } = setup([stored('a', 'X', 'A')]);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    // The engine's pass is under way when the consumer group takes the partition away (and, here, gives it back).
    (worker as unknown as { deps: { evaluate: (batch: InputBatch) => Promise<void> } }).deps.evaluate = async () => {
      events.push('evaluate (held)');
      await held;
    };
    await worker.start();
    await worker.assign([partition]);
    const handling = worker.handleRouted(batchOf([value('X', 1)], partition, [0]));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await worker.assign([]);
    await worker.assign([partition]);
    release();
    await expect(handling).rejects.toThrow(`routed partition ${partition} was reassigned while a batch of it was being computed`);
    await worker.stop();
    expect(events).toEqual([`state read ${partition}`, 'register a', 'evaluate (held)', 'unload a', `state read ${partition}`, 'register a']);
    // A batch of the new load is computed and checkpointed as usual.
    await worker.handleRouted(batchOf([value('X', 2)], partition, [1]));
    expect(events.at(-1)).toBe(`state write a@${partition}:2`);
  });

  it('computes a batch that arrives while its partition is being loaded only once every script of it is in the engine', async () => {
    const partition = partitionOf('a', PARTITIONS);
    // b reads a's output: one group, one partition.
    const second = 'b';
    const { worker, events } = setup([stored('a', 'X', 'A'), stored(second, 'A', 'B')]);
    const engine = (worker as unknown as { deps: { engine: EngineHost } }).deps.engine;
    const register = engine.register.bind(engine);
    // Registering is slow (a loaded machine): the batch comes in between the two scripts.
    let registered = 0;
    let batchSent: Promise<void> | null = null;
    engine.register = async (spec) => {
      const outcome = await register(spec);
      if (++registered === 1) {
        batchSent = worker.handleRouted(batchOf([value('X', 1), value('Y', 2)], partition, [0, 1]));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return outcome;
    };
    await worker.start();
    await worker.assign([partition]);
    await batchSent;
    await worker.stop();
    const evaluate = events.indexOf('evaluate 1,2');
    expect(evaluate).toBeGreaterThan(events.indexOf(`register ${second}`));
    expect(evaluate).toBeGreaterThan(events.indexOf('register a'));
  });

  it('checkpoints idle partitions in one engine round trip and one write, only scripts that ran; a partition with a batch in hand is left to that batch, whole', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const [first, second] = ids.filter((id, index) => ids.findIndex((other) => partitionOf(other, PARTITIONS) === partitionOf(id, PARTITIONS)) === index);
    // The third reads the first's output: one group, one partition.
    const third = ids.find((id) => id > first && id !== second)!;
    const [p1, p2] = [partitionOf(first, PARTITIONS), partitionOf(second, PARTITIONS)];
    const { worker, events } = setup([stored(first, 'X', 'A'), stored(second, 'Y', 'B'), stored(third, 'A', 'C')]);
    const engine = (worker as unknown as { deps: { engine: EngineHost } }).deps.engine;
    // Scripts that ran since their last capture, as the engine keeps them.
    const ran = new Set<string>();
    const captures: Array<{ ids?: string[]; changedOnly?: boolean }> = [];
    engine.captureState = async (options) => {
      captures.push(options);
      const chosen = (options.ids ?? []).filter((id) => !options.changedOnly || ran.has(id));
      for (const id of chosen) ran.delete(id);
      return chosen.map((id) => ({ id, version: 1, state: { vars: { n: 1 }, undef: [] } }));
    };
    const checkpointIdle = () => (worker as unknown as { checkpointIdle(): Promise<void> }).checkpointIdle();
    await worker.start();
    await worker.assign([p1, p2]);
    events.length = 0;
    await checkpointIdle();
    expect(captures).toHaveLength(1);
    expect(events).toEqual([]);
    ran.add(first);
    ran.add(second);
    await checkpointIdle();
    expect(captures).toHaveLength(2);
    expect([...captures[1].ids!].sort()).toEqual([first, second, third].sort());
    expect(events).toEqual([`state write ${first}@${p1}:0,${second}@${p2}:0`]);

    // A batch of p1 starts while the idle capture is in the engine: p1's capture is not written with
    // an offset that does not say so; the batch's checkpoint writes all of p1's scripts.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    (worker as unknown as { deps: { evaluate: (batch: InputBatch) => Promise<void> } }).deps.evaluate = async () => {
      ran.add(first);
      await held;
    };
    ran.add(third);
    events.length = 0;
    const capture = engine.captureState;
    let batch: Promise<void> | null = null;
    engine.captureState = async (options) => {
      batch ??= worker.handleRouted(batchOf([value('X', 1)], p1, [0]));
      return capture(options);
    };
    await checkpointIdle();
    engine.captureState = capture;
    expect(events).toEqual([]);
    release();
    await batch;
    await worker.stop();
    expect(captures.at(-1)).toMatchObject({ changedOnly: false });
    expect(events).toEqual([`state write ${[first, third].map((id) => `${id}@${p1}:1`).join(',')}`]);
  });

  it('checkpoints batches of several partitions that finish while a checkpoint is written in one round trip and one write, each released after it', async () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const [first, second, third] = ids.filter((id, index) => ids.findIndex((other) => partitionOf(other, PARTITIONS) === partitionOf(id, PARTITIONS)) === index);
    const partitions = [first, second, third].map((id) => partitionOf(id, PARTITIONS));
    const { worker, events } = setup([stored(first, 'X', 'A'), stored(second, 'Y', 'B'), stored(third, 'Z', 'C')]);
    const state = (worker as unknown as { deps: { state: StateTopic } }).deps.state;
    const write = state.write.bind(state);
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let writes = 0;
    // The first checkpoint's write is slow to be acknowledged; two other partitions' batches finish meanwhile.
    state.write = async (entries) => {
      if (++writes === 1) await held;
      await write(entries);
    };
    const released: string[] = [];
    await worker.start();
    await worker.assign(partitions);
    events.length = 0;
    const handled = [first, second, third].map((id, n) => worker.handleRouted(batchOf([value(['X', 'Y', 'Z'][n], n + 1)], partitions[n], [10 * n])).then(() => void released.push(id)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(released).toEqual([]);
    release();
    await Promise.all(handled);
    await worker.stop();
    expect(events.filter((event) => event.startsWith('state write'))).toEqual([
      `state write ${first}@${partitions[0]}:1`,
      `state write ${second}@${partitions[1]}:11,${third}@${partitions[2]}:21`,
    ]);
    expect(released).toEqual([first, second, third]);
  });

  it('unloads the scripts of revoked partitions without publishing for them', async () => {
    const partition = partitionOf('a', PARTITIONS);
    const { worker, events } = setup([stored('a', 'X', 'A')]);
    await worker.start();
    await worker.assign([partition]);
    await worker.assign([]);
    await worker.stop();
    expect(events).toEqual([`state read ${partition}`, 'register a', 'unload a']);
    expect(worker.counters()).toMatchObject({ partitions: [], scripts: 0, rebalances: 2 });
  });
});
