import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Message } from 'kafkajs';
import { OperationalError, messageOf } from '../../model/errors';
import type { Logger } from '../../support/logger';
import { ThrottledWarning } from '../../support/throttled-warning';
import { withTimeout } from '../../support/with-timeout';
import type { BusCounters, InputBatch, InputHandler } from '../../ports/bus';
import type { OutputValue, TagValue } from '../../model/tag-value';
import { chunkBySize, decodeInputMessages, kafkaUnreachable, outputMessage, rawBody, routedMessage, sleep, type KafkaBusOptions, type ScaleOutBus } from './kafka-bus';
import { waitForTopicLeaders } from './topic-leaders';

/**
 * The Kafka bus of scale-out's router and engine on `@confluentinc/kafka-javascript` (librdkafka,
 * its KafkaJS-compatible API), chosen by KAFKA_CLIENT=confluent (docs/decisions/0016). Same port and
 * same guarantees as `KafkaBus` (decision 0006): an idempotent producer with acks=all, every send
 * retried until acknowledged while the bus runs, a slice's offsets committed only after its handler
 * resolved. What librdkafka adds: the cooperative-sticky assignor (a rebalance moves only the
 * partitions that change owner; the others keep being consumed) and static membership
 * (`group.instance.id`: a worker restarted within the session timeout gets its partitions back
 * without a rebalance).
 *
 * The package is optional (it builds librdkafka from source, see the decision): it is loaded when the
 * bus first connects, and its absence is an error that says how to install it.
 */

/** KafkaBus's options (same meanings and defaults), less kafkajs's own. */
export interface ConfluentBusOptions extends Omit<KafkaBusOptions, 'assigner' | 'kafkaLogLevel' | 'clientId'> {
  /** Unique per process by default (`script-server-<random>`): how this member finds its own id in the group. */
  clientId?: string;
  /** Always cooperative-sticky here ('spread': the members share the partitions); single-active needs kafkajs. */
  assigner?: 'spread';
  /** Static membership: a stable id per worker (e.g. its host name); unset joins dynamically. */
  groupInstanceId?: string;
}

export const CONFLUENT_MODULE = '@confluentinc/kafka-javascript';

export const CONFLUENT_INSTALL_HINT =
  'install it on this machine (it builds librdkafka from source): apt-get install -y libssl-dev zlib1g-dev libzstd-dev libsasl2-dev liblz4-dev libcurl4-openssl-dev, ' +
  `then CKJS_LINKING=dynamic npm install --no-save ${CONFLUENT_MODULE} (docs/decisions/0016-kafka-client.md); or set KAFKA_CLIENT=kafkajs`;

// ---------------------------------------------------------------- the subset of the package used here

type ConfluentMessage = { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string; headers?: Record<string, unknown> };
interface ConfluentBatchPayload {
  batch: { topic: string; partition: number; highWatermark: string; messages: ConfluentMessage[] };
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  commitOffsetsIfNecessary(): Promise<void>;
  isRunning(): boolean;
  isStale(): boolean;
}
export interface ConfluentConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(subscription: { topics: string[] }): Promise<void>;
  run(config: { eachBatchAutoResolve?: boolean; partitionsConsumedConcurrently?: number; eachBatch(payload: ConfluentBatchPayload): Promise<void> }): Promise<void>;
}
interface ConfluentProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  send(record: { topic: string; messages: Message[] }): Promise<unknown>;
}
export interface ConfluentAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  createTopics(options: { topics: Array<{ topic: string; numPartitions?: number; configEntries?: Array<{ name: string; value: string }> }> }): Promise<boolean>;
  describeGroups(groups: string[]): Promise<{ groups: Array<{ members: Array<{ memberId: string; clientId: string; clientHost: string; assignment?: { topicPartitions?: Array<{ topic: string; partition: number }> } }> }> }>;
  fetchTopicOffsets(topic: string): Promise<Array<{ partition: number; high: string; low: string }>>;
  fetchTopicMetadata(options: { topics: string[] }): Promise<Array<{ name: string; partitions: Array<{ partitionId: number; leader: number }> }>>;
  fetchOffsets(options: { groupId: string; topics: string[] }): Promise<Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>>;
}
export interface ConfluentKafka {
  producer(config: Record<string, unknown>): ConfluentProducer;
  consumer(config: Record<string, unknown>): ConfluentConsumer;
  admin(config?: Record<string, unknown>): ConfluentAdmin;
}
type RebalanceCallback = (error: { code: number; message: string }, assignment: Array<{ topic: string; partition: number }>) => void;

