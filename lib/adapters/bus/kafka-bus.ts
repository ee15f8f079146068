import { stageTrace } from '../../support/stage-trace';
import { randomUUID } from 'node:crypto';
import {
  AssignerProtocol,
  Kafka,
  Partitioners,
  logLevel as KafkaLogLevel,
  type Admin,
  type Consumer,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type LogEntry,
  type Message,
  type Producer,
  type RetryOptions,
} from 'kafkajs';
import { OperationalError, messageOf } from '../../model/errors';
import type { Logger } from '../../support/logger';
import { ThrottledWarning } from '../../support/throttled-warning';
import { withTimeout } from '../../support/with-timeout';
import { singleActiveAssigner } from './single-active-assigner';
import type { Bus, BusCounters, InputBatch, InputHandler } from '../../ports/bus';
import { decodeRawValues, type DecodeResult } from '../../model/decode-raw-values';
import { outputMessagesOf } from '../../model/packed-values';
import { decodeRouted, encodeRouted, isBinaryRouted } from './routed-codec';
import { stopKafkajsIdleLoop } from './kafkajs-idle-loop';
import { OrderedCommits } from './ordered-commits';
import { createServedTopics } from './topic-leaders';
import { parseQuality, parseTagName, parseTagScalar, parseTimestamp } from '../../model/parse-tag-fields';
import { isoTime, isValueReason, type OutputValue, type TagValue } from '../../model/tag-value';

/**
 * The Kafka bus of messages.md on kafkajs. Nothing else in the code base imports kafkajs.
 *
 * Delivery (at-least-once): each kafkajs batch (or a bounded slice of it) is decoded and handed to
 * the handler; only after the handler resolves — its outputs published with acks=all — is the last
 * offset of the slice resolved and committed. A handler failure commits nothing and kafkajs fetches
 * the same offsets again. Undecodable messages are counted, logged at a bounded rate and forwarded to
 * the DLQ topic before the slice's offset is committed, so the DLQ is at-least-once too.
 *
 * Reconnection: kafkajs retries with generous settings and `restartOnFailure` restarts the consumer
 * after a crash; when kafkajs decides not to restart (a non-retriable crash) the bus builds a fresh
 * consumer itself. Outputs are retried with backoff, on a fresh producer when the old one looks
 * wedged, until they are acknowledged or the bus is stopping: they are never dropped while the process
 * lives.
 */

export interface KafkaBusOptions {
  brokers: string[];
  inputTopic: string;
  outputTopic: string;
  groupId: string;
  /** Where undecodable input messages go; unset drops them (after counting and logging). */
  dlqTopic?: string;
  /** Create missing topics (broker defaults for partitions and replication). */
  createTopics: boolean;
  clientId?: string;
  logger: Logger;
  /** Where a group with no committed offset starts: the earliest retained message (default) or the end. */
  fromBeginning?: boolean;
  /** Most messages handed to the handler at once; larger kafkajs batches are sliced. Default 5 000. */
  maxBatchMessages?: number;
  /**
   * Partitions whose batches are handled at the same time (default 4). Each partition stays in order
   * and is committed after its own outputs are acknowledged; overlapping them lets one partition's
   * produce and commit round trips run while another's values are evaluated.
   */
  partitionsConcurrently?: number;
  /**
   * Slices of one partition in hand at once (default 1). Above 1 the next slice is fetched, decoded
   * and handed to the handler while earlier ones are evaluated and published; offsets are still
   * committed in order, each only after its own and every earlier slice's outputs are acknowledged
   * (ordered-commits.ts). KAFKA_PIPELINE_DEPTH.
   */
  pipelineDepth?: number;
  /** Consumer group session timeout (default 30 000 ms; the broker's minimum is usually 6 000). */
  sessionTimeoutMs?: number;
  /** Consumer group rebalance timeout (default 60 000 ms). */
  rebalanceTimeoutMs?: number;
  /** Heartbeat interval (default 3 000 ms). */
  heartbeatIntervalMs?: number;
  /** How long stop() may take before it disconnects without waiting (default 8 000 ms). */
  stopTimeoutMs?: number;
  /** How long ping() waits for the brokers (default 3 000 ms). */
  pingTimeoutMs?: number;
  /** kafkajs's own log level, sent through the pino logger (default warn). */
  kafkaLogLevel?: 'error' | 'warn' | 'info' | 'debug';
  /**
   * How the group shares the input partitions: 'single-active' (default, decision 0005) gives them
   * all to one member; 'spread' lets kafkajs split them between the members (scale-out's routers and
   * engines).
   */
  assigner?: 'single-active' | 'spread';
  /** Called with this member's partitions of the input topic after each rebalance. */
  onAssignment?: (partitions: number[]) => void;
  /** What the input topic holds: messages.md's raw values (default), or scale-out's routed records (routed-codec.ts). */
  inputFormat?: 'messages' | 'routed';
  /** Further topics created with the others when missing (scale-out's routed and state topics). */
  extraTopics?: Array<{ topic: string; numPartitions: number; configEntries?: Array<{ name: string; value: string }> }>;
}

/** Writes scale-out's state records through a bus's idempotent producer (acks=all). */
export interface StateProducer {
  produce(what: string, topic: string, messages: Array<{ partition?: number; key: string; value: string | null }>): Promise<void>;
}

