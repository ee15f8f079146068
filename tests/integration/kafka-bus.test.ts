import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type Admin, type KafkaMessage, type Message, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfluentBus } from '../../lib/adapters/bus/confluent-bus';
import { DLQ_HEADERS, KafkaBus, type KafkaBusOptions } from '../../lib/adapters/bus/kafka-bus';
import { isAppError } from '../../lib/model/errors';
import { silentLogger } from '../../lib/support/logger';
import type { InputBatch } from '../../lib/ports/bus';
import type { OutputValue, TagValue } from '../../lib/model/tag-value';
import { confluentAvailable, servicesAvailable, TEST_SERVICES } from '../helpers/services';
import { ThreadedKafkaBus } from '../../lib/adapters/bus/threaded-kafka-bus';
import { BUS_THREAD } from '../../workers/thread-entries';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * The Kafka bus against the real broker, on each client of KAFKA_CLIENT (docs/decisions/0016): the
 * same contract for kafkajs and @confluentinc/kafka-javascript, except the one-active-worker assignor
 * of single mode (kafkajs only) and cooperative rebalancing (confluent only). Every test uses its own
 * topics and groups (suffixed with a random run id) so runs never see each other's messages; the
 * topics are deleted afterwards.
 */

const available = await servicesAvailable('Kafka bus', 'kafka');
const withConfluent = await confluentAvailable('Kafka bus on @confluentinc/kafka-javascript');
const CLIENTS = [
  { client: 'kafkajs', enabled: true },
  { client: 'confluent', enabled: withConfluent },
  // kafkajs in the bus thread (BUS_THREAD, docs/decisions/0021): the same contract through the thread.
  { client: 'bus-thread', enabled: true },
  // kafkajs with slices pipelined (KAFKA_PIPELINE_DEPTH, ordered-commits.ts): the same contract.
  { client: 'kafkajs-pipelined', enabled: true },
] as const;
type TestBus = KafkaBus | ConfluentBus | ThreadedKafkaBus;
const brokers = TEST_SERVICES.kafka.split(',');
const runId = randomUUID().slice(0, 8);

let kafka: Kafka;
let admin: Admin;
let producer: Producer;
const createdTopics = new Set<string>();
const buses: TestBus[] = [];
let client: (typeof CLIENTS)[number]['client'] = 'kafkajs';

function names(test: string) {
  const prefix = `ss-test-${runId}-${client}-${test}`;
  for (const suffix of ['in', 'out', 'dlq']) createdTopics.add(`${prefix}-${suffix}`);
  return { inputTopic: `${prefix}-in`, outputTopic: `${prefix}-out`, dlqTopic: `${prefix}-dlq`, groupId: `${prefix}-group` };
}

