// How long processing stops when a member joins or leaves the group, on each Kafka client of
// KAFKA_CLIENT (docs/decisions/0016): kafkajs (eager rebalance: every member gives up every partition
// and rejoins) against @confluentinc/kafka-javascript (cooperative-sticky: only moved partitions stop).
//
// The buses are those of WORKER_MODE=partitioned's engine group (spread over the members, default
// session settings). Values are produced at a steady rate to every partition of a fresh topic;
// two members consume; a third joins, then one of the first two stops (a graceful leave). For each
// event the figures are, within the 15 s after it (and, as a baseline, in 15 s without any change):
//   - group stall: the longest time in which no member handled any value;
//   - kept partitions: the longest gap of a partition whose owner did not change through the event
//     (0-ish for cooperative: they never stop);
//   - moved partitions: the longest gap of a partition that changed owner.
//
//   node --import tsx scripts/bench/rebalance-clients.mts --client kafkajs|confluent
//        [--partitions 12] [--rate 2000] [--brokers 127.0.0.1:9092]
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { ConfluentBus } from '../../lib/adapters/bus/confluent-bus';
import { KafkaBus } from '../../lib/adapters/bus/kafka-bus';
import { silentLogger } from '../../lib/support/logger';
import { argValue, log, round, sleep } from './common.mts';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

const args = process.argv.slice(2);
const CLIENT = argValue(args, 'client', process.env.KAFKA_CLIENT ?? 'kafkajs');
const BROKERS = argValue(args, 'brokers', process.env.BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const PARTITIONS = Number(argValue(args, 'partitions', '12'));
const RATE = Number(argValue(args, 'rate', '2000'));
const PHASE_MS = 15_000;

const run = randomBytes(4).toString('hex');
const topic = `bench-rebalance-in-${run}`;
const groupId = `bench-rebalance-${run}`;
const kafka = new Kafka({ clientId: `bench-${run}`, brokers: BROKERS, logLevel: logLevel.NOTHING });

/** Handled values: [wall time, partition, member]. */
const handled: Array<[number, number, number]> = [];
const owners: Array<Map<number, number>> = [];
const ownerAt = (at: number) => owners.findLast((entry) => (entry.get(-1) ?? 0) <= at) ?? new Map();

function newBus(member: number) {
  const options = {
    brokers: BROKERS,
    inputTopic: topic,
    outputTopic: `${topic}-out`,
    groupId,
    createTopics: false,
    logger: silentLogger,
    assigner: 'spread' as const,
    onAssignment: (partitions: number[]) => {
      const previous = owners.at(-1) ?? new Map<number, number>();
      const next = new Map([...previous].filter(([partition, owner]) => partition >= 0 && owner !== member));
      for (const partition of partitions) next.set(partition, member);
      next.set(-1, Date.now());
      owners.push(next);
    },
  };
  return CLIENT === 'confluent' ? new ConfluentBus(options) : new KafkaBus(options);
}

async function consume(member: number) {
  const bus = newBus(member);
  await bus.consume(async (batch) => {
    const now = Date.now();
    for (let index = 0; index < batch.values.length; index++) handled.push([now, batch.origin!.partition, member]);
  });
  return bus;
}

function longestGap(times: number[], from: number, to: number): number {
  let gap = 0;
  let previous = from;
  for (const time of times) {
    if (time < from || time > to) continue;
    gap = Math.max(gap, time - previous);
    previous = time;
  }
  return Math.max(gap, to - previous);
}

function figures(event: string, at: number) {
  const to = at + PHASE_MS;
  const before = ownerAt(at - 1);
  const after = ownerAt(to);
  const group = longestGap(handled.map(([time]) => time), at, to);
  let kept = 0;
  let moved = 0;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const times = handled.filter(([, p]) => p === partition).map(([time]) => time);
    const gap = longestGap(times, at, to);
    if (before.get(partition) === after.get(partition)) kept = Math.max(kept, gap);
    else moved = Math.max(moved, gap);
  }
  log(`${CLIENT} ${event}: group stalled ${group} ms; kept partitions' longest gap ${kept} ms; moved partitions' longest gap ${moved} ms`);
  return { event, groupStallMs: group, keptPartitionsGapMs: kept, movedPartitionsGapMs: moved };
}

const admin = kafka.admin();
await admin.connect();
await createServedTopics(admin, [{ topic, numPartitions: PARTITIONS }, { topic: `${topic}-out`, numPartitions: 1 }]);
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
let producing = true;
const ts = new Date().toISOString();
const producerLoop = (async () => {
  let sent = 0;
  const started = Date.now();
  while (producing) {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE) - sent;
    if (due > 0) {
      const messages = Array.from({ length: due }, (_, n) => ({ partition: (sent + n) % PARTITIONS, value: JSON.stringify({ tag: `T${(sent + n) % 100}`, value: n, ts }) }));
      await producer.send({ topic, messages, acks: -1 });
      sent += due;
    }
    await sleep(20);
  }
})();

const results = [];
try {
  const first = await consume(1);
  const second = await consume(2);
  await sleep(5_000);
  const quietAt = Date.now();
  await sleep(PHASE_MS);
  results.push(figures('no change (baseline)', quietAt));
  const joinAt = Date.now();
  const third = await consume(3);
  await sleep(PHASE_MS);
  results.push(figures('a third member joins', joinAt));
  const leaveAt = Date.now();
  await first.stop();
  await sleep(PHASE_MS);
  results.push(figures('a member leaves (graceful stop)', leaveAt));
  await Promise.all([second.stop(), third.stop()]);
} finally {
  producing = false;
  await producerLoop;
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic, `${topic}-out`] }).catch(() => {});
  await admin.disconnect();
}
process.stdout.write(`${JSON.stringify({ client: CLIENT, partitions: PARTITIONS, rate: RATE, results: results.map((entry) => ({ ...entry, phaseS: round(PHASE_MS / 1000, 0) })) })}\n`);
process.exit(0);
