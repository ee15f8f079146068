import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AssignerProtocol, Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../lib/adapters/store/open-database';
import { SqlScriptStore } from '../../lib/adapters/store/sql-script-store';
import { SqlWorkerRegistry } from '../../lib/adapters/store/sql-worker-registry';
import { decodeRouted } from '../../lib/adapters/bus/routed-codec';
import { isoTime } from '../../lib/model/tag-value';
import type { ScriptDraft } from '../../lib/model/script-schema';
import { startApp, type RunningApp } from '../helpers/app-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { privateKafkaProblem, startPrivateKafka, type PrivateKafka } from '../helpers/private-kafka';
import { servicesAvailable } from '../helpers/services';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * R10 of quality-bar.md — scale-out faults on a real broker: three `WORKER_MODE=partitioned` worker
 * processes (dist/worker.mjs) under a sustained load (a value for every counter every 100 ms); one is
 * killed with SIGKILL, one is added, and the broker is restarted. Then: no value lost, every output
 * equal to what one `single`-mode worker computes from the same input topic, and no counter ever
 * goes back (its state comes from the state topic, not from its initCode).
 *
 * The broker is the test's own (tests/helpers/private-kafka.ts: free ports, data under /tmp, from the
 * jars `scripts/services.sh` fetched), so restarting it disturbs no other test or person using the
 * shared one. Vitest runs integration files one after the other (fileParallelism: false).
 */

const problem = privateKafkaProblem();
const available = (await servicesAvailable('partitioned faults (R10)', 'postgres')) && privateBrokerPossible();

function privateBrokerPossible(): boolean {
  if (problem === null) return true;
  const reason = `partitioned faults (R10): ${problem}`;
  if (process.env.CI === 'true' || process.env.CI === '1') throw new Error(`${reason} (CI=true: a missing service is a failure)`);
  console.warn(`skipped ${reason}`);
  return false;
}

const COUNTERS = 12;
/** Counters 0..DOUBLED-1 also feed a second script: groups of two scripts. */
const DOUBLED = 6;
const STEP_MS = 100;
const ROUTED_PARTITIONS = 8;

interface Output {
  tag: string;
  value: number | null;
  ts: string;
}

