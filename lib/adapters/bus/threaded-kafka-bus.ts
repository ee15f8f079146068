import type { Worker } from 'node:worker_threads';
import { OperationalError, messageOf } from '../../model/errors';
import { ValuePacker, ValueUnpacker } from '../../model/packed-values';
import type { OutputValue, TagValue } from '../../model/tag-value';
import type { Bus, BusCounters, InputHandler } from '../../ports/bus';
import type { Logger } from '../../support/logger';
import { spawnThread } from '../../threads/thread-rpc';
import { KafkaBus, type KafkaBusOptions } from './kafka-bus';
import type { BusThreadData, BusThreadMessage, BusThreadRequest } from './bus-thread-protocol';

/**
 * The Kafka bus of a worker with its consumer and output producer in a thread of their own
 * (BUS_THREAD, docs/decisions/0021-bus-thread.md): the same `Bus` port, so the pipeline does not know.
 * The bus thread (`bus-thread-server.ts`) decodes the input messages and hands each slice here as
 * packed lanes; the handler's outputs go back packed and are encoded and produced there (acks=all);
 * the slice's offsets are committed there once the handler has resolved. What the API asks of the bus
 * now and then — `publishRaw` (POST /api/values, the simulator), `ping`, `describeMembers`, the web's
 * watchers — stays on a KafkaBus of this thread, which connects only when first used.
 */
export class ThreadedKafkaBus implements Bus {
  readonly kind = 'kafka' as const;
  private readonly local: KafkaBus;
  private readonly logger: Logger;
  private worker!: Worker;
  private packer!: ValuePacker;
  private unpacker!: ValueUnpacker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private handler: InputHandler | null = null;
  private status: { counters: BusCounters; active: boolean } = {
    counters: { messagesIn: 0, valuesIn: 0, rejectedIn: 0, valuesOut: 0, lag: 0 },
    active: false,
  };
  private stopping = false;

  constructor(
    private readonly options: KafkaBusOptions,
    private readonly threadFile: string,
  ) {
    this.local = new KafkaBus(options);
    this.logger = options.logger.child({ component: 'kafka-bus' });
    this.start();
  }

  private start(): void {
    const { logger, onAssignment: _, ...rest } = this.options;
    const data: BusThreadData = { options: rest, logLevel: logger.level };
    const worker = spawnThread(this.threadFile, { name: 'bus', workerData: data });
    this.worker = worker;
    this.packer = new ValuePacker();
    this.unpacker = new ValueUnpacker();
    worker.on('message', (message: BusThreadMessage) => this.receive(worker, message));
    worker.on('error', (error) => this.logger.error({ err: error }, `the bus thread failed: ${messageOf(error)}`));
    worker.on('exit', (code) => {
      if (worker !== this.worker) return;
      this.failPending(new OperationalError('Kafka', `the bus thread stopped (exit code ${code})`));
      if (this.stopping) return;
      // Its slices in hand were never committed: a new consumer gets them again (at-least-once).
      this.logger.error({ code }, 'the bus thread stopped; starting a new one');
      this.start();
      if (this.handler) this.request({ op: 'consume', id: this.nextId++ }).catch((error) => this.logger.error({ err: error }, `the new bus thread could not consume: ${messageOf(error)}`));
    });
  }

  private receive(worker: Worker, message: BusThreadMessage): void {
    if (worker !== this.worker) return;
    if (message.op !== 'status' && message.counters) this.status.counters = message.counters;
    if (message.op === 'reply') {
      const entry = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error === undefined) entry?.resolve();
      else entry?.reject(new OperationalError('Kafka', message.error));
    } else if (message.op === 'status') {
      this.status = { counters: message.counters, active: message.active };
    } else {
      const handler = this.handler;
      const values = this.unpacker.unpack(message.packed) as TagValue[];
      const done = (error?: string) => worker.postMessage({ op: 'done', batch: message.batch, error } satisfies BusThreadRequest);
      if (!handler) return done('no input handler');
      // The bus thread keeps the consumer's session alive while the handler runs.
      handler({ values, rejected: message.rejected, heartbeat: async () => undefined }).then(
        () => done(),
        (error: unknown) => done(messageOf(error)),
      );
    }
  }

  private request(body: BusThreadRequest & { id: number }, transfer?: ArrayBuffer[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.set(body.id, { resolve, reject });
      this.worker.postMessage(body, transfer);
    });
  }

  private failPending(error: Error): void {
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  async consume(handler: InputHandler): Promise<void> {
    if (this.handler) throw new Error('ThreadedKafkaBus.consume was already called; one bus has one consumer');
    this.handler = handler;
    try {
      await this.request({ op: 'consume', id: this.nextId++ });
    } catch (error) {
      this.handler = null;
      throw error;
    }
  }

  async publishOutputs(values: readonly OutputValue[]): Promise<void> {
    if (values.length === 0) return;
    const packed = this.packer.pack(values);
    await this.request({ op: 'publish', id: this.nextId++, packed }, [packed.buffer]);
  }

  publishRaw(values: readonly TagValue[]): Promise<void> {
    return this.local.publishRaw(values);
  }

  watchOutputs(listener: (values: OutputValue[]) => void): Promise<void> {
    return this.local.watchOutputs(listener);
  }

  watchInputs(listener: (values: TagValue[]) => void): Promise<void> {
    return this.local.watchInputs(listener);
  }

  describeMembers(topic?: string): ReturnType<KafkaBus['describeMembers']> {
    return this.local.describeMembers(topic);
  }

  /** As the bus thread last reported them (after each rebalance and every second). */
  counters(): BusCounters {
    return { ...this.status.counters };
  }

  isActive(): boolean {
    return this.status.active;
  }

  ping(): Promise<void> {
    return this.local.ping();
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    try {
      await this.request({ op: 'stop', id: this.nextId++ });
    } catch (error) {
      this.logger.warn({ err: error }, `stopping the bus thread: ${messageOf(error)}`);
    }
    await Promise.all([this.worker.terminate(), this.local.stop()]);
  }
}
