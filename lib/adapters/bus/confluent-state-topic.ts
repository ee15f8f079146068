import { randomUUID } from 'node:crypto';
import { KafkaStateTopic, STATE_READER_WAIT_MS } from './kafka-state-topic';
import { newConfluentKafka, type ConfluentAdmin, type ConfluentConsumer } from './confluent-bus';

/**
 * The compacted state topic of scale-out.md read with `@confluentinc/kafka-javascript`
 * (KAFKA_CLIENT=confluent, docs/decisions/0016). Everything but the reader is `KafkaStateTopic`'s:
 * records are written through the engine bus's idempotent producer (acks=all), the latest record of
 * each script is kept by partition, and "to its end" is the end the broker reports when asked.
 */
export class ConfluentStateTopic extends KafkaStateTopic {
  private reader: ConfluentConsumer | null = null;
  private confluentAdmin: Promise<ConfluentAdmin> | null = null;


  protected override async startReader(): Promise<void> {
    const kafka = await newConfluentKafka(this.options.brokers, `${this.options.clientId ?? 'script-server'}-state-${randomUUID().slice(0, 8)}`, this.options.logger);
    const reader = kafka.consumer({
      kafkaJS: { groupId: `${this.options.groupId}-state-reader-${randomUUID().slice(0, 8)}`, fromBeginning: true, autoCommit: false, maxWaitTimeInMs: STATE_READER_WAIT_MS },
      'js.consumer.max.batch.size': -1,
    });
    this.reader = reader;
    await reader.connect();
    await reader.subscribe({ topics: [this.options.topic] });
    await reader.run({ eachBatch: async ({ batch }) => this.apply(batch.partition, batch.messages) });
  }

  protected override async partitionEnd(partition: number): Promise<number> {
    this.confluentAdmin ??= newConfluentKafka(this.options.brokers, `${this.options.clientId ?? 'script-server'}-state-admin`, this.options.logger).then(async (kafka) => {
      const admin = kafka.admin();
      await admin.connect();
      return admin;
    });
    const admin = await this.confluentAdmin.catch((error) => {
      this.confluentAdmin = null;
      throw error;
    });
    const ends = await admin.fetchTopicOffsets(this.options.topic);
    return Number(ends.find((entry) => entry.partition === partition)?.high ?? 0);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all([this.reader?.disconnect().catch(() => undefined), this.confluentAdmin?.then((admin) => admin.disconnect()).catch(() => undefined)]);
  }
}