describe.skipIf(!available)('R10: partitioned workers under load through SIGKILL, an added worker and a broker restart (private broker)', () => {
  const run = randomBytes(4).toString('hex');
  const group = `r10-${run}`;
  const topics = { input: `r10-in-${run}`, output: `r10-out-${run}`, reference: `r10-ref-${run}` };
  const base = Date.UTC(2026, 11, 7, 8, 0, 0);
  let broker: PrivateKafka;
  let kafka: Kafka;
  const clientLog: string[] = [];
  const outputs: Output[] = [];
  const referenceOutputs: Output[] = [];
  let producer: Producer;
  const consumers: Consumer[] = [];
  let outputsReader: Consumer | null = null;
  const databases: TestDatabase[] = [];
  const handles: DatabaseHandle[] = [];
  let env: Record<string, string>;
  const workers: RunningApp[] = [];
  /** Every worker started, the killed one too: their logs are kept for a failure's diagnosis. */
  const started: RunningApp[] = [];
  let reference: RunningApp | null = null;
  /** Steps produced and acknowledged: step k holds value k of every counter's input at base + k × STEP_MS. */
  let steps = 0;
  let loading = false;
  let load: Promise<void> = Promise.resolve();
  const sendFailures: string[] = [];

  const counter = (n: number): ScriptDraft => ({
    name: `r10_counter_${n}`,
    inputs: [{ tag: `R.X.${n}`, alias: 'x' }],
    initCode: 'let count = 0;',
    calcCode: 'count++;\nconst out = count;',
    outputs: [{ tag: `R.C.${n}`, variable: 'out' }],
  });
  const doubled = (n: number): ScriptDraft => ({
    name: `r10_double_${n}`,
    inputs: [{ tag: `R.C.${n}`, alias: 'c' }],
    calcCode: 'const d = c * 2 + 1;',
    outputs: [{ tag: `R.D.${n}`, variable: 'd' }],
  });

  async function registerScripts(url: string): Promise<void> {
    const handle = await openDatabase({ kind: 'postgres', url });
    handles.push(handle);
    const store = new SqlScriptStore(handle);
    for (const draft of [...Array.from({ length: COUNTERS }, (_, n) => counter(n)), ...Array.from({ length: DOUBLED }, (_, n) => doubled(n))]) {
      const created = await store.create(draft);
      await store.setState(created.id, 'registered', null);
    }
  }

  /** What happened when (the step the load was at), for a failure's message. */
  const events: string[] = [];
  const note = (event: string) => events.push(`${event} at step ${steps} (${new Date().toISOString()})`);

  /** Counter timestamps never published (values lost), by step. */
  function missingSteps(list: Output[]): string {
    const lines: string[] = [];
    for (let n = 0; n < COUNTERS; n++) {
      const seen = new Set(outputsOf(list, `R.C.${n}`).map((output) => output.ts));
      const missing = Array.from({ length: steps }, (_, k) => k).filter((k) => !seen.has(new Date(base + k * STEP_MS).toISOString()));
      if (missing.length > 0) lines.push(`R.C.${n} misses steps ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? '…' : ''}`);
    }
    return lines.join('; ') || 'no step missing';
  }

  /** Where each topic ends and where each consumer group committed, for a failure's message. */
  async function offsets(): Promise<string> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const lines: string[] = [];
      for (const [topic, groupId] of [
        [topics.input, `${group}-router`],
        [`${group}.routed`, group],
        [`${group}.state`, ''],
        [topics.output, ''],
      ]) {
        const ends = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition);
        const committed = groupId ? ((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? []) : [];
        lines.push(`${topic}: ${ends.map((end) => `${end.partition}:${end.high}${groupId ? `/${committed.find((entry) => entry.partition === end.partition)?.offset ?? '?'}` : ''}`).join(' ')}`);
      }
      return lines.join('\n');
    } catch (error) {
      return `offsets unknown: ${String(error)}`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  function keepLogs(): string {
    const dir = path.join(os.tmpdir(), `script-server-r10-${run}`);
    mkdirSync(dir, { recursive: true });
    started.forEach((worker, n) => writeFileSync(path.join(dir, `worker-${n}.log`), worker.output()));
    if (reference) writeFileSync(path.join(dir, 'reference.log'), reference.output());
    return dir;
  }

  /** The routers' counters from the workers' heartbeats (values read, routed, and read by no script). */
  async function routerFigures(): Promise<string> {
    try {
      const beats = await new SqlWorkerRegistry(handles[0]).list();
      return beats.map((beat) => `${beat.memberId.slice(-8)}: in ${beat.figures.routerValuesIn}, routed ${beat.figures.routerValuesRouted}, partitions ${beat.figures.partitions.join(',')}`).join('; ');
    } catch (error) {
      return `router figures unknown: ${String(error)}`;
    }
  }

  /** Where the routed records holding the first missing counter values are (partition, offset), read again from the routed topic. */
  async function routedRecordsOfMissing(): Promise<string> {
    const wanted = new Set<string>();
    for (let n = 0; n < COUNTERS; n++) {
      const seen = new Set(outputsOf(outputs, `R.C.${n}`).map((output) => output.ts));
      for (let k = 0; k < steps && wanted.size < 20; k++) {
        const ts = new Date(base + k * STEP_MS).toISOString();
        if (!seen.has(ts)) wanted.add(`R.X.${n}@${ts}`);
      }
    }
    if (wanted.size === 0) return '';
    const found: string[] = [];
    const consumer = kafka.consumer({ groupId: `r10-diagnosis-${randomBytes(4).toString('hex')}`, maxWaitTimeInMs: 200 });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: `${group}.routed`, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          for (const value of decodeRouted(message.value!)) {
            const at = `${value.tag}@${isoTime(value.ts)}`;
            if (wanted.has(at)) found.push(`${at} in routed ${partition}:${message.offset}`);
          }
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 5_000));
    } catch (error) {
      found.push(`routed topic unread: ${String(error)}`);
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return `missing values looked for in the routed topic: ${[...wanted].join(', ')}; found: ${found.join(', ') || 'none'}`;
  }

  async function failureContext(): Promise<string> {
    return [
      events.join('\n'),
      missingSteps(outputs),
      await routedRecordsOfMissing(),
      `routers: ${await routerFigures()}`,
      `ends/committed: ${await offsets()}`,
      `steps produced: ${steps}; outputs read: ${outputs.length}, reference outputs: ${referenceOutputs.length}`,
      `send failures: ${sendFailures.slice(-5).join(' | ')}`,
      clientLog.slice(-10).join('\n'),
      `every worker's whole log: ${keepLogs()}`,
      ...workers.map((worker, n) => `--- worker ${n}\n${worker.output().slice(-2500)}`),
      reference ? `--- reference worker\n${reference.output().slice(-2500)}` : '',
      `--- broker\n${broker?.logTail().slice(-1500)}`,
    ].join('\n');
  }

  async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string | (() => string)): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${typeof what === 'function' ? what() : what} not met within ${timeoutMs} ms\n${await failureContext()}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** One message per counter input per step, sent until acknowledged (the same step again after a failure: idempotent producer). */
  function startLoad(): void {
    loading = true;
    load = (async () => {
      while (loading) {
        const k = steps;
        const ts = new Date(base + k * STEP_MS).toISOString();
        const messages = Array.from({ length: COUNTERS }, (_, n) => ({ key: `R.X.${n}`, value: JSON.stringify({ tag: `R.X.${n}`, value: k, ts }) }));
        const started = Date.now();
        try {
          await producer.send({ topic: topics.input, acks: -1, messages });
          steps = k + 1;
        } catch (error) {
          sendFailures.push(`step ${k}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, STEP_MS - (Date.now() - started))));
      }
    })();
  }

  async function stopLoad(): Promise<void> {
    loading = false;
    await load;
  }

  const outputsOf = (list: Output[], tag: string) => list.filter((output) => output.tag === tag);
  const highest = (list: Output[], tag: string) => Math.max(0, ...outputsOf(list, tag).map((output) => output.value ?? 0));

  async function countersReach(list: Output[], count: number, timeoutMs: number, what: string): Promise<void> {
    await waitFor(
      () => (Array.from({ length: COUNTERS }, (_, n) => highest(list, `R.C.${n}`) >= count).every(Boolean) ? true : undefined),
      timeoutMs,
      () => `${what}: every counter at ${count} (now ${Array.from({ length: COUNTERS }, (_, n) => highest(list, `R.C.${n}`)).join(' ')})`,
    );
  }

  /** The engine group's members and their routed partitions, once the group is stable with `expected` members each holding some. */
  async function engineMembers(expected: number, timeoutMs = 90_000): Promise<number[][]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await waitFor(
        async () => {
          const found = (await admin.describeGroups([group]).catch(() => null))?.groups[0];
          if (found?.state !== 'Stable' || found.members.length !== expected) return undefined;
          const shares = found.members.map((member) => [...(AssignerProtocol.MemberAssignment.decode(member.memberAssignment)?.assignment[`${group}.routed`] ?? [])].sort((a, b) => a - b));
          return shares.every((share) => share.length > 0) ? shares : undefined;
        },
        timeoutMs,
        `${expected} engines sharing the routed topic`,
      );
    } finally {
      await admin.disconnect();
    }
  }

  /** Each output tag's value at each timestamp; a timestamp published twice (recomputed after a fault) must carry the same value. */
  function byTimestamp(list: Output[]): Map<string, Map<string, number | null>> {
    const tags = new Map<string, Map<string, number | null>>();
    for (const output of list) {
      const values = tags.get(output.tag) ?? new Map<string, number | null>();
      tags.set(output.tag, values);
      if (values.has(output.ts)) expect(output.value, `${output.tag} at ${output.ts} published again with another value`).toBe(values.get(output.ts));
      else values.set(output.ts, output.value);
    }
    return tags;
  }

  async function startWorker(): Promise<RunningApp> {
    const worker = await startApp({ entry: 'dist/worker.mjs', env, waitForHealth: false });
    started.push(worker);
    return worker;
  }

  /** Reads `topic` from its beginning into `into` with a consumer (and group) of its own. */
  async function follow(topic: string, into: Output[]): Promise<Consumer> {
    const consumer = kafka.consumer({ groupId: `r10-reader-${topic}-${consumers.length}`, maxWaitTimeInMs: 200, retry: { retries: 30, maxRetryTime: 3_000 } });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        into.push(JSON.parse(message.value!.toString()) as Output);
      },
    });
    return consumer;
  }

  /**
   * After the broker's restart the test reads the outputs again from the beginning with a fresh
   * consumer: a plain kafkajs consumer does not always resume after a restart (the workers' KafkaBus
   * restarts its own), and a reader that stalls would look like lost values.
   */
  async function followOutputsAgain(): Promise<void> {
    const stale = outputsReader;
    await Promise.race([stale?.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    outputs.length = 0;
    outputsReader = await follow(topics.output, outputs);
  }

  beforeAll(async () => {
    broker = await startPrivateKafka();
    kafka = new Kafka({
      clientId: `r10-${run}`,
      brokers: [broker.brokers],
      logLevel: logLevel.WARN,
      retry: { retries: 30, maxRetryTime: 3_000 },
      logCreator: () => (entry) => void clientLog.push(`${entry.namespace}: ${entry.log.message}`.slice(0, 300)),
    });
    // The partitioned workers' database, and the reference worker's own (its restart snapshot must not be theirs).
    for (let n = 0; n < 2; n++) {
      const database = await createTestDatabase();
      databases.push(database);
      await registerScripts(database.url);
    }
    const admin = kafka.admin();
    await admin.connect();
    await createServedTopics(admin, [
        { topic: topics.input, numPartitions: 4 },
        { topic: topics.output, numPartitions: 1 },
        { topic: topics.reference, numPartitions: 1 },
      ]);
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    outputsReader = await follow(topics.output, outputs);
    env = {
      DATABASE_URL: databases[0].url,
      KAFKA_BROKERS: broker.brokers,
      KAFKA_INPUT_TOPIC: topics.input,
      KAFKA_OUTPUT_TOPIC: topics.output,
      KAFKA_GROUP_ID: group,
      WORKER_MODE: 'partitioned',
      KAFKA_ROUTED_PARTITIONS: String(ROUTED_PARTITIONS),
      STATE_CHECKPOINT_MS: '200',
      LOG_LEVEL: 'info',
      SCRIPT_INIT_CPU_MS: '2000',
    };
    for (let n = 0; n < 3; n++) workers.push(await startWorker());
  }, 180_000);

  afterAll(async () => {
    loading = false;
    await Promise.allSettled([...workers, ...(reference ? [reference] : [])].map((worker) => worker.stop('SIGKILL')));
    await Promise.allSettled([producer?.disconnect(), ...consumers.map((consumer) => consumer.disconnect())]);
    await broker?.stop().catch(() => undefined);
    await Promise.allSettled(handles.map((handle) => handle.close()));
    await Promise.allSettled(databases.map((database) => database.drop()));
  }, 120_000);

  it('three workers share the routed partitions and compute under a sustained load', async () => {
    const shares = await engineMembers(3);
    expect(shares.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: ROUTED_PARTITIONS }, (_, n) => n));
    startLoad();
    await countersReach(outputs, 20, 60_000, 'the first outputs');
  });

  it('SIGKILL of one of the three: the other two take its partitions while the load goes on', async () => {
    const victim = workers.shift()!;
    victim.process.kill('SIGKILL');
    note('worker killed (SIGKILL)');
    const before = steps;
    const shares = await engineMembers(2);
    note('two engines share the partitions');
    expect(shares.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: ROUTED_PARTITIONS }, (_, n) => n));
    // Values produced after the kill are computed.
    await countersReach(outputs, before + 10, 60_000, 'outputs after the kill');
    note('every counter past the kill');
    await victim.stop('SIGKILL');
  });

  it('a worker added under load takes a share', async () => {
    workers.push(await startWorker());
    note('worker added');
    const before = steps;
    const shares = await engineMembers(3);
    note('three engines share the partitions');
    expect(shares.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: ROUTED_PARTITIONS }, (_, n) => n));
    await countersReach(outputs, before + 10, 60_000, 'outputs after the worker was added');
    note('every counter past the addition');
  });

  it('the broker restarted under load: the workers reconnect and go on', async () => {
    note('broker restart begins');
    const { downMs } = await broker.restart();
    note('broker back');
    await followOutputsAgain();
    const before = steps;
    expect(workers.every((worker) => worker.process.exitCode === null && worker.process.signalCode === null), 'every worker survives the restart').toBe(true);
    await countersReach(outputs, before + 10, 90_000, `outputs after the broker's restart (it was down ${downMs} ms)`);
    note(`every counter past the restart (broker down ${downMs} ms)`);
  });

  it('no value lost and no counter back: every counter is 1, 2, 3… by event time; a new timestamp never carries a lower count', async () => {
    await stopLoad();
    const total = steps;
    note('load stopped');
    expect(total).toBeGreaterThan(100);
    await countersReach(outputs, total, 60_000, 'every value produced computed');
    const tags = byTimestamp(outputs);
    const distinct = [...tags.values()].reduce((sum, values) => sum + values.size, 0);
    console.info(`R10: ${total} steps (${total * COUNTERS} values) produced; ${outputs.length} outputs published, ${outputs.length - distinct} of them again after a fault (same value); ${events.join('; ')}`);
    for (let n = 0; n < COUNTERS; n++) {
      const tag = `R.C.${n}`;
      const values = [...tags.get(tag)!.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      expect(values.map(([, value]) => value), tag).toEqual(Array.from({ length: total }, (_, k) => k + 1));
      expect(values.map(([ts]) => ts), `${tag}: one output at every input timestamp`).toEqual(Array.from({ length: total }, (_, k) => new Date(base + k * STEP_MS).toISOString()));
      // In publication order (one output partition): a timestamp seen for the first time always carries a higher count.
      let top = 0;
      const seen = new Set<string>();
      for (const output of outputsOf(outputs, tag)) {
        if (seen.has(output.ts)) continue;
        seen.add(output.ts);
        expect(output.value, `${tag} went back at ${output.ts}`).toBeGreaterThan(top);
        top = output.value ?? top;
      }
    }
  }, 120_000);

  it("every output equals what one single-mode worker computes from the same input", async () => {
    reference = await startApp({
      entry: 'dist/worker.mjs',
      waitForHealth: false,
      env: { DATABASE_URL: databases[1].url, KAFKA_BROKERS: broker.brokers, KAFKA_INPUT_TOPIC: topics.input, KAFKA_OUTPUT_TOPIC: topics.reference, KAFKA_GROUP_ID: `${group}-reference`, WORKER_MODE: 'single', LOG_LEVEL: 'info' },
    });
    await follow(topics.reference, referenceOutputs);
    await countersReach(referenceOutputs, steps, 120_000, 'the single-mode reference worker');
    const expected = byTimestamp(referenceOutputs);
    const actual = byTimestamp(outputs);
    expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
    expect(expected.size).toBe(COUNTERS + DOUBLED);
    for (const [tag, values] of expected) expect(Object.fromEntries(actual.get(tag)!), tag).toEqual(Object.fromEntries(values));
  }, 150_000);
});
