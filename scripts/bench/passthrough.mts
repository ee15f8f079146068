// The P2 baseline: a kafkajs consume→produce passthrough with no scripts. It consumes the input topic
// and produces every message unchanged (key and value) to the output topic with the app's delivery
// settings — slices of at most 5 000 messages, produce requests of at most 512 KB, an idempotent
// producer with acks=all, and the slice's offset committed only once its messages are acknowledged.
//
//   node --import tsx scripts/bench/passthrough.mts BROKERS INPUT_TOPIC OUTPUT_TOPIC GROUP_ID
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';

const [brokers, inputTopic, outputTopic, groupId] = process.argv.slice(2);
if (!groupId) {
  process.stderr.write('usage: passthrough.mts BROKERS INPUT_TOPIC OUTPUT_TOPIC GROUP_ID\n');
  process.exit(2);
}

const MAX_SLICE = 5_000;
const MAX_SEND_BYTES = 512 * 1024;

const kafka = new Kafka({ clientId: `bench-passthrough-${process.pid}`, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });

function chunks(messages: Message[]): Message[][] {
  const result: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = (message.value as Buffer).length + ((message.key as Buffer | null)?.length ?? 0) + 64;
    if (current.length > 0 && bytes + size > MAX_SEND_BYTES) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

async function main(): Promise<void> {
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [inputTopic], fromBeginning: true });
  await consumer.run({
    eachBatchAutoResolve: false,
    autoCommitThreshold: 1,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
      for (let start = 0; start < batch.messages.length; start += MAX_SLICE) {
        const slice = batch.messages.slice(start, start + MAX_SLICE);
        const messages = slice.map((message) => ({ key: message.key, value: message.value }));
        for (const chunk of chunks(messages)) await producer.send({ topic: outputTopic, messages: chunk, acks: -1 });
        resolveOffset(slice[slice.length - 1].offset);
        await commitOffsetsIfNecessary();
      }
    },
  });
  process.stderr.write('[bench] passthrough: consuming\n');
}

const stop = async () => {
  await consumer.disconnect().catch(() => undefined);
  await producer.disconnect().catch(() => undefined);
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
main().catch((error) => {
  process.stderr.write(`[bench] passthrough failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