function newBus(options: Partial<KafkaBusOptions> & Pick<KafkaBusOptions, 'inputTopic' | 'outputTopic' | 'groupId'>): TestBus {
  const settings = {
    brokers,
    createTopics: true,
    logger: silentLogger,
    sessionTimeoutMs: 6_000,
    rebalanceTimeoutMs: 6_000,
    heartbeatIntervalMs: 500,
    ...options,
  };
  const bus =
    client === 'confluent'
      ? new ConfluentBus({ ...settings, assigner: 'spread' })
      : client === 'bus-thread'
        ? new ThreadedKafkaBus(settings, BUS_THREAD.file)
        : client === 'kafkajs-pipelined'
          ? new KafkaBus({ pipelineDepth: 3, ...settings })
          : new KafkaBus(settings);
  buses.push(bus);
  return bus;
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function produce(topic: string, messages: Message[]): Promise<void> {
  await producer.send({ topic, messages, acks: -1 });
}

/** The broker has several partitions per topic: one key keeps a test's messages in one, in order. */
const ONE_PARTITION = 'one-partition';
const json = (body: unknown): Message => ({ key: ONE_PARTITION, value: JSON.stringify(body) });

/** Reads every message of `topic` from the beginning with a throwaway group until `count` arrived. */
async function readTopic(topic: string, count: number, timeoutMs = 20_000): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `ss-test-${runId}-reader-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 200 });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void messages.push(message) });
  try {
    await until(() => messages.length >= count, `${count} messages on ${topic}`, timeoutMs);
    // A moment more, so that an unexpected extra message would be seen too.
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await consumer.disconnect();
  }
  return messages;
}

async function committedOffset(groupId: string, topic: string): Promise<number> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return entry.partitions.reduce((sum, partition) => sum + Math.max(0, Number(partition.offset)), 0);
}

async function endOffset(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, partition) => sum + Number(partition.high), 0);
}

function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  return value === undefined ? undefined : String(value);
}

describe.skipIf(!available).each(CLIENTS)('Kafka bus on $client (real broker)', ({ client: which, enabled }) => {
  beforeAll(async () => {
    client = which;
    kafka = new Kafka({ clientId: 'kafka-bus-test', brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    // Idempotent: a send to a topic created a moment ago may be retried (a partition's leader not
    // ready yet), and a retried batch must not reach the partition twice.
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.allSettled(buses.splice(0).map((bus) => bus.stop()));
    await producer?.disconnect();
    if (admin) {
      const existing = new Set(await admin.listTopics());
      const topics = [...createdTopics].filter((topic) => existing.has(topic));
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => {});
      await admin.disconnect();
    }
  });

  it.skipIf(!enabled)('creates its topics and decodes every message form of messages.md', async () => {
    const topics = names('forms');
    const bus = newBus(topics);
    const received: TagValue[] = [];
    await bus.consume(async (batch) => void received.push(...batch.values));
    // librdkafka's createTopics answers before every broker's metadata lists the new topics.
    const wanted = [topics.inputTopic, topics.outputTopic, topics.dlqTopic];
    let listed: string[] = [];
    for (let attempt = 0; attempt < 40 && !wanted.every((topic) => listed.includes(topic)); attempt++) {
      listed = await admin.listTopics();
      if (!wanted.every((topic) => listed.includes(topic))) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(listed).toEqual(expect.arrayContaining(wanted));

    const base = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
    const iso = (offset: number) => new Date(base + offset).toISOString();
    const kafkaTimestamp = base + 99_000;
    await produce(topics.inputTopic, [
      json({ tag: 'FT-101.PV', value: 12.5, ts: iso(0), quality: 'good' }),
      json([
        { tag: 'A', value: 1, ts: iso(1_000) },
        { tag: 'B', value: true, ts: iso(2_000), quality: 'uncertain' },
      ]),
      json({ tagname: 'C', value: 'open', ts: base + 3_000 }),
      json({ name: 'D', value: null, timestamp: iso(4_000) }),
      json({ tag: 'E', value: 5, timestamp: base + 5_000, quality: 0 }),
      json({ tag: 'F', value: 6, ts: String(base + 6_000), quality: 0x40000000 }),
      json({ tag: 'G', value: 7, ts: iso(7_000), quality: 0x80000000 }),
      json({ tag: 'H', value: 8, ts: iso(8_000), quality: 0x808a0000 }),
      json({ tag: 'I', value: 9, ts: iso(9_000), quality: 'BAD' }),
      // An ISO time without a zone is UTC, whatever the server's zone.
      json({ tag: 'K', value: 11, ts: iso(10_000).replace('Z', '') }),
      // No ts: the Kafka message's own timestamp is the event time; no quality: good.
      { key: ONE_PARTITION, value: JSON.stringify({ tag: 'J', value: 10 }), timestamp: String(kafkaTimestamp) },
    ]);
    await until(() => received.length >= 12, '12 values');

    expect(received).toEqual([
      { tag: 'FT-101.PV', value: 12.5, ts: base, quality: 'good' },
      { tag: 'A', value: 1, ts: base + 1_000, quality: 'good' },
      { tag: 'B', value: true, ts: base + 2_000, quality: 'uncertain' },
      { tag: 'C', value: 'open', ts: base + 3_000, quality: 'good' },
      { tag: 'D', value: null, ts: base + 4_000, quality: 'good' },
      { tag: 'E', value: 5, ts: base + 5_000, quality: 'good' },
      { tag: 'F', value: 6, ts: base + 6_000, quality: 'uncertain' },
      { tag: 'G', value: 7, ts: base + 7_000, quality: 'bad' },
      { tag: 'H', value: 8, ts: base + 8_000, quality: 'bad' },
      { tag: 'I', value: 9, ts: base + 9_000, quality: 'bad' },
      { tag: 'K', value: 11, ts: base + 10_000, quality: 'good' },
      { tag: 'J', value: 10, ts: kafkaTimestamp, quality: 'good' },
    ]);
    expect(bus.counters()).toMatchObject({ messagesIn: 11, valuesIn: 12, rejectedIn: 0 });
  });

  it.skipIf(!enabled)('counts bad messages, forwards them to the DLQ with the reason, and keeps consuming', async () => {
    const topics = names('bad');
    const bus = newBus(topics);
    const received: TagValue[] = [];
    let rejectedInBatches = 0;
    await bus.consume(async (batch) => {
      received.push(...batch.values);
      rejectedInBatches += batch.rejected;
    });

    const ts = new Date(Date.now() - 60_000).toISOString();
    const bad: Array<{ message: Message; reason: RegExp }> = [
      { message: { key: ONE_PARTITION, value: '{"tag": "X", "value": ' }, reason: /not JSON/ },
      { message: { key: ONE_PARTITION, value: Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]) }, reason: /not UTF-8/ },
      { message: { key: ONE_PARTITION, value: Buffer.alloc(0) }, reason: /empty/ },
      { message: { key: ONE_PARTITION, value: null }, reason: /empty/ },
      { message: json({ value: 1, ts }), reason: /tag must be a string/ },
      { message: json({ tag: 'X', ts }), reason: /value is missing/ },
      { message: json({ tag: 'X', value: 1, ts: 'yesterday' }), reason: /ts 'yesterday'/ },
      { message: json({ tag: 'X', value: 'NaN', ts }), reason: /not a finite number/ },
      { message: json({ tag: 'X', value: { nested: 1 }, ts }), reason: /value must be a number/ },
      { message: json({ tag: 'X', value: 1, ts: new Date(Date.now() + 30 * 86_400_000).toISOString() }), reason: /ahead of the server clock/ },
      { message: json({ tag: 'X', value: 1, ts: 1_000 }), reason: /before 1990/ },
      // Out of the Date range: once made the decoder throw, which would have stalled the partition.
      { message: json({ tag: 'X', value: 1, ts: -1e20 }), reason: /before 1990/ },
      { message: json({ tag: 'X', value: 'x'.repeat(200_000), ts }), reason: /longer than/ },
      { message: json(42), reason: /expected an object/ },
    ];
    const mixedArray = json([
      { tag: 'GOOD.1', value: 1, ts },
      { tag: 'BAD.1', ts },
      { tag: 'GOOD.2', value: 2, ts },
      'not an object',
    ]);
    const after = json({ tag: 'AFTER', value: 3, ts });
    await produce(topics.inputTopic, [...bad.map((entry) => entry.message), mixedArray, after]);

    await until(() => received.some((value) => value.tag === 'AFTER'), 'the good value after the bad ones');
    expect(received.map((value) => value.tag)).toEqual(['GOOD.1', 'GOOD.2', 'AFTER']);
    const rejectedCount = bad.length + 2;
    expect(bus.counters()).toMatchObject({ messagesIn: bad.length + 2, valuesIn: 3, rejectedIn: rejectedCount });
    expect(rejectedInBatches).toBe(rejectedCount);

    const dlq = await readTopic(topics.dlqTopic, bad.length + 1);
    expect(dlq).toHaveLength(bad.length + 1);
    const inputOffsets = dlq.map((message) => Number(header(message, DLQ_HEADERS.sourceOffset)));
    expect(inputOffsets).toEqual([...Array(bad.length + 1).keys()]);
    const inputPartition = (await admin.fetchTopicOffsets(topics.inputTopic)).find((entry) => Number(entry.high) > 0)!.partition;
    dlq.forEach((message, index) => {
      expect(message.key?.toString()).toBe(ONE_PARTITION);
      expect(header(message, DLQ_HEADERS.sourceTopic)).toBe(topics.inputTopic);
      expect(header(message, DLQ_HEADERS.sourcePartition)).toBe(String(inputPartition));
      expect(header(message, DLQ_HEADERS.rejectedAt)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      if (index < bad.length) expect(header(message, DLQ_HEADERS.reason)).toMatch(bad[index].reason);
    });
    // The raw message is forwarded as it was.
    expect(dlq[1].value).toEqual(Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x7b]));
    const mixed = dlq[bad.length];
    expect(mixed.value?.toString()).toBe(mixedArray.value);
    expect(header(mixed, DLQ_HEADERS.rejectedElements)).toBe('1,3');
    expect(header(mixed, DLQ_HEADERS.reason)).toMatch(/element 1: tag 'BAD.1': value is missing; element 3: expected an object/);
  });

  it.skipIf(!enabled)('publishes outputs keyed by tag with the exact JSON shape and lineage, and mirrors them to watchers', async () => {
    const topics = names('outputs');
    const bus = newBus(topics);
    // The web process mirrors outputs on kafkajs whatever KAFKA_CLIENT says.
    const web = new KafkaBus({ brokers, createTopics: true, logger: silentLogger, ...topics, groupId: `${topics.groupId}-web` });
    buses.push(web);
    const watched: OutputValue[] = [];
    await web.watchOutputs((values) => watched.push(...values));

    const ts = Date.UTC(2026, 10, 27, 10, 0, 0, 123);
    const lineage = { id: 'b3c1d9e2-0000-4000-8000-000000000001', name: 'boiler_efficiency', version: 4 };
    const outputs: OutputValue[] = [
      { tag: 'CALC.BOILER_EFF', value: 3.1, ts, quality: 'good', script: lineage },
      { tag: 'CALC.FLAG', value: false, ts: ts + 1, quality: 'uncertain', script: lineage },
      { tag: 'CALC.NOTE', value: 'ok', ts: ts + 2, quality: 'bad', script: { ...lineage, version: 5 } },
      { tag: 'CALC.NONE', value: null, ts: ts + 3, quality: 'bad', script: lineage },
    ];
    await bus.publishOutputs(outputs);
    expect(bus.counters().valuesOut).toBe(4);

    // Each tag has its own key, hence maybe its own partition: compare in tag order.
    const byTag = (a: { tag: string }, b: { tag: string }) => a.tag.localeCompare(b.tag);
    const messages = (await readTopic(topics.outputTopic, 4)).sort((a, b) => a.key!.toString().localeCompare(b.key!.toString()));
    outputs.sort(byTag);
    expect(messages.map((message) => message.key?.toString())).toEqual(outputs.map((output) => output.tag));
    expect(messages.find((message) => message.key?.toString() === 'CALC.BOILER_EFF')?.value?.toString()).toBe(
      '{"tag":"CALC.BOILER_EFF","value":3.1,"ts":"2026-11-27T10:00:00.123Z","quality":"good",' +
        '"script":{"id":"b3c1d9e2-0000-4000-8000-000000000001","name":"boiler_efficiency","version":4}}',
    );
    expect(messages.map((message) => JSON.parse(message.value!.toString()))).toEqual(
      outputs.map((output) => ({ ...output, ts: new Date(output.ts).toISOString() })),
    );

    await until(() => watched.length >= 4, 'the watcher to see the outputs');
    expect(watched.sort(byTag)).toEqual(outputs);
  });

  it.skipIf(!enabled)('publishRaw produces raw values keyed by tag that its own consumer receives', async () => {
    const topics = names('raw');
    const bus = newBus(topics);
    const received: TagValue[] = [];
    await bus.consume(async (batch) => void received.push(...batch.values));
    const ts = Date.now() - 1_000;
    const values: TagValue[] = [
      { tag: 'LT-7.PV', value: 42.25, ts, quality: 'good' },
      { tag: 'XV-3.POS', value: 'OPEN', ts: ts + 1, quality: 'uncertain' },
    ];
    await bus.publishRaw(values);
    await until(() => received.length >= 2, 'the raw values');
    expect(received.sort((a, b) => a.tag.localeCompare(b.tag))).toEqual(values);
    const raw = await readTopic(topics.inputTopic, 2);
    const first = raw.find((message) => message.key?.toString() === 'LT-7.PV')!;
    expect(JSON.parse(first.value!.toString())).toEqual({ tag: 'LT-7.PV', value: 42.25, ts: new Date(ts).toISOString(), quality: 'good' });
  });

  it.skipIf(!enabled)('does not commit when the handler fails: the batch is delivered again, and once handled it is not repeated', async () => {
    const topics = names('retry');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const first = newBus(topics);
    const deliveries: string[][] = [];
    await first.consume(async (batch) => {
      deliveries.push(batch.values.map((value) => value.tag));
      if (deliveries.length === 1) throw new Error('the engine failed once');
    });
    await produce(topics.inputTopic, [json({ tag: 'R1', value: 1, ts }), json({ tag: 'R2', value: 2, ts })]);
    // kafkajs hands both values in one batch; librdkafka's first batches hold one message each.
    await until(() => deliveries.slice(1).flat().includes('R2'), 'the redelivery');
    expect(deliveries[0].length).toBeGreaterThan(0);
    expect(deliveries[0]).toEqual(['R1', 'R2'].slice(0, deliveries[0].length));
    expect(deliveries.slice(1).flat()).toEqual(['R1', 'R2']);
    await first.stop();
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(2);

    // The next member of the group starts after what was handled.
    const second = newBus(topics);
    const later: string[] = [];
    await second.consume(async (batch) => void later.push(...batch.values.map((value) => value.tag)));
    await produce(topics.inputTopic, [json({ tag: 'R3', value: 3, ts })]);
    await until(() => later.includes('R3'), 'R3');
    expect(later).toEqual(['R3']);
  });

  it.skipIf(which !== 'bus-thread')('starts a bus thread that died again; what it had in hand is delivered again, then committed', async () => {
    const topics = names('thread-death');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const bus = newBus(topics) as ThreadedKafkaBus;
    const deliveries: string[][] = [];
    await bus.consume((batch) => {
      deliveries.push(batch.values.map((value) => value.tag));
      // The first delivery never finishes: its thread dies with it in hand.
      return deliveries.length === 1 ? new Promise<void>(() => {}) : Promise.resolve();
    });
    await produce(topics.inputTopic, [json({ tag: 'T1', value: 1, ts }), json({ tag: 'T2', value: 2, ts })]);
    await until(() => deliveries.length === 1, 'the first delivery');
    await (bus as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => deliveries.slice(1).flat().includes('T2'), 'the redelivery through a new thread', 40_000);
    expect(deliveries.slice(1).flat()).toEqual(['T1', 'T2']);
    await until(() => bus.counters().valuesIn === 2, 'the new thread counting the values');
    await bus.stop();
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(2);
  }, 60_000);

  it.skipIf(!enabled)('redelivers to another member of the group what a hung consumer never finished (at-least-once)', async () => {
    const topics = names('hang');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const hung = newBus({ ...topics, stopTimeoutMs: 1_000 });
    let hungCalls = 0;
    await hung.consume(() => {
      hungCalls++;
      return new Promise<void>(() => {});
    });
    await produce(topics.inputTopic, [json({ tag: 'H1', value: 1, ts }), json({ tag: 'H2', value: 2, ts })]);
    await until(() => hungCalls === 1, 'the hung delivery');
    await hung.stop();
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(0);

    const rescuer = newBus(topics);
    const received: string[] = [];
    await rescuer.consume(async (batch) => void received.push(...batch.values.map((value) => value.tag)));
    await until(() => received.length >= 2, 'the redelivery to the second member', 30_000);
    expect(received).toEqual(['H1', 'H2']);
  });

  it.skipIf(which === 'confluent')('gives every partition to one worker of the group; the other stands by and takes over', async () => {
    const topics = names('standby');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const first = newBus(topics);
    const second = newBus(topics);
    const got: Record<'first' | 'second', string[]> = { first: [], second: [] };
    await first.consume(async (batch) => void got.first.push(...batch.values.map((value) => value.tag)));
    await second.consume(async (batch) => void got.second.push(...batch.values.map((value) => value.tag)));
    // Keys spread over every partition of the topic: one member still receives them all.
    const spread = (tag: string): Message => ({ key: tag, value: JSON.stringify({ tag, value: 1, ts }) });
    await produce(topics.inputTopic, ['A', 'B', 'C', 'D', 'E', 'F'].map(spread));
    await until(() => got.first.length + got.second.length >= 6, 'six values');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [active, standby] = got.first.length > 0 ? (['first', 'second'] as const) : (['second', 'first'] as const);
    expect(got[active].sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    expect(got[standby]).toEqual([]);

    await (active === 'first' ? first : second).stop();
    await produce(topics.inputTopic, ['G', 'H', 'I'].map(spread));
    await until(() => got[standby].length >= 3, 'the standby taking over', 30_000);
    expect(got[standby].sort()).toEqual(['G', 'H', 'I']);
  });

  it.skipIf(which !== 'confluent' || !enabled)('splits the partitions cooperatively: a member joining takes some without the first ever letting go of all', async () => {
    const topics = names('cooperative');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const held: Record<'first' | 'second', number[][]> = { first: [], second: [] };
    const got: Record<'first' | 'second', string[]> = { first: [], second: [] };
    const first = newBus({ ...topics, onAssignment: (partitions) => held.first.push(partitions) });
    await first.consume(async (batch) => void got.first.push(...batch.values.map((value) => value.tag)));
    await until(() => (held.first.at(-1)?.length ?? 0) > 1, 'the first member to hold the partitions');
    const all = held.first.at(-1)!;
    const second = newBus({ ...topics, onAssignment: (partitions) => held.second.push(partitions) });
    await second.consume(async (batch) => void got.second.push(...batch.values.map((value) => value.tag)));
    await until(() => (held.second.at(-1)?.length ?? 0) > 0, 'the second member to be given partitions', 30_000);
    await until(() => (held.first.at(-1)?.length ?? 0) + (held.second.at(-1)?.length ?? 0) === all.length, 'every partition owned once');
    // Cooperative: the first member gave up only what moved; it never held nothing in between.
    expect(held.first.slice(held.first.indexOf(all)).every((partitions) => partitions.length > 0)).toBe(true);
    expect([...held.first.at(-1)!, ...held.second.at(-1)!].sort((a, b) => a - b)).toEqual(all);
    const tags = Array.from({ length: 24 }, (_, n) => `T${n}`);
    await produce(topics.inputTopic, tags.map((tag) => ({ key: tag, value: JSON.stringify({ tag, value: 1, ts }) })));
    await until(() => got.first.length + got.second.length >= tags.length, 'every value once');
    expect([...got.first, ...got.second].sort()).toEqual([...tags].sort());
    expect(got.first.length).toBeGreaterThan(0);
    expect(got.second.length).toBeGreaterThan(0);
  });

  it.skipIf(!enabled)('handles the partitions of the input at the same time, each in its order, and commits them all', async () => {
    const topics = names('concurrent');
    const ts = new Date(Date.now() - 60_000).toISOString();
    // The values are on both partitions before the bus starts, so that its first fetch finds both:
    // produced while it runs, a fetch may answer between the broker's appends to the two partitions.
    await createServedTopics(admin, [{ topic: topics.inputTopic }]);
    const to = (partition: number, tag: string): Message => ({ partition, value: JSON.stringify({ tag, value: 1, ts }) });
    await produce(topics.inputTopic, [to(0, 'P0-1'), to(1, 'P1-1'), to(0, 'P0-2'), to(1, 'P1-2')]);
    const bus = newBus(topics);
    let inHand = 0;
    let mostInHand = 0;
    const seen: string[] = [];
    await bus.consume(async (batch: InputBatch) => {
      inHand += 1;
      mostInHand = Math.max(mostInHand, inHand);
      await new Promise((resolve) => setTimeout(resolve, 400));
      seen.push(...batch.values.map((value) => value.tag));
      inHand -= 1;
    });
    await until(() => seen.length >= 4, 'four values');
    // kafkajs fetches both partitions at once; the confluent client's KafkaJS layer starts with a
    // cache of one message and grows it with the consumption rate, so four values arrive one by one.
    if (which !== 'confluent') expect(mostInHand).toBe(2);
    expect(seen.filter((tag) => tag.startsWith('P0'))).toEqual(['P0-1', 'P0-2']);
    expect(seen.filter((tag) => tag.startsWith('P1'))).toEqual(['P1-1', 'P1-2']);
    await until(() => bus.counters().valuesIn === 4, 'the counters');
    await bus.stop();
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(await endOffset(topics.inputTopic));
  });

  it.skipIf(which !== 'kafkajs-pipelined')('hands a partition\'s next slices over while one is in hand, and commits each only after every earlier one', async () => {
    const topics = names('pipelined');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const bus = newBus({ ...topics, maxBatchMessages: 1 });
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    const calls: string[] = [];
    const done: string[] = [];
    await bus.consume(async (batch: InputBatch) => {
      const tags = batch.values.map((value) => value.tag);
      calls.push(...tags);
      if (tags.includes('L1')) await firstHeld;
      done.push(...tags);
    });
    await produce(topics.inputTopic, [json({ tag: 'L1', value: 1, ts }), json({ tag: 'L2', value: 2, ts }), json({ tag: 'L3', value: 3, ts })]);
    // Depth 3: the slices of L2 and L3 are handed over (and finished) while L1's is still in hand.
    await until(() => done.includes('L2') && done.includes('L3'), 'the later slices');
    expect(calls).toEqual(['L1', 'L2', 'L3']);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // Nothing may be committed past L1 while its outputs are not acknowledged.
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(0);
    releaseFirst();
    await until(() => done.includes('L1'), 'L1');
    await bus.stop();
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(3);
  });

  it.skipIf(!enabled)('stop finishes the batch in hand (with heartbeats) and commits it', async () => {
    const topics = names('stop');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const bus = newBus(topics);
    const handled: string[] = [];
    let started = false;
    await bus.consume(async (batch: InputBatch) => {
      started = true;
      for (let step = 0; step < 4; step++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        await batch.heartbeat();
      }
      handled.push(...batch.values.map((value) => value.tag));
    });
    await produce(topics.inputTopic, [json({ tag: 'S1', value: 1, ts }), json({ tag: 'S2', value: 2, ts })]);
    await until(() => started, 'the slow batch to start');
    await bus.stop();
    // The batch in hand was finished and committed (kafkajs: both values; librdkafka: its first
    // batch holds S1 alone); the next member of the group starts right after it.
    expect(handled.length).toBeGreaterThan(0);
    expect(handled).toEqual(['S1', 'S2'].slice(0, handled.length));
    expect(await committedOffset(topics.groupId, topics.inputTopic)).toBe(handled.length);

    const next = newBus(topics);
    const later: string[] = [];
    await next.consume(async (batch) => void later.push(...batch.values.map((value) => value.tag)));
    await produce(topics.inputTopic, [json({ tag: 'S3', value: 3, ts })]);
    await until(() => later.includes('S3'), 'S3');
    expect([...handled, ...later]).toEqual(['S1', 'S2', 'S3']);
    await until(() => next.counters().lag === 0 && next.counters().valuesIn === later.length, 'the lag to reach 0', 15_000);
  });

  it.skipIf(!enabled)('reports lag behind the end of the input topic', async () => {
    const topics = names('lag');
    const ts = new Date(Date.now() - 60_000).toISOString();
    const bus = newBus(topics);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let calls = 0;
    await bus.consume(async () => {
      calls++;
      if (calls === 1) await gate;
    });
    await produce(topics.inputTopic, [json({ tag: 'L', value: 0, ts })]);
    await until(() => calls === 1, 'the first batch');
    await produce(topics.inputTopic, Array.from({ length: 25 }, (_, n) => json({ tag: 'L', value: n + 1, ts })));
    // Nothing is committed while the first batch is held: the whole topic is behind.
    await until(() => bus.counters().lag === 26, 'a lag of 26', 15_000);
    release();
  });

  it.skipIf(!enabled)('ping resolves when the broker answers and names the brokers when it does not', async () => {
    const topics = names('ping');
    await newBus(topics).ping();
    const down = newBus({ ...topics, brokers: ['127.0.0.1:1'], pingTimeoutMs: 1_500 });
    const error = await down.ping().then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(isAppError(error) && error.kind === 'operational').toBe(true);
    expect((error as Error).message).toMatch(/^Kafka brokers 127\.0\.0\.1:1 are unreachable: /);
  });
});