/** librdkafka's rebalance event codes (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS / __REVOKE_PARTITIONS). */
const ASSIGN_PARTITIONS = -175;
const REVOKE_PARTITIONS = -174;

let loaded: Promise<{ Kafka: new (config: Record<string, unknown>) => ConfluentKafka }> | null = null;

/** The package's KafkaJS-compatible API; an OperationalError saying how to install it when absent. */
export function loadConfluentKafkaJS(): Promise<{ Kafka: new (config: Record<string, unknown>) => ConfluentKafka }> {
  loaded ??= (async () => {
    const name: string = CONFLUENT_MODULE;
    try {
      // require, not import(): a CommonJS package with a native addon, loaded from wherever this
      // module is (the source under tsx, dist/ once built).
      const { createRequire } = await import('node:module');
      const loadedModule = createRequire(import.meta.url)(name) as { KafkaJS?: unknown };
      const api = loadedModule.KafkaJS as { Kafka: new (config: Record<string, unknown>) => ConfluentKafka } | undefined;
      if (!api?.Kafka) throw new Error(`${name} has no KafkaJS API`);
      return api;
    } catch (error) {
      loaded = null;
      throw new OperationalError('Kafka', `KAFKA_CLIENT=confluent needs the package ${name}, which could not be loaded (${messageOf(error).split('\n')[0]}): ${CONFLUENT_INSTALL_HINT}`, { cause: error });
    }
  })();
  return loaded;
}

/** A client of the package with its own log lines sent through pino (warnings and errors only). */
export async function newConfluentKafka(brokers: string[], clientId: string, logger: Logger): Promise<ConfluentKafka> {
  const { Kafka } = await loadConfluentKafkaJS();
  const log = logger.child({ component: 'librdkafka' });
  const kafkaLogger = {
    info: (message: string, extra?: object) => log.debug(extra ?? {}, message),
    debug: (message: string, extra?: object) => log.debug(extra ?? {}, message),
    warn: (message: string, extra?: object) => log.warn(extra ?? {}, message),
    error: (message: string, extra?: object) => log.warn(extra ?? {}, message),
    namespace: () => kafkaLogger,
    setLogLevel: () => undefined,
  };
  return new Kafka({ kafkaJS: { brokers, clientId, connectionTimeout: 3_000, logger: kafkaLogger, logLevel: 2 } });
}

const KEEP_ALIVE_INTERVAL_MS = 1_000;
const PUBLISH_BACKOFF_FIRST_MS = 200;
const PUBLISH_BACKOFF_MAX_MS = 5_000;
const LAG_REFRESH_INTERVAL_MS = 5_000;

export class ConfluentBus implements ScaleOutBus {
  readonly kind = 'kafka' as const;

  private readonly logger: Logger;
  private readonly clientId: string;
  private kafka: Promise<ConfluentKafka> | null = null;
  private consumer: ConfluentConsumer | null = null;
  private producer: Promise<ConfluentProducer> | null = null;
  private admin: Promise<ConfluentAdmin> | null = null;
  private topicsReady: Promise<void> | null = null;
  private handler: InputHandler | null = null;
  private readonly assigned = new Set<number>();
  private joinedAs: string | null = null;
  private stopping = false;
  private stopPromise: Promise<void> | null = null;
  private readonly stopController = new AbortController();
  private readonly totals = { messagesIn: 0, valuesIn: 0, rejectedIn: 0, valuesOut: 0 };
  private lag = 0;
  private lagRefreshedAt = 0;
  private readonly rejectWarning = new ThrottledWarning(5_000);
  private readonly publishWarning = new ThrottledWarning(5_000);

  constructor(private readonly config: ConfluentBusOptions) {
    if (config.brokers.length === 0) throw new Error('ConfluentBus needs at least one broker');
    if (config.dlqTopic && config.dlqTopic === config.inputTopic) {
      throw new Error(`the DLQ topic must differ from the input topic (${config.inputTopic}), or refused messages would come back forever`);
    }
    this.logger = config.logger.child({ component: 'confluent-bus' });
    this.clientId = config.clientId ?? `script-server-${randomUUID().slice(0, 8)}`;
  }