/** What scale-out's router and engine need of a Kafka bus, whichever client it runs on (KAFKA_CLIENT). */
export interface ScaleOutBus extends Bus, StateProducer {
  publishRouted(topic: string, batches: ReadonlyArray<{ partition: number; key: string; values: readonly TagValue[] }>): Promise<void>;
  /** This process's member id in its consumer group (after it joined). */
  memberId(): string | null;
}

/** Headers on every DLQ message, so an operator can find the original and see why it was refused. */
export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  sourceTimestamp: 'dlq-source-timestamp',
  /** Indexes of the refused elements when only part of an array was bad ("1,4"). */
  rejectedElements: 'dlq-rejected-elements',
  rejectedAt: 'dlq-rejected-at',
  /** Set when the original value was too large to forward whole; holds its length in bytes. */
  truncatedFrom: 'dlq-truncated-from',
} as const;

const WARNING_INTERVAL_MS = 5_000;
const KEEP_ALIVE_INTERVAL_MS = 1_000;
/** How long a pipelined partition waits after a failed slice before reading it again. */
const HANDLER_RETRY_DELAY_MS = 1_000;
const LAG_REFRESH_INTERVAL_MS = 5_000;
/** Keeps one produce request's record batch well under the broker's default message.max.bytes (1 MB). */
const MAX_SEND_BYTES = 512 * 1024;
const MAX_DLQ_VALUE_BYTES = 256 * 1024;
const MAX_REASON_CHARS = 1_000;
const PUBLISH_BACKOFF_FIRST_MS = 200;
const PUBLISH_BACKOFF_MAX_MS = 5_000;
/** Producer errors after which a new producer (new producer id, fresh sequence numbers) is needed. */
const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_EPOCH',
  'INVALID_PRODUCER_ID_MAPPING',
  'PRODUCER_FENCED',
]);

/** Marks a handler failure so kafkajs retries it (it treats TypeError & co. as unrecoverable). */
class HandlerFailedError extends Error {
  constructor(cause: unknown) {
    super(`the input handler failed: ${messageOf(cause)}`, { cause });
    this.name = 'HandlerFailedError';
  }
}

export class KafkaBus implements Bus {
  readonly kind = 'kafka' as const;

  private readonly options: Required<
    Omit<KafkaBusOptions, 'dlqTopic' | 'clientId' | 'logger' | 'kafkaLogLevel' | 'brokers' | 'inputTopic' | 'outputTopic' | 'groupId' | 'createTopics' | 'assigner' | 'onAssignment' | 'extraTopics' | 'inputFormat'>
  >;
  private readonly logger: Logger;
  private readonly kafka: Kafka;
  private readonly consumerRetry: RetryOptions;

  private consumer: Consumer | null = null;
  private assignedPartitions = 0;
  private joinedAs: string | null = null;
  private watchConsumers: Consumer[] = [];
  private handler: InputHandler | null = null;
  private producerReady: Promise<Producer> | null = null;
  private adminReady: Promise<Admin> | null = null;
  private topicsReady: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | null = null;
  private readonly keepAliveTimers = new Set<NodeJS.Timeout>();
  /** The pipelined consumer's in-order commits (pipelineDepth > 1), one per consumer started. */
  private commits: OrderedCommits | null = null;

  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private readonly stopController = new AbortController();

  private readonly totals = { messagesIn: 0, valuesIn: 0, rejectedIn: 0, valuesOut: 0 };
  private lag = 0;
  private lagRefreshedAt = 0;
  private lagRefreshing = false;

  private readonly rejectWarning: ThrottledWarning;
  private readonly publishWarning: ThrottledWarning;

