// Round trip through the local Kafka broker with kafkajs: create a topic, produce a few messages,
// read them back in a consumer group (which needs __consumer_offsets, i.e. a correctly configured
// single-node broker), commit, clean up. Exits 0 on success, 1 otherwise; bounded to 60 s.
//
//   node scripts/kafka-smoke.mjs            (KAFKA_BROKERS defaults to 127.0.0.1:9092)
import { Kafka, Partitioners, logLevel } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const id = `${Date.now()}-${process.pid}`;
const topic = `smoke-${id}`;
const groupId = `smoke-group-${id}`;
const count = 10;
const started = Date.now();

const kafka = new Kafka({ clientId: 'kafka-smoke', brokers, logLevel: logLevel.WARN, retry: { retries: 8 } });
const admin = kafka.admin();
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });

const timer = setTimeout(() => {
  console.error(`kafka-smoke: FAILED, timed out after 60 s (${received.size}/${count} messages received)`);
  process.exit(1);
}, 60_000);

const received = new Map();
let done;
const allReceived = new Promise((resolve) => (done = resolve));

try {
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const cluster = await admin.describeCluster();

  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: JSON.stringify({ i, id }) })),
  });

  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.set(message.key.toString(), { partition, offset: message.offset });
      if (received.size === count) done();
    },
  });
  await allReceived;

  // The group's committed offsets must add up to the message count once the consumer stops.
  await consumer.stop();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = offsets[0].partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  await consumer.disconnect();
  await producer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.deleteGroups([groupId]).catch(() => {});
  await admin.disconnect();

  const partitions = new Set([...received.values()].map((r) => r.partition));
  if (committed !== count) throw new Error(`committed offsets add up to ${committed}, expected ${count}`);
  console.log(
    `kafka-smoke: OK, ${count} messages over ${partitions.size} partitions through group ${groupId} ` +
      `(cluster ${cluster.clusterId}, ${cluster.brokers.length} broker), ${Date.now() - started} ms`,
  );
  clearTimeout(timer);
  process.exit(0);
} catch (err) {
  console.error('kafka-smoke: FAILED', err);
  process.exit(1);
}
