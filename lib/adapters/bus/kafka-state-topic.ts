import { randomUUID } from 'node:crypto';
import { Kafka, logLevel as KafkaLogLevel, type Admin, type Consumer } from 'kafkajs';
import { messageOf } from '../../model/errors';
import type { Logger } from '../../support/logger';
import type { ScriptStateRecord, StateTopic, StateWrite } from '../../ports/scale-out';
import { fetchTopicEnds, pinoLogCreator, type StateProducer } from './kafka-bus';
import { stopKafkajsIdleLoop } from './kafkajs-idle-loop';

/**
 * The compacted state topic of scale-out.md on kafkajs. Writes go through the bus's idempotent
 * producer (acks=all: a checkpoint is on the broker before the routed offset it reflects is
 * committed). A reader follows the whole topic from its beginning in a throwaway consumer group of
 * its own (the topic is compacted: one record per script), keeping the latest record of each script
 * by partition; reading a partition "to its end" waits until the reader has reached the partition's
 * end as the broker reports it at the moment of asking.
 */
export interface KafkaStateTopicOptions {
  brokers: string[];
  topic: string;
  groupId: string;
  clientId?: string;
  logger: Logger;
  /** The engine bus: its idempotent producer writes the records (acks=all). */
  bus: StateProducer;
  /** Longest wait for the reader to reach a partition's end (default 60 s). */
  readTimeoutMs?: number;
}

/** How long the state reader's fetches wait for a record (the confluent reader's too). */
export const STATE_READER_WAIT_MS = 1_000;
/**
 * kafkajs's reader fetches only partitions being restored; with every partition paused it checks
 * again after this long (no request to the broker), which bounds how long a restore waits to start.
 */
const PAUSED_READER_WAIT_MS = 200;

export class KafkaStateTopic implements StateTopic {
  private readonly kafka: Kafka;
  protected readonly logger: Logger;
  /** The latest record of each script by partition, as bytes: parsed only when its partition is restored. */
  private readonly byPartition = new Map<number, Map<string, Buffer>>();
  /** Next offset the reader will see, by partition. */
  private readonly reached = new Map<number, number>();
  private consumer: Consumer | null = null;
  private started: Promise<void> | null = null;
  private admin: Promise<Admin> | null = null;
  private readonly totals = { written: 0, restored: 0 };
  /** Partitions being read to their end now (how many reads of each): the reader fetches only these. */
  private readonly reading = new Map<number, number>();
  protected stopped = false;

  constructor(protected readonly options: KafkaStateTopicOptions) {
    this.logger = options.logger.child({ component: 'state-topic' });
    stopKafkajsIdleLoop();
    this.kafka = new Kafka({
      clientId: `${options.clientId ?? 'script-server'}-state`,
      brokers: options.brokers,
      connectionTimeout: 3_000,
      logLevel: KafkaLogLevel.WARN,
      logCreator: pinoLogCreator(options.logger),
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 },
    });
  }

  async write(entries: readonly StateWrite[]): Promise<void> {
    if (entries.length === 0) return;
    await this.options.bus.produce(
      'script state',
      this.options.topic,
      entries.map((entry) => ({ partition: entry.partition, key: entry.scriptId, value: entry.record === null ? null : JSON.stringify(entry.record) })),
    );
    this.totals.written += entries.length;
  }

  async readPartition(partition: number): Promise<Map<string, ScriptStateRecord>> {
    await this.start();
    this.reading.set(partition, (this.reading.get(partition) ?? 0) + 1);
    if (this.reading.get(partition) === 1) this.consumer?.resume([{ topic: this.options.topic, partitions: [partition] }]);
    try {
      await this.untilRead(partition);
    } finally {
      const left = (this.reading.get(partition) ?? 1) - 1;
      if (left > 0) this.reading.set(partition, left);
      else {
        this.reading.delete(partition);
        this.consumer?.pause([{ topic: this.options.topic, partitions: [partition] }]);
      }
    }
    const records = new Map<string, ScriptStateRecord>();
    for (const [key, value] of this.byPartition.get(partition) ?? []) {
      try {
        records.set(key, JSON.parse(value.toString('utf8')) as ScriptStateRecord);
      } catch (error) {
        this.logger.warn({ partition, scriptId: key }, `a state record could not be read and is ignored: ${messageOf(error)}`);
      }
    }
    this.totals.restored += records.size;
    return records;
  }

  /** Waits until the reader has passed the partition's end as the broker reports it now. */
  private async untilRead(partition: number): Promise<void> {
    const end = await this.partitionEnd(partition);
    const deadline = Date.now() + (this.options.readTimeoutMs ?? 60_000);
    while ((this.reached.get(partition) ?? 0) < end) {
      if (this.stopped) throw new Error('the state topic reader stopped');
      if (Date.now() > deadline) {
        throw new Error(
          `reading partition ${partition} of the state topic ${this.options.topic} to its end (offset ${end}) took longer than ${Math.round((this.options.readTimeoutMs ?? 60_000) / 1000)} s (reached ${this.reached.get(partition) ?? 0}); is the broker reachable?`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  counters() {
    return { ...this.totals };
  }

  /** Where the partition ends now, as the broker reports it. */
  protected async partitionEnd(partition: number): Promise<number> {
    const admin = await this.connectedAdmin();
    const ends = await fetchTopicEnds(admin, this.options.topic);
    return Number(ends.find((entry) => entry.partition === partition)?.high ?? 0);
  }

  private start(): Promise<void> {
    this.started ??= this.startReader().catch((error) => {
      this.started = null;
      throw error;
    });
    return this.started;
  }

  /**
   * Reads the topic from its beginning, handing each batch to `apply`, but only the partitions being
   * restored (`readPartition`): the others stay paused where the reader left them, so a worker does
   * not fetch and decode every checkpoint of every worker (P7: three times the state topic's bytes)
   * and a restore reads only what was written since the last restore of that partition.
   */
  protected async startReader(): Promise<void> {
    const consumer = this.kafka.consumer({ groupId: `${this.options.groupId}-state-reader-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: PAUSED_READER_WAIT_MS });
    this.consumer = consumer;
    const joined = new Promise<void>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        // The reader is its group's only member: it gets every partition, paused but those being read.
        const idle = (payload.memberAssignment[this.options.topic] ?? []).filter((partition) => !this.reading.has(partition));
        if (idle.length > 0) consumer.pause([{ topic: this.options.topic, partitions: idle }]);
        resolve();
      });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => this.apply(batch.partition, batch.messages),
    });
    await joined;
  }

  /** Keeps the latest record of each script of a batch (a tombstone removes it) and how far the reader got; parsing waits for a restore. */
  protected apply(partition: number, messages: ReadonlyArray<{ key: Buffer | null; value: Buffer | null; offset: string }>): void {
    let records = this.byPartition.get(partition);
    if (!records) this.byPartition.set(partition, (records = new Map()));
    for (const message of messages) {
      const key = message.key?.toString('utf8');
      if (!key) continue;
      if (!message.value) {
        records.delete(key);
        continue;
      }
      // A copy: the client's buffer may be a view of its whole fetch response.
      records.set(key, Buffer.from(message.value));
    }
    const last = messages.at(-1);
    if (last) this.reached.set(partition, Number(last.offset) + 1);
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const ready = admin.connect().then(() => admin);
      this.admin = ready;
      ready.catch(() => (this.admin = null));
    }
    return this.admin;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([this.consumer?.disconnect().catch(() => undefined), this.admin?.then((admin) => admin.disconnect()).catch(() => undefined)]);
  }
}