  private client(): Promise<ConfluentKafka> {
    this.kafka ??= newConfluentKafka(this.config.brokers, this.clientId, this.config.logger).catch((error) => {
      this.kafka = null;
      throw error;
    });
    return this.kafka;
  }

  // ---------------------------------------------------------------- consuming

  async consume(handler: InputHandler): Promise<void> {
    if (this.handler) throw new Error('ConfluentBus.consume was already called; one bus has one consumer');
    if (this.stopping) throw new Error('ConfluentBus is stopped');
    this.handler = handler;
    try {
      await this.ensureTopics();
      const kafka = await this.client();
      const consumer = kafka.consumer({
        kafkaJS: {
          groupId: this.config.groupId,
          fromBeginning: this.config.fromBeginning ?? true,
          sessionTimeout: this.config.sessionTimeoutMs ?? 10_000,
          rebalanceTimeout: this.config.rebalanceTimeoutMs ?? 30_000,
          heartbeatInterval: this.config.heartbeatIntervalMs ?? 3_000,
          maxWaitTimeInMs: 500,
          // Commits are ours: after each slice's handler resolved (decision 0006).
          autoCommit: false,
          partitionAssigners: ['cooperative-sticky'],
        },
        'client.id': this.clientId,
        'js.consumer.max.batch.size': this.config.maxBatchMessages ?? 5_000,
        ...(this.config.groupInstanceId ? { 'group.instance.id': this.config.groupInstanceId } : {}),
        rebalance_cb: this.onRebalance,
      });
      this.consumer = consumer;
      await consumer.connect();
      await consumer.subscribe({ topics: [this.config.inputTopic] });
      await consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.config.partitionsConcurrently ?? 4,
        eachBatch: (payload) => this.handleBatch(handler, payload),
      });
    } catch (error) {
      this.handler = null;
      await this.consumer?.disconnect().catch(() => undefined);
      this.consumer = null;
      throw this.unreachable(error);
    }
  }

  /** Incremental (cooperative) assignments and revocations, turned into this member's whole set. */
  private readonly onRebalance: RebalanceCallback = (event, assignment) => {
    const partitions = assignment.filter((entry) => entry.topic === this.config.inputTopic).map((entry) => entry.partition);
    if (event.code === ASSIGN_PARTITIONS) for (const partition of partitions) this.assigned.add(partition);
    else if (event.code === REVOKE_PARTITIONS) for (const partition of partitions) this.assigned.delete(partition);
    else return;
    const all = [...this.assigned].sort((a, b) => a - b);
    this.logger.info(
      { groupId: this.config.groupId, [event.code === ASSIGN_PARTITIONS ? 'assigned' : 'revoked']: partitions, partitions: all },
      `consumer group ${this.config.groupId}: ${event.code === ASSIGN_PARTITIONS ? 'assigned' : 'revoked'} ${partitions.length} partition(s), ${all.length} held`,
    );
    this.config.onAssignment?.(all);
    void this.findMemberId();
  };

  private async handleBatch(handler: InputHandler, payload: ConfluentBatchPayload): Promise<void> {
    const { batch } = payload;
    const heartbeat = () => payload.heartbeat().catch(() => undefined);
    const keepAlive = setInterval(() => void heartbeat(), KEEP_ALIVE_INTERVAL_MS);
    try {
      const max = this.config.maxBatchMessages ?? 5_000;
      for (let start = 0; start < batch.messages.length; start += max) {
        if (start > 0 && (!payload.isRunning() || payload.isStale())) break;
        const slice = batch.messages.slice(start, start + max) as unknown as KafkaMessage[];
        const decoded = decodeInputMessages(
          { totals: this.totals, rejectWarning: this.rejectWarning, logger: this.logger, dlqTopic: this.config.dlqTopic, routed: this.config.inputFormat === 'routed' },
          batch.topic,
          batch.partition,
          slice,
        );
        const forwarded = decoded.dlq.length > 0 && this.config.dlqTopic ? this.sendReliably('rejected input', this.config.dlqTopic, decoded.dlq) : Promise.resolve();
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
            { err: error, partition: batch.partition, firstOffset: slice[0].offset, lastOffset },
            `handling input from ${batch.topic}[${batch.partition}] failed; its offsets stay uncommitted and it will be delivered again: ${messageOf(error)}`,
          );
          throw error;
        }
        await forwarded;
        payload.resolveOffset(lastOffset);
        // A partition revoked meanwhile (cooperative rebalance) is committed by its new owner instead.
        if (!payload.isStale()) await payload.commitOffsetsIfNecessary();
        if (this.lagRefreshedAt === 0) this.lag = Math.max(0, Number(batch.highWatermark) - Number(lastOffset) - 1);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  // ---------------------------------------------------------------- producing

  async publishOutputs(values: readonly OutputValue[]): Promise<void> {
    if (values.length === 0) return;
    await this.sendReliably('outputs', this.config.outputTopic, values.map(outputMessage));
    this.totals.valuesOut += values.length;
  }

  produce(what: string, topic: string, messages: Message[]): Promise<void> {
    return this.sendReliably(what, topic, messages);
  }

  publishRouted(topic: string, batches: ReadonlyArray<{ partition: number; key: string; values: readonly TagValue[] }>): Promise<void> {
    return this.sendReliably('routed values', topic, batches.map(routedMessage));
  }

  async publishRaw(values: readonly TagValue[]): Promise<void> {
    if (values.length === 0) return;
    if (this.stopping) throw new OperationalError('Kafka', 'the Kafka bus is stopping; values were not published');
    try {
      await this.ensureTopics();
      const producer = await this.connectedProducer();
      const messages = values.map((value) => ({ key: value.tag, value: JSON.stringify(rawBody(value)) }));
      for (const chunk of chunkBySize(messages)) await producer.send({ topic: this.config.inputTopic, messages: chunk });
    } catch (error) {
      throw this.unreachable(error, `publishing ${values.length} values to ${this.config.inputTopic} failed`);
    }
  }

  /**
   * Sends until acknowledged (the producer is idempotent, acks=all; librdkafka retries inside a send
   * until message.timeout.ms). A failed send is sent again, on a fresh producer every third failure,
   * for as long as the bus runs; once it is stopping the failure is thrown so the batch in hand stays
   * uncommitted.
   */
  private async sendReliably(what: string, topic: string, messages: Message[]): Promise<void> {
    await this.ensureTopics().catch(() => {});
    let delay = PUBLISH_BACKOFF_FIRST_MS;
    let failures = 0;
    for (const chunk of chunkBySize(messages)) {
      for (;;) {
        try {
          const producer = await this.connectedProducer();
          // The client rewrites the messages it is given; a retry must send the originals.
          await producer.send({ topic, messages: chunk.map((message) => ({ ...message })) });
          break;
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
          if (failures % 3 === 0) this.resetProducer();
          await sleep(delay, this.stopController.signal);
          delay = Math.min(delay * 2, PUBLISH_BACKOFF_MAX_MS);
        }
      }
    }
    if (failures > 0) this.logger.info({ topic, failures }, `publishing ${what} to ${topic} works again after ${failures} failed attempts`);
  }

  private connectedProducer(): Promise<ConfluentProducer> {
    if (!this.producer) {
      const ready = this.client().then(async (kafka) => {
        const producer = kafka.producer({
          kafkaJS: { idempotent: true, acks: -1, allowAutoTopicCreation: false },
          // librdkafka waits up to linger.ms to fill a batch (its default, 5 ms, would add to every round trip).
          'linger.ms': 1,
        });
        await producer.connect();
        return producer;
      });
      this.producer = ready;
      ready.catch(() => {
        if (this.producer === ready) this.producer = null;
      });
    }
    return this.producer;
  }

  private resetProducer(): void {
    const old = this.producer;
    this.producer = null;
    old?.then((producer) => producer.disconnect()).catch(() => {});
  }

  // ---------------------------------------------------------------- admin

  isActive(): boolean {
    return this.assigned.size > 0;
  }

  memberId(): string | null {
    return this.joinedAs;
  }

  /** The package does not expose the member id: found among the group's members by this client's id. */
  private async findMemberId(): Promise<void> {
    try {
      const admin = await this.connectedAdmin();
      const described = await admin.describeGroups([this.config.groupId]);
      const own = described.groups[0]?.members.find((member) => member.clientId === this.clientId);
      if (own) this.joinedAs = own.memberId;
    } catch (error) {
      this.logger.debug({ err: error }, `could not read this member's id: ${messageOf(error)}`);
    }
  }

  async describeMembers(topic = this.config.inputTopic): Promise<Array<{ memberId: string; clientId: string; host: string; partitions: number[] }>> {
    try {
      const admin = await this.connectedAdmin();
      const described = await admin.describeGroups([this.config.groupId]);
      return (described.groups[0]?.members ?? []).map((member) => ({
        memberId: member.memberId,
        clientId: member.clientId,
        host: member.clientHost.replace(/^\//, ''),
        partitions: (member.assignment?.topicPartitions ?? []).filter((entry) => entry.topic === topic).map((entry) => entry.partition).sort((a, b) => a - b),
      }));
    } catch (error) {
      throw this.unreachable(error, `describing consumer group ${this.config.groupId} failed`);
    }
  }

  counters(): BusCounters {
    this.refreshLagSoon();
    return { ...this.totals, lag: this.lag };
  }

  async ping(): Promise<void> {
    const timeoutMs = this.config.pingTimeoutMs ?? 3_000;
    try {
      await withTimeout(this.connectedAdmin().then((admin) => admin.listTopics()), timeoutMs, `no answer within ${timeoutMs} ms`);
    } catch (error) {
      this.resetAdmin();
      throw this.unreachable(error);
    }
  }

  private ensureTopics(): Promise<void> {
    if (!this.config.createTopics) return Promise.resolve();
    this.topicsReady ??= this.createMissingTopics().catch((error) => {
      this.topicsReady = null;
      throw error;
    });
    return this.topicsReady;
  }

  private async createMissingTopics(): Promise<void> {
    const admin = await this.connectedAdmin();
    const extra = this.config.extraTopics ?? [];
    const wanted = [this.config.inputTopic, this.config.outputTopic, this.config.dlqTopic, ...extra.map((entry) => entry.topic)].filter((topic): topic is string => !!topic);
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(wanted)].filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    await admin.createTopics({ topics: missing.map((topic) => extra.find((entry) => entry.topic === topic) ?? { topic }) });
    // librdkafka's consumer would not see a topic its first metadata missed for minutes.
    await waitForTopicLeaders(admin, missing);
    this.logger.info({ topics: missing }, `created Kafka topics ${missing.join(', ')}`);
  }

  private connectedAdmin(): Promise<ConfluentAdmin> {
    if (!this.admin) {
      const ready = this.client().then(async (kafka) => {
        const admin = kafka.admin();
        await admin.connect();
        return admin;
      });
      this.admin = ready;
      ready.catch(() => {
        if (this.admin === ready) this.admin = null;
      });
    }
    return this.admin;
  }

  private resetAdmin(): void {
    const old = this.admin;
    this.admin = null;
    old?.then((admin) => admin.disconnect()).catch(() => {});
  }

  private refreshLagSoon(): void {
    if (!this.handler || this.stopping || Date.now() - this.lagRefreshedAt < LAG_REFRESH_INTERVAL_MS) return;
    this.lagRefreshedAt = Date.now();
    const topic = this.config.inputTopic;
    (async () => {
      const admin = await this.connectedAdmin();
      const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId: this.config.groupId, topics: [topic] })]);
      const position = new Map((committed[0]?.partitions ?? []).map((entry) => [entry.partition, Number(entry.offset)]));
      this.lag = ends.reduce((sum, end) => {
        const at = position.get(end.partition) ?? -1;
        return sum + Math.max(0, Number(end.high) - (at >= 0 ? at : Number(end.low)));
      }, 0);
    })().catch((error) => this.logger.debug({ err: error }, `refreshing the consumer lag failed: ${messageOf(error)}`));
  }

  // ---------------------------------------------------------------- stopping

  stop(): Promise<void> {
    this.stopPromise ??= this.shutDown();
    return this.stopPromise;
  }

  private async shutDown(): Promise<void> {
    this.stopping = true;
    this.stopController.abort();
    const timeoutMs = this.config.stopTimeoutMs ?? 8_000;
    const graceful = (async () => {
      await this.consumer?.disconnect();
      await Promise.all([this.producer?.then((producer) => producer.disconnect()), this.admin?.then((admin) => admin.disconnect())]);
    })();
    try {
      await withTimeout(graceful, timeoutMs, `stopping took longer than ${timeoutMs} ms`);
      this.logger.info('the Kafka bus stopped');
    } catch (error) {
      this.logger.warn({ err: error }, `the Kafka bus did not stop cleanly (${messageOf(error)}); uncommitted input will be delivered again to the next consumer`);
    } finally {
      this.consumer = null;
      this.producer = null;
      this.admin = null;
    }
  }

  private unreachable(error: unknown, what?: string): OperationalError {
    return kafkaUnreachable(this.config.brokers, error, what);
  }
}
