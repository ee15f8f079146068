import { randomBytes } from 'node:crypto';
import { AssignerProtocol, Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../lib/adapters/store/open-database';
import { SqlScriptStore } from '../../lib/adapters/store/sql-script-store';
import { SqlWorkerRegistry } from '../../lib/adapters/store/sql-worker-registry';
import { KafkaBus } from '../../lib/adapters/bus/kafka-bus';
import { listWorkers } from '../../lib/partitioning/list-workers';
import { createLogger } from '../../lib/support/logger';
import type { ScriptDraft } from '../../lib/model/script-schema';
import { planPartitions } from '../../lib/partitioning/script-groups';
import { startApp, type RunningApp } from '../helpers/app-process';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { confluentAvailable, servicesAvailable, TEST_SERVICES, waitForKafka } from '../helpers/services';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * WORKER_MODE=partitioned on the real broker (scale-out.md): three worker processes (dist/worker.mjs)
 * share the script groups through the routed topic's consumer group; a counter script continues
 * from the state topic after its worker is killed with SIGKILL (never going back, no gaps); a
 * script change that merges two groups keeps their state. Scripts are written to PostgreSQL through
 * the store, as the web process would, so no web process (and no Next build) is needed.
 * The whole suite runs on each Kafka client of KAFKA_CLIENT (docs/decisions/0016).
 */

const available = await servicesAvailable('partitioned workers', 'kafka', 'postgres');
const CLIENTS = [
  { client: 'kafkajs', enabled: true },
  { client: 'confluent', enabled: await confluentAvailable('partitioned workers on @confluentinc/kafka-javascript') },
] as const;

const COUNTERS = 12;
const PER_ROUND = 5;

interface Output {
  tag: string;
  value: number | null;
  ts: string;
  script: { id: string; name: string; version: number };
}

describe.skipIf(!available).each(CLIENTS)('partitioned workers on $client (real Kafka and PostgreSQL)', ({ client, enabled }) => {
  if (!enabled) {
    it.skip(`needs @confluentinc/kafka-javascript (see the printed reason)`, () => undefined);
    return;
  }
  const run = randomBytes(4).toString('hex');
  const group = `it-part-${run}`;
  const topics = { input: `it-part-in-${run}`, output: `it-part-out-${run}` };
  /** The test's own Kafka client's warnings, shown when a wait fails. */
  const clientLog: string[] = [];
  const kafka = new Kafka({
    clientId: `it-${run}`,
    brokers: TEST_SERVICES.kafka.split(','),
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => void clientLog.push(`${entry.namespace}: ${entry.log.message} ${JSON.stringify({ ...entry.log, message: undefined, timestamp: undefined, logger: undefined })}`.slice(0, 400)),
  });
  const outputs: Output[] = [];
  let producer: Producer;
  let outputConsumer: Consumer;
  let database: TestDatabase;
  let handle: DatabaseHandle;
  let store: SqlScriptStore;
  let env: Record<string, string>;
  const workers: RunningApp[] = [];
  const ids: string[] = [];

  const counter = (n: number): ScriptDraft => ({
    name: `counter_${n}_${run}`,
    inputs: [{ tag: `P.X.${n}`, alias: 'x' }],
    initCode: 'let count = 0;\nconst seen = { last: null };',
    calcCode: 'count++;\nseen.last = x;\nconst out = count;',
    outputs: [{ tag: `P.C.${n}`, variable: 'out' }],
  });

  async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, what: string | (() => string)): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${typeof what === 'function' ? what() : what} not met within ${timeoutMs} ms\n${await topicEnds()}\noutputs read: ${outputs.length} ${JSON.stringify(outputs.slice(0, 3))}\n${clientLog.slice(-15).join('\n')}\n${workers.map((worker, n) => `--- worker ${n}\n${worker.output().slice(-3000)}`).join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Where each topic of the run ends (what reached it), for a failure's message. */
  async function topicEnds(): Promise<string> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const lines: string[] = [];
      for (const topic of [topics.input, `${group}.routed`, `${group}.state`, topics.output]) {
        const ends = await admin.fetchTopicOffsets(topic);
        lines.push(`${topic}: ${ends.map((end) => `${end.partition}:${end.high}`).join(' ')}`);
      }
      return lines.join('\n');
    } catch (error) {
      return `topic ends unknown: ${String(error)}`;
    } finally {
      await admin.disconnect();
    }
  }

  const ts = (round: number, k: number) => new Date(Date.UTC(2026, 10, 30, 8, 0, round * 10 + k)).toISOString();

  /** Values 1..PER_ROUND of round `round` for every counter, spread over the input partitions by tag key. */
  async function produceRound(round: number): Promise<void> {
    for (let k = 0; k < PER_ROUND; k++) {
      const messages = Array.from({ length: COUNTERS }, (_, n) => ({ key: `P.X.${n}`, value: JSON.stringify({ tag: `P.X.${n}`, value: round * 100 + k, ts: ts(round, k) }) }));
      await producer.send({ topic: topics.input, acks: -1, messages });
    }
  }

  const outputsOf = (tag: string) => outputs.filter((output) => output.tag === tag);

  /**
   * Every counter output: one value per input timestamp; a timestamp published twice (recomputed
   * after a kill) carries the same value both times; in event time the values are 1, 2, 3… with no gap.
   */
  function checkCounter(tag: string, expectedCount: number): void {
    const byTs = new Map<string, number | null>();
    for (const output of outputsOf(tag)) {
      if (byTs.has(output.ts)) expect(output.value, `${tag} at ${output.ts} published again with another value`).toBe(byTs.get(output.ts));
      else byTs.set(output.ts, output.value);
    }
    const values = [...byTs.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, value]) => value);
    expect(values, tag).toEqual(Array.from({ length: expectedCount }, (_, n) => n + 1));
  }

  async function allCountersReach(count: number, timeoutMs: number): Promise<void> {
    await waitFor(
      () => (Array.from({ length: COUNTERS }, (_, n) => outputsOf(`P.C.${n}`).some((output) => output.value === count)).every(Boolean) ? true : undefined),
      timeoutMs,
      () => `every counter at ${count} (now ${Array.from({ length: COUNTERS }, (_, n) => `P.C.${n}=${Math.max(0, ...outputsOf(`P.C.${n}`).map((output) => output.value ?? 0))}`).join(' ')})`,
    );
  }

  /** The engine group's members and their routed partitions, as the broker reports them once stable. */
  async function engineMembers(expected: number): Promise<number[][]> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      return await waitFor(async () => {
        const described = await admin.describeGroups([group]);
        const found = described.groups[0];
        if (found?.state !== 'Stable' || found.members.length !== expected) return undefined;
        const shares = found.members.map((member) => {
          const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
          return [...(assignment?.assignment[`${group}.routed`] ?? [])].sort((a, b) => a - b);
        });
        return shares.every((share) => share.length > 0) ? shares : undefined;
      }, 60_000, `${expected} engines sharing the routed topic`);
    } finally {
      await admin.disconnect();
    }
  }

  beforeAll(async () => {
    // An open port is not a ready broker: just after a restart it refuses group and produce requests
    // until it is registered, which would make the workers' first minute (and this suite) flaky.
    await waitForKafka(TEST_SERVICES.kafka, 90_000);
    database = await createTestDatabase();
    handle = await openDatabase({ kind: 'postgres', url: database.url });
    store = new SqlScriptStore(handle);
    for (let n = 0; n < COUNTERS; n++) {
      const created = await store.create(counter(n));
      await store.setState(created.id, 'registered', null);
      ids.push(created.id);
    }
    env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: TEST_SERVICES.kafka,
      KAFKA_INPUT_TOPIC: topics.input,
      KAFKA_OUTPUT_TOPIC: topics.output,
      KAFKA_GROUP_ID: group,
      WORKER_MODE: 'partitioned',
      KAFKA_CLIENT: client,
      KAFKA_ROUTED_PARTITIONS: '8',
      STATE_CHECKPOINT_MS: '200',
      LOG_LEVEL: 'info',
      // Three workers start at once on a small shared machine: a slow initCode must not count as a hang.
      SCRIPT_INIT_CPU_MS: '2000',
    };
    const admin = kafka.admin();
    await admin.connect();
    await createServedTopics(admin, [{ topic: topics.input, numPartitions: 4 }, { topic: topics.output, numPartitions: 1 }]);
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    outputConsumer = kafka.consumer({ groupId: `it-part-reader-${run}`, maxWaitTimeInMs: 200 });
    await outputConsumer.connect();
    await outputConsumer.subscribe({ topic: topics.output, fromBeginning: true });
    await outputConsumer.run({
      eachMessage: async ({ message }) => {
        outputs.push(JSON.parse(message.value!.toString()) as Output);
      },
    });
    for (let n = 0; n < 3; n++) workers.push(await startApp({ entry: 'dist/worker.mjs', env, waitForHealth: false }));
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(workers.map((worker) => worker.stop('SIGTERM')));
    await Promise.allSettled([producer?.disconnect(), outputConsumer?.disconnect()]);
    const admin = kafka.admin();
    await admin
      .connect()
      .then(() => admin.deleteTopics({ topics: [topics.input, topics.output, `${group}.routed`, `${group}.state`] }))
      .catch(() => undefined)
      .finally(() => admin.disconnect());
    await handle?.close().catch(() => undefined);
    await database?.drop().catch(() => undefined);
  }, 60_000);

  it('splits the routed partitions between three workers, and their outputs are what one worker computes', async () => {
    const shares = await engineMembers(3);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await produceRound(0);
    await allCountersReach(PER_ROUND, 60_000);
    for (let n = 0; n < COUNTERS; n++) checkCounter(`P.C.${n}`, PER_ROUND);
    // Every worker computed a share: each loaded the scripts of its partitions.
    for (const worker of workers) expect(worker.output()).toMatch(/routed partitions assigned/);
  }, 120_000);

  it('lists the three workers (GET /api/workers): members as Kafka reports them, figures from their heartbeats', async () => {
    const bus = new KafkaBus({
      brokers: TEST_SERVICES.kafka.split(','),
      inputTopic: topics.input,
      outputTopic: topics.output,
      groupId: group,
      createTopics: false,
      logger: createLogger({ level: 'error', pretty: false }),
    });
    try {
      const ports = { config: { WORKER_MODE: 'partitioned' as const }, workerRegistry: new SqlWorkerRegistry(handle), groupMembers: () => bus.describeMembers(`${group}.routed`) };
      const answer = await waitFor(async () => {
        const listed = await listWorkers(ports);
        const complete = listed.members.length === 3 && listed.members.every((member) => member.lastSeenAt !== null && member.partitions.length > 0);
        return complete && listed.members.reduce((sum, member) => sum + member.scripts, 0) === COUNTERS ? listed : undefined;
      }, 30_000, 'three workers with heartbeats owning every counter');
      expect(answer.mode).toBe('partitioned');
      expect(answer.members.flatMap((member) => member.partitions).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
      // kafkajs: one client id for every engine; confluent: one per process (how a member finds its id).
      const clientId = client === 'kafkajs' ? 'script-server-engine' : expect.stringMatching(/^script-server-[0-9a-f]{8}$/);
      for (const member of answer.members) expect(member).toMatchObject({ clientId, host: expect.any(String) });
    } finally {
      await bus.stop();
    }
  }, 60_000);

  it('continues every counter from the state topic after one worker is killed with SIGKILL: no gap, never back', async () => {
    const victim = workers.shift()!;
    // The victim computes some counters (else this would prove nothing): its last assignment names its partitions.
    const assigned = [...victim.output().matchAll(/"partitions":\[([\d,]*)\][^\n]*routed partitions assigned/g)].at(-1)?.[1] ?? '';
    const victimPartitions = new Set(assigned.split(',').filter(Boolean).map(Number));
    // Each counter is a group of its own; the workers place them as planPartitions does.
    const plan = planPartitions(ids.map((id, n) => ({ id, inputTags: [`P.X.${n}`], outputTags: [`P.C.${n}`] })), 8);
    expect(ids.filter((id) => victimPartitions.has(plan.groupOf.get(id)!.partition)).length).toBeGreaterThan(0);
    victim.process.kill('SIGKILL');
    await produceRound(1);
    await allCountersReach(2 * PER_ROUND, 90_000);
    for (let n = 0; n < COUNTERS; n++) checkCounter(`P.C.${n}`, 2 * PER_ROUND);
    await victim.stop('SIGKILL');
    const shares = await engineMembers(2);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  }, 150_000);

  it('moves groups to a worker added to the group; the counters go on', async () => {
    workers.push(await startApp({ entry: 'dist/worker.mjs', env, waitForHealth: false }));
    const shares = await engineMembers(3);
    expect(shares.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await waitFor(() => (/routed partitions assigned/.test(workers[2].output()) ? true : undefined), 60_000, 'the added worker loading its partitions');
    await produceRound(2);
    await allCountersReach(3 * PER_ROUND, 60_000);
    for (let n = 0; n < COUNTERS; n++) checkCounter(`P.C.${n}`, 3 * PER_ROUND);
  }, 150_000);

  it('keeps the state of two groups that a new script merges', async () => {
    const sum = await store.create({
      name: `sum_${run}`,
      inputs: [
        { tag: 'P.C.0', alias: 'a' },
        { tag: 'P.C.1', alias: 'b' },
      ],
      calcCode: 'const total = a + b;',
      outputs: [{ tag: 'P.SUM', variable: 'total' }],
    });
    await store.setState(sum.id, 'registered', null);
    // Workers and routers poll the database every 500 ms; the move waits for the moved state.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await produceRound(3);
    await allCountersReach(4 * PER_ROUND, 60_000);
    for (let n = 0; n < COUNTERS; n++) checkCounter(`P.C.${n}`, 4 * PER_ROUND);
    const last = await waitFor(() => outputsOf('P.SUM').find((output) => output.value === 2 * 4 * PER_ROUND), 30_000, 'the sum of the merged counters');
    expect(last.ts).toBe(ts(3, PER_ROUND - 1));
  }, 120_000);
});