  constructor(private readonly config: KafkaBusOptions) {
    if (config.brokers.length === 0) throw new Error('KafkaBus needs at least one broker');
    if (config.dlqTopic && config.dlqTopic === config.inputTopic) {
      throw new Error(`the DLQ topic must differ from the input topic (${config.inputTopic}), or refused messages would come back forever`);
    }
    this.logger = config.logger.child({ component: 'kafka-bus' });
    stopKafkajsIdleLoop();
    this.options = {
      fromBeginning: config.fromBeginning ?? true,
      maxBatchMessages: config.maxBatchMessages ?? 5_000,
      partitionsConcurrently: config.partitionsConcurrently ?? 4,
      pipelineDepth: config.pipelineDepth ?? 1,
      // A killed worker's partitions move to a standby (or its restart) once its session expires.
      sessionTimeoutMs: config.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs ?? 30_000,
      heartbeatIntervalMs: config.heartbeatIntervalMs ?? 3_000,
      stopTimeoutMs: config.stopTimeoutMs ?? 8_000,
      pingTimeoutMs: config.pingTimeoutMs ?? 3_000,
    };
    this.rejectWarning = new ThrottledWarning(WARNING_INTERVAL_MS);
    this.publishWarning = new ThrottledWarning(WARNING_INTERVAL_MS);
    this.kafka = new Kafka({
      clientId: config.clientId ?? 'script-server',
      brokers: config.brokers,
      connectionTimeout: 3_000,
      logLevel: KAFKA_LOG_LEVELS[config.kafkaLogLevel ?? 'warn'],
      logCreator: pinoLogCreator(config.logger),
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 8 },
    });
    this.consumerRetry = {
      initialRetryTime: 300,
      maxRetryTime: 5_000,
      // Generous: a broker restart takes tens of seconds; beyond this the consumer restarts anyway.
      retries: 30,
      restartOnFailure: async (error) => {
        if (this.stopping) return false;
        this.logger.warn({ err: error }, `the Kafka consumer failed and restarts: ${messageOf(error)}`);
        return true;
      },
    };
  }

  // ---------------------------------------------------------------- consuming

  async consume(handler: InputHandler): Promise<void> {
    if (this.handler) throw new Error('KafkaBus.consume was already called; one bus has one consumer');
    if (this.stopping) throw new Error('KafkaBus is stopped');
    this.handler = handler;
    try {
      await this.ensureTopics();
      await this.startConsumer();
    } catch (error) {
      this.handler = null;
      // A consumer left half-started would join the group later on its own: close it.
      await this.consumer?.disconnect().catch(() => undefined);
      this.consumer = null;
      throw this.unreachable(error);
    }
  }

  private async startConsumer(): Promise<void> {
    const handler = this.handler;
    if (!handler) return;
    const consumer = this.kafka.consumer({
      groupId: this.config.groupId,
      sessionTimeout: this.options.sessionTimeoutMs,
      rebalanceTimeout: this.options.rebalanceTimeoutMs,
      heartbeatInterval: this.options.heartbeatIntervalMs,
      // Short fetch waits keep stop() quick; the broker still answers at once when data is there.
      maxWaitTimeInMs: 500,
      retry: this.consumerRetry,
      // One active worker per group, the others standing by (see single-active-assigner.ts); or
      // kafkajs's round robin, which splits them (scale-out).
      ...(this.config.assigner === 'spread' ? {} : { partitionAssigners: [singleActiveAssigner] }),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || this.stopping || this.consumer !== consumer) return;
      // kafkajs gave up (a non-retriable error): start over with a fresh consumer.
      this.logger.error({ err: payload.error }, `the Kafka consumer crashed and kafkajs will not restart it; restarting it: ${messageOf(payload.error)}`);
      this.scheduleConsumerRestart(consumer, 2_000);
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[this.config.inputTopic] ?? [];
      this.assignedPartitions = partitions.length;
      this.joinedAs = payload.memberId;
      this.config.onAssignment?.([...partitions]);
      this.logger.info(
        { groupId: payload.groupId, partitions },
        partitions.length > 0 ? `joined consumer group ${payload.groupId} as its active worker` : `joined consumer group ${payload.groupId} as a standby`,
      );
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [this.config.inputTopic], fromBeginning: this.options.fromBeginning });
    if (this.options.pipelineDepth > 1) {
      const commits = this.pipelinedCommits(consumer);
      this.commits = commits;
      await consumer.run({
        eachBatchAutoResolve: false,
        // Resolving an offset only moves the fetch on; the commits are made in order by `commits`,
        // each once its slice's outputs (and every earlier one's) are acknowledged.
        autoCommit: false,
        partitionsConsumedConcurrently: this.options.partitionsConcurrently,
        eachBatch: (payload) => this.handlePipelinedBatch(handler, payload, commits),
      });
      return;
    }
    await consumer.run({
      eachBatchAutoResolve: false,
      // Every resolved offset is committed by commitOffsetsIfNecessary right after its slice.
      autoCommitThreshold: 1,
      partitionsConsumedConcurrently: this.options.partitionsConcurrently,
      eachBatch: (payload) => this.handleKafkaBatch(handler, payload),
    });
  }

  private scheduleConsumerRestart(failed: Consumer, delayMs: number): void {
    if (this.restartTimer || this.stopping) return;
    this.restartTimer = setTimeout(async () => {
      this.restartTimer = null;
      if (this.stopping) return;
      await failed.disconnect().catch(() => {});
      try {
        await this.startConsumer();
      } catch (error) {
        this.logger.warn({ err: error }, `restarting the Kafka consumer failed, trying again: ${messageOf(error)}`);
        this.scheduleConsumerRestart(this.consumer ?? failed, Math.min(delayMs * 2, 30_000));
      }
    }, delayMs);
  }

  private async handleKafkaBatch(handler: InputHandler, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    // kafkajs heartbeats only between batches; a long handler must not cost us the partition.
    const heartbeat = async () => {
      try {
        await payload.heartbeat();
      } catch (error) {
        this.logger.debug({ err: error }, `heartbeat failed (a rebalance is likely under way): ${messageOf(error)}`);
      }
    };
    const keepAlive = setInterval(() => void heartbeat(), KEEP_ALIVE_INTERVAL_MS);
    this.keepAliveTimers.add(keepAlive);
    try {
      const { messages } = batch;
      for (let start = 0; start < messages.length; start += this.options.maxBatchMessages) {
        // The slice in hand is finished on stop; later slices are left for the next consumer.
        if (start > 0 && (!isRunning() || isStale())) break;
        const slice = messages.slice(start, start + this.options.maxBatchMessages);
        const decoded = this.decodeMessages(batch.topic, batch.partition, slice);
        const forwarded = this.forwardToDlq(decoded.dlq);
        forwarded.catch(() => {});
        const lastOffset = slice[slice.length - 1].offset;
        const inputBatch: InputBatch = {
          values: decoded.values,
          rejected: decoded.rejected,
          heartbeat,
          origin: { partition: batch.partition, offsets: decoded.offsets, nextOffset: Number(lastOffset) + 1 },
        };
        try {
          await handler(inputBatch);
        } catch (error) {
          this.logger.error(
            { err: error, partition: batch.partition, firstOffset: slice[0].offset, lastOffset: slice[slice.length - 1].offset },
            `handling input from ${batch.topic}[${batch.partition}] failed; its offsets stay uncommitted and it will be delivered again: ${messageOf(error)}`,
          );
          throw new HandlerFailedError(error);
        }
        await forwarded;
        resolveOffset(lastOffset);
        await commitOffsetsIfNecessary();
        this.noteConsumedLag(batch.highWatermark, lastOffset);
      }
    } finally {
      clearInterval(keepAlive);
      this.keepAliveTimers.delete(keepAlive);
    }
  }

  /**
   * pipelineDepth > 1: each slice is decoded and handed to the handler, its offset resolved so
   * kafkajs fetches on, and its commit queued behind the partition's earlier slices; returns once
   * the partition has room for another slice (the bound). On stop, hands nothing more over and
   * waits for the slices in hand to be committed.
   */
  private async handlePipelinedBatch(handler: InputHandler, payload: EachBatchPayload, commits: OrderedCommits): Promise<void> {
    const { batch, resolveOffset, isRunning, isStale } = payload;
    const heartbeat = async () => {
      try {
        await payload.heartbeat();
      } catch (error) {
        this.logger.debug({ err: error }, `heartbeat failed (a rebalance is likely under way): ${messageOf(error)}`);
      }
    };
    const { messages } = batch;
    if (stageTrace && messages.length > 0) stageTrace.age('1 eachBatch first', Number(messages[0].timestamp));
    if (stageTrace && messages.length > 0) stageTrace.age('1 eachBatch last', Number(messages[messages.length - 1].timestamp));
    for (let start = 0; start < messages.length; start += this.options.maxBatchMessages) {
      // After a failure the partition is read again from the failed slice (seek): drop what was fetched before it.
      if (this.stopping || !isRunning() || isStale()) break;
      const slice = messages.slice(start, start + this.options.maxBatchMessages);
      const decoded = this.decodeMessages(batch.topic, batch.partition, slice);
      const forwarded = this.forwardToDlq(decoded.dlq);
      forwarded.catch(() => {});
      const lastOffset = slice[slice.length - 1].offset;
      const handled = handler({
        values: decoded.values,
        rejected: decoded.rejected,
        heartbeat,
        origin: { partition: batch.partition, offsets: decoded.offsets, nextOffset: Number(lastOffset) + 1 },
      }).then(() => forwarded);
      resolveOffset(lastOffset);
      this.noteConsumedLag(batch.highWatermark, lastOffset);
      const d0 = performance.now();
      await commits.add(batch.partition, slice[0].offset, String(Number(lastOffset) + 1), handled);
      stageTrace?.ms('wait depth', performance.now() - d0);
    }
    if (this.stopping) await commits.drain();
  }

  /** The in-order commits of a pipelined consumer: through that consumer only, while it is the bus's. */
  private pipelinedCommits(consumer: Consumer): OrderedCommits {
    const topic = this.config.inputTopic;
    return new OrderedCommits({
      depth: this.options.pipelineDepth,
      commit: async (partition, offset) => {
        if (this.consumer !== consumer) return;
        try {
          const t0 = performance.now();
          await consumer.commitOffsets([{ topic, partition, offset }]);
          stageTrace?.ms('rtt commit', performance.now() - t0);
        } catch (error) {
          // The next slice's commit covers it; if none comes, the group delivers these values again.
          this.logger.warn({ err: error, partition, offset }, `committing ${topic}[${partition}] up to offset ${offset} failed; a later commit covers it, or the values are delivered again: ${messageOf(error)}`);
        }
      },
      onFailure: (partition, firstOffset, error) => {
        this.logger.error(
          { err: error, partition, firstOffset },
          `handling input from ${topic}[${partition}] failed; its offsets stay uncommitted and it is read again from offset ${firstOffset}: ${messageOf(error)}`,
        );
        if (this.stopping || this.consumer !== consumer) return;
        // kafkajs retries a failed batch after a backoff; do the same before reading it again.
        const timer = setTimeout(() => {
          this.keepAliveTimers.delete(timer);
          if (this.stopping || this.consumer !== consumer) return;
          try {
            consumer.seek({ topic, partition, offset: firstOffset });
          } catch (seekError) {
            this.logger.warn({ err: seekError, partition }, `could not read ${topic}[${partition}] again from ${firstOffset}; restarting the consumer: ${messageOf(seekError)}`);
            this.scheduleConsumerRestart(consumer, 1_000);
          }
        }, HANDLER_RETRY_DELAY_MS);
        timer.unref();
        this.keepAliveTimers.add(timer);
      },
    });
  }

  private decodeMessages(topic: string, partition: number, messages: KafkaMessage[]) {
    return decodeInputMessages(
      { totals: this.totals, rejectWarning: this.rejectWarning, logger: this.logger, dlqTopic: this.config.dlqTopic, routed: this.config.inputFormat === 'routed' },
      topic,
      partition,
      messages,
    );
  }

  private async forwardToDlq(messages: Message[]): Promise<void> {
    if (messages.length === 0 || !this.config.dlqTopic) return;
    await this.sendReliably('rejected input', this.config.dlqTopic, messages);
  }

  // ---------------------------------------------------------------- producing

  publishOutputs(values: readonly OutputValue[]): Promise<void> {
    // A pass's outputs arrive unpacked from lanes: their messages are written from those (no JSON.stringify walk per output).
    return this.publishOutputMessages(outputMessagesOf(values) ?? values.map(outputMessage));
  }

  /** Outputs already encoded as `outputMessage` writes them (the bus thread encodes them from packed lanes). */
  async publishOutputMessages(messages: Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.sendReliably('outputs', this.config.outputTopic, messages);
    this.totals.valuesOut += messages.length;
  }

  /**
   * Sends messages (each to its own partition when it names one) to `topic` until acknowledged with
   * acks=all by the idempotent producer; scale-out's routed and state records.
   */
  produce(what: string, topic: string, messages: Message[]): Promise<void> {
    return this.sendReliably(what, topic, messages);
  }

  /**
   * Scale-out's router: one record per script group, keyed by the group's key, to the group's
   * partition of the routed topic, holding its values as an array of raw values (messages.md);
   * resolves once every record is acknowledged (acks=all, idempotent producer).
   */
  publishRouted(topic: string, batches: ReadonlyArray<{ partition: number; key: string; values: readonly TagValue[] }>): Promise<void> {
    return this.sendReliably('routed values', topic, batches.map(routedMessage));
  }

  async publishRaw(values: readonly TagValue[]): Promise<void> {
    if (values.length === 0) return;
    if (this.stopping) throw new OperationalError('Kafka', 'the Kafka bus is stopping; values were not published');
    const messages = values.map((value) => ({ key: value.tag, value: JSON.stringify(rawBody(value)) }));
    try {
      await this.ensureTopics();
      const producer = await this.connectedProducer();
      for (const chunk of chunkBySize(messages)) await producer.send({ topic: this.config.inputTopic, messages: chunk, acks: -1 });
    } catch (error) {
      this.resetProducerIfWedged(error);
      throw this.unreachable(error, `publishing ${values.length} values to ${this.config.inputTopic} failed`);
    }
  }

  /**
   * Sends until the broker acknowledges (acks=all). Failures are retried with backoff — on a new
   * producer when the old one's state is suspect — for as long as the bus runs; once it is stopping,
   * a failure is thrown so the batch in hand stays uncommitted and is redelivered later.
   */
  private async sendReliably(what: string, topic: string, messages: Message[]): Promise<void> {
    await this.ensureTopics().catch(() => {});
    const chunks = chunkBySize(messages);
    let delay = PUBLISH_BACKOFF_FIRST_MS;
    let failures = 0;
    for (let index = 0; index < chunks.length; ) {
      try {
        const producer = await this.connectedProducer();
        const t0 = performance.now();
        await producer.send({ topic, messages: chunks[index], acks: -1 });
        stageTrace?.ms('rtt produce', performance.now() - t0);
        index++;
        if (failures > 0) {
          this.logger.info({ topic, failures }, `publishing ${what} to ${topic} works again after ${failures} failed attempts`);
          failures = 0;
          delay = PUBLISH_BACKOFF_FIRST_MS;
        }
      } catch (error) {
        failures++;
        if (this.stopping) {
          throw new OperationalError('Kafka', `publishing ${what} to ${topic} failed while the bus is stopping: ${messageOf(error)}`, { cause: error });
        }
        this.publishWarning.warn(
          this.logger,
          { topic, failures, retryInMs: delay, err: error },
          `publishing ${messages.length} ${what} to ${topic} failed (attempt ${failures}); retrying: ${messageOf(error)}`,
        );
        if (!this.resetProducerIfWedged(error) && failures % 3 === 0) this.resetProducer();
        await sleep(delay, this.stopController.signal);
        delay = Math.min(delay * 2, PUBLISH_BACKOFF_MAX_MS);
      }
    }
  }

  private connectedProducer(): Promise<Producer> {
    if (!this.producerReady) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
        retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 5 },
      });
      const ready = producer.connect().then(() => producer);
      this.producerReady = ready;
      ready.catch(() => {
        if (this.producerReady === ready) this.producerReady = null;
        producer.disconnect().catch(() => {});
      });
    }
    return this.producerReady;
  }

  /** Replaces the producer when the error says its connection or idempotence state is broken. */
  private resetProducerIfWedged(error: unknown): boolean {
    const cause = originalCause(error) as { type?: string; message?: string };
    const wedged = (cause.type !== undefined && PRODUCER_STATE_ERRORS.has(cause.type)) || /disconnected/i.test(cause.message ?? '');
    if (wedged) this.resetProducer();
    return wedged;
  }

  private resetProducer(): void {
    const old = this.producerReady;
    this.producerReady = null;
    old?.then((producer) => producer.disconnect()).catch(() => {});
  }

  // ---------------------------------------------------------------- watching outputs

  /** Every computed value published from now on (the web process's mirror of the catalog). */
  watchOutputs(listener: (values: OutputValue[]) => void): Promise<void> {
    return this.watchTopic(this.config.outputTopic, 'output', (message) => {
      const output = decodeOutput(message);
      return output ? [output] : [];
    }, listener);
  }

  /** Every raw value received from now on; undecodable messages are skipped (the worker counts them). */
  watchInputs(listener: (values: TagValue[]) => void): Promise<void> {
    return this.watchTopic(this.config.inputTopic, 'input', (message) => decodeRawValues(message.value, Number(message.timestamp)).values, listener);
  }

  private async watchTopic<T>(topic: string, what: string, decode: (message: KafkaMessage) => T[], listener: (values: T[]) => void): Promise<void> {
    if (this.stopping) throw new Error('KafkaBus is stopped');
    const groupId = `${this.config.groupId}-watch-${what}-${randomUUID().slice(0, 8)}`;
    try {
      await this.ensureTopics();
      const admin = await this.connectedAdmin();
      // Where the topic ends now: the watcher sees everything published after this resolves.
      // Best effort — without it the watcher starts at the end as of its first fetch.
      const startOffsets = await fetchTopicEnds(admin, topic).catch((error) => {
        this.logger.debug({ err: error }, `could not read where ${topic} ends; the watcher starts at its first fetch`);
        return [];
      });
      const consumer = this.kafka.consumer({ groupId, maxWaitTimeInMs: 500, retry: this.consumerRetry });
      this.watchConsumers.push(consumer);
      const joined = new Promise<void>((resolve) => {
        const remove = consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          remove();
          for (const partition of payload.memberAssignment[topic] ?? []) {
            const start = startOffsets.find((entry) => entry.partition === partition);
            if (start) consumer.seek({ topic, partition, offset: start.offset });
          }
          resolve();
        });
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: false });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const values: T[] = [];
          for (const message of batch.messages) {
            try {
              values.push(...decode(message));
            } catch {
              // a watcher never stops on a bad message
            }
          }
          if (values.length === 0) return;
          try {
            listener(values);
          } catch (error) {
            this.logger.error({ err: error }, `a ${what} listener failed: ${messageOf(error)}`);
          }
        },
      });
      await withTimeout(joined, 30_000, `joining the ${what} watcher group ${groupId} took longer than 30 s`);
    } catch (error) {
      throw this.unreachable(error, `watching ${topic} failed`);
    }
  }

  // ---------------------------------------------------------------- admin

  /** Whether this member holds the input partitions (the group's active worker). */
  isActive(): boolean {
    return this.assignedPartitions > 0;
  }

  /** The members of this bus's consumer group and their partitions of its input topic, as the broker reports them. */
  async describeMembers(topic = this.config.inputTopic): Promise<Array<{ memberId: string; clientId: string; host: string; partitions: number[] }>> {
    try {
      const admin = await this.connectedAdmin();
      const described = await admin.describeGroups([this.config.groupId]);
      return (described.groups[0]?.members ?? []).map((member) => {
        const assignment = member.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
        const partitions = [...(assignment?.assignment[topic] ?? [])].sort((a, b) => a - b);
        return { memberId: member.memberId, clientId: member.clientId, host: member.clientHost.replace(/^\//, ''), partitions };
      });
    } catch (error) {
      throw this.unreachable(error, `describing consumer group ${this.config.groupId} failed`);
    }
  }

  /** This process's member id in its consumer group (after it joined). */
  memberId(): string | null {
    return this.joinedAs;
  }

  counters(): BusCounters {
    this.refreshLagSoon();
    return { ...this.totals, lag: this.lag };
  }

  async ping(): Promise<void> {
    try {
      await withTimeout(
        this.connectedAdmin().then((admin) => admin.describeCluster()),
        this.options.pingTimeoutMs,
        `no answer within ${this.options.pingTimeoutMs} ms`,
      );
    } catch (error) {
      // A fresh admin client next time: kafkajs's may be stuck in a half-connected state.
      this.resetAdmin();
      throw this.unreachable(error);
    }
  }

  private ensureTopics(): Promise<void> {
    if (!this.config.createTopics) return Promise.resolve();
    if (!this.topicsReady) {
      const ready = this.createMissingTopics();
      this.topicsReady = ready;
      ready.catch(() => {
        if (this.topicsReady === ready) this.topicsReady = null;
      });
    }
    return this.topicsReady;
  }

  private async createMissingTopics(): Promise<void> {
    const admin = await this.connectedAdmin();
    const wanted = [this.config.inputTopic, this.config.outputTopic, this.config.dlqTopic].filter((topic): topic is string => !!topic);
    const existing = new Set(await admin.listTopics());
    const extra = this.config.extraTopics ?? [];
    wanted.push(...extra.map((entry) => entry.topic));
    const missing = [...new Set(wanted)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    // numPartitions/replicationFactor left out: the broker's defaults apply (not for scale-out's topics).
    // Not kafkajs's waitForLeaders: it gives up on the UNKNOWN_TOPIC_OR_PARTITION of the moment after.
    await createServedTopics(admin, missing.map((topic) => extra.find((entry) => entry.topic === topic) ?? { topic }));
    this.logger.info({ topics: missing }, `created Kafka topics ${missing.join(', ')}`);
  }

  private connectedAdmin(): Promise<Admin> {
    if (!this.adminReady) {
      const admin = this.kafka.admin({ retry: { initialRetryTime: 300, maxRetryTime: 2_000, retries: 3 } });
      const ready = admin.connect().then(() => admin);
      this.adminReady = ready;
      ready.catch(() => {
        if (this.adminReady === ready) this.adminReady = null;
        admin.disconnect().catch(() => {});
      });
    }
    return this.adminReady;
  }

  private resetAdmin(): void {
    const old = this.adminReady;
    this.adminReady = null;
    old?.then((admin) => admin.disconnect()).catch(() => {});
  }

  /** Lag of this worker's last slice on its partition; the admin refresh replaces it with the group's lag. */
  private noteConsumedLag(highWatermark: string, lastOffset: string): void {
    if (this.lagRefreshedAt === 0) this.lag = Math.max(0, Number(highWatermark) - Number(lastOffset) - 1);
  }

  /** Group lag = Σ partitions (end of partition − committed offset), refreshed at most every few seconds. */
  private refreshLagSoon(): void {
    if (!this.handler || this.stopping || this.lagRefreshing || Date.now() - this.lagRefreshedAt < LAG_REFRESH_INTERVAL_MS) return;
    this.lagRefreshing = true;
    const topic = this.config.inputTopic;
    (async () => {
      const admin = await this.connectedAdmin();
      const [ends, committed] = await Promise.all([
        fetchTopicEnds(admin, topic),
        admin.fetchOffsets({ groupId: this.config.groupId, topics: [topic] }),
      ]);
      const committedByPartition = new Map((committed[0]?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
      let lag = 0;
      for (const end of ends) {
        const position = committedByPartition.get(end.partition) ?? -1;
        const from = position >= 0 ? position : this.options.fromBeginning ? Number(end.low) : Number(end.high);
        lag += Math.max(0, Number(end.high) - from);
      }
      this.lag = lag;
      this.lagRefreshedAt = Date.now();
    })()
      .catch((error) => this.logger.debug({ err: error }, `refreshing the consumer lag failed: ${messageOf(error)}`))
      .finally(() => (this.lagRefreshing = false));
  }

  // ---------------------------------------------------------------- stopping

  stop(): Promise<void> {
    if (!this.stopPromise) this.stopPromise = this.shutDown();
    return this.stopPromise;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.stopController.abort();
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const graceful = (async () => {
      // A pipelined consumer hands nothing more over once stopping; its slices in hand are committed first.
      await this.commits?.drain();
      // The consumer first: kafkajs stops fetching, waits for the batch in hand (whose handler may
      // still be publishing through the producer), commits it and leaves the group.
      await Promise.all([this.consumer?.disconnect(), ...this.watchConsumers.map((consumer) => consumer.disconnect())]);
      await Promise.all([
        this.producerReady?.then((producer) => producer.disconnect()),
        this.adminReady?.then((admin) => admin.disconnect()),
      ]);
    })();
    try {
      await withTimeout(graceful, this.options.stopTimeoutMs, `stopping took longer than ${this.options.stopTimeoutMs} ms`);
      this.logger.info('the Kafka bus stopped');
    } catch (error) {
      this.logger.warn(
        { err: error },
        `the Kafka bus did not stop cleanly (${messageOf(error)}); uncommitted input will be delivered again to the next consumer`,
      );
      for (const timer of this.keepAliveTimers) clearInterval(timer);
      this.keepAliveTimers.clear();
    } finally {
      this.consumer = null;
      this.watchConsumers = [];
      this.producerReady = null;
      this.adminReady = null;
    }
  }

  private unreachable(error: unknown, what?: string): OperationalError {
    return kafkaUnreachable(this.config.brokers, error, what);
  }
}

// ---------------------------------------------------------------- helpers

/** An OperationalError naming the brokers and what failed (the error itself when it already is one). */
export function kafkaUnreachable(brokers: readonly string[], error: unknown, what?: string): OperationalError {
  if (error instanceof OperationalError) return error;
  const detail = messageOf(originalCause(error));
  const message = what ? `${what}: Kafka brokers ${brokers.join(', ')}: ${detail}` : `Kafka brokers ${brokers.join(', ')} are unreachable: ${detail}`;
  return new OperationalError('Kafka', message, { cause: error });
}

/** A computed value as messages.md writes it on the output topic, keyed by its tag. */
export function outputMessage(output: OutputValue): Message {
  return {
    key: output.tag,
    value: JSON.stringify({
      tag: output.tag,
      value: output.value,
      ts: isoTime(output.ts),
      quality: output.quality,
      script: { id: output.script.id, name: output.script.name, version: output.script.version },
      // Only on a value that reports a failure or a stop (messages.md).
      ...(output.reason === undefined ? {} : { reason: output.reason }),
    }),
  };
}

/** Scale-out's routed record: a script group's values (routed-codec.ts), keyed by the group's key, to its partition. */
export function routedMessage(batch: { partition: number; key: string; values: readonly TagValue[] }): Message {
  return { partition: batch.partition, key: batch.key, value: encodeRouted(batch.values) };
}

/** Decodes one message of the output topic (messages.md); null when it is not one. */
export function decodeOutput(message: KafkaMessage): OutputValue | null {
  if (!message.value) return null;
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(message.value.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const tag = parseTagName(body.tag);
  const value = parseTagScalar(body.value);
  const ts = parseTimestamp(body.ts, Number(message.timestamp));
  const quality = parseQuality(body.quality);
  const script = body.script as Record<string, unknown> | undefined;
  if (!tag.ok || !value.ok || !ts.ok || !quality.ok || typeof script !== 'object' || script === null) return null;
  if (typeof script.id !== 'string' || typeof script.name !== 'string' || typeof script.version !== 'number') return null;
  return {
    tag: tag.value,
    value: value.value,
    ts: ts.value,
    quality: quality.value,
    script: { id: script.id, name: script.name, version: script.version },
    ...(isValueReason(body.reason) ? { reason: body.reason } : {}),
  };
}

/** A raw value as messages.md writes it. */
export function rawBody(value: TagValue) {
  return { tag: value.tag, value: value.value, ts: isoTime(value.ts), quality: value.quality };
}

/** A decoder bug must refuse one message, never stall the partition by failing the whole batch forever. */
function decodeSafely(message: KafkaMessage, now: number, routed: boolean): DecodeResult {
  try {
    // A routed record was checked by its router: decoded once here, without messages.md's checks.
    if (routed && message.value && isBinaryRouted(message.value)) return { values: decodeRouted(message.value), rejected: [] };
    return decodeRawValues(message.value, Number(message.timestamp), now);
  } catch (error) {
    return { values: [], rejected: [{ index: null, reason: `the message could not be decoded: ${messageOf(error)}` }] };
  }
}

/** What decoding input needs from its bus (the kafkajs and the confluent bus share it). */
export interface InputDecoding {
  totals: { messagesIn: number; valuesIn: number; rejectedIn: number };
  rejectWarning: ThrottledWarning;
  logger: Logger;
  dlqTopic?: string;
  /** The input is scale-out's routed topic (routed-codec.ts). */
  routed?: boolean;
}

/**
 * Decodes a slice of input messages (messages.md): the values with their messages' offsets, the
 * refused ones counted, logged at a bounded rate and turned into DLQ messages with their reasons.
 */
export function decodeInputMessages(bus: InputDecoding, topic: string, partition: number, messages: readonly KafkaMessage[]) {
  const values: TagValue[] = [];
  const offsets: number[] = [];
  const dlq: Message[] = [];
  let rejected = 0;
  const now = Date.now();
  for (const message of messages) {
    bus.totals.messagesIn++;
    const result = decodeSafely(message, now, bus.routed === true);
    const offset = Number(message.offset);
    for (const value of result.values) {
      values.push(value);
      offsets.push(offset);
    }
    bus.totals.valuesIn += result.values.length;
    if (result.rejected.length === 0) continue;
    rejected += result.rejected.length;
    bus.totals.rejectedIn += result.rejected.length;
    const reasons = result.rejected.map((entry) => entry.reason).join('; ');
    bus.rejectWarning.warn(
      bus.logger,
      { partition, offset: message.offset, reason: truncateText(reasons, 300) },
      `refused ${result.rejected.length === 1 ? 'an input value' : `${result.rejected.length} input values`} from ${topic}[${partition}] at offset ${message.offset}${bus.dlqTopic ? ` (sent to ${bus.dlqTopic})` : ''}: ${truncateText(reasons, 300)}`,
    );
    if (bus.dlqTopic) dlq.push(dlqMessage(topic, partition, message, result.rejected, reasons));
  }
  return { values, offsets, rejected, dlq };
}

function dlqMessage(
  topic: string,
  partition: number,
  message: KafkaMessage,
  rejected: Array<{ index: number | null }>,
  reasons: string,
): Message {
  const headers: IHeaders = { ...(message.headers ?? {}) };
  headers[DLQ_HEADERS.reason] = truncateText(reasons, MAX_REASON_CHARS);
  headers[DLQ_HEADERS.sourceTopic] = topic;
  headers[DLQ_HEADERS.sourcePartition] = String(partition);
  headers[DLQ_HEADERS.sourceOffset] = message.offset;
  headers[DLQ_HEADERS.sourceTimestamp] = message.timestamp;
  headers[DLQ_HEADERS.rejectedAt] = new Date().toISOString();
  const elements = rejected.filter((entry) => entry.index !== null).map((entry) => entry.index);
  if (elements.length > 0) headers[DLQ_HEADERS.rejectedElements] = elements.join(',');
  let value = message.value;
  if (value && value.length > MAX_DLQ_VALUE_BYTES) {
    headers[DLQ_HEADERS.truncatedFrom] = String(value.length);
    value = value.subarray(0, MAX_DLQ_VALUE_BYTES);
  }
  return { key: message.key, value, headers };
}

/**
 * admin.fetchTopicOffsets, retried when the partition leader moved or the client's metadata is stale
 * (kafkajs gives up at once on NOT_LEADER, which is common right after a topic is created or a broker
 * restarted).
 */
export async function fetchTopicEnds(admin: Admin, topic: string) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      const type = (originalCause(error) as { type?: string }).type;
      const leaderMoved = type === 'NOT_LEADER_FOR_PARTITION' || type === 'LEADER_NOT_AVAILABLE' || type === 'UNKNOWN_TOPIC_OR_PARTITION';
      if (!leaderMoved || attempt >= 5) throw error;
      await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

/** Splits messages so no produce request carries more than MAX_SEND_BYTES of keys and values. */
export function chunkBySize(messages: Message[]): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = byteLength(message.key) + byteLength(message.value) + 64;
    if (current.length > 0 && bytes + size > MAX_SEND_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function byteLength(data: Message['value'] | Message['key']): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

export function originalCause(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 10; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (cause === undefined || cause === null || cause === current) break;
    current = cause;
  }
  return current;
}

function truncateText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

const KAFKA_LOG_LEVELS = {
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
} as const;

/**
 * Routes kafkajs's log lines into pino. kafkajs logs every failed connection attempt as an error while
 * a broker is down; the bus recovers from those by itself, so they arrive as warnings. The bus logs
 * at error level what it cannot recover from.
 */
export function pinoLogCreator(logger: Logger) {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log;
      const context = { namespace, ...extra };
      // Our own loop resends what kafkajs gives up on, so its bounded retries cost nothing here.
      if (message.startsWith('Limiting retries for the idempotent producer')) return kafkaLogger.debug(context, message);
      if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) kafkaLogger.warn(context, message);
      else if (level === KafkaLogLevel.INFO) kafkaLogger.info(context, message);
      else kafkaLogger.debug(context, message);
    };
}
