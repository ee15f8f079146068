import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { messageOf } from '../../model/errors';
import type { Logger } from '../../support/logger';
import { ThrottledWarning } from '../../support/throttled-warning';
import type { Bus, BusCounters, InputBatch, InputHandler } from '../../ports/bus';
import type { OutputValue, TagValue } from '../../model/tag-value';

/**
 * The embedded bus: in-process input and output "topics" for the single-process mode.
 *
 * `publishRaw` never blocks its caller (the simulator, POST /api/values): it appends to a bounded
 * queue. One consumer loop hands the handler everything queued so far (up to `maxBatchSize`), one
 * batch at a time, and waits for it before taking the next — so a slow engine makes batches grow
 * instead of piling up concurrent evaluations. Past `maxQueuedValues` new values are dropped, counted
 * and warned about: memory stays bounded even when the engine cannot keep up.
 *
 * Nothing is durable here; a handler failure is retried a few times (as Kafka would redeliver) and
 * then the batch is dropped with an error log, so a bug cannot wedge the embedded process.
 */

export interface MemoryBusOptions {
  logger: Logger;
  /** Most values handed to the handler in one batch. */
  maxBatchSize?: number;
  /** Most values waiting in the input queue; beyond it publishRaw drops and counts. */
  maxQueuedValues?: number;
  /** Attempts at handling one batch before it is dropped. */
  maxHandlerAttempts?: number;
  /** First pause before a failed batch is retried (doubles on each attempt). */
  retryDelayMs?: number;
  /** How long stop() waits for the batch in hand. */
  stopTimeoutMs?: number;
}

const OVERFLOW_WARNING_INTERVAL_MS = 5_000;

export class MemoryBus implements Bus {
  readonly kind = 'embedded' as const;

  private readonly logger: Logger;
  private readonly maxBatchSize: number;
  private readonly maxQueuedValues: number;
  private readonly maxHandlerAttempts: number;
  private readonly retryDelayMs: number;
  private readonly stopTimeoutMs: number;

  /** Queued input values; `queueHead` is the index of the oldest undelivered one. */
  private queue: TagValue[] = [];
  private queueHead = 0;
  private wakeConsumer: (() => void) | null = null;
  private handler: InputHandler | null = null;
  private consumerLoop: Promise<void> | null = null;
  private stopping = false;
  private readonly outputListeners = new Set<(values: OutputValue[]) => void>();

  private readonly totals = { messagesIn: 0, valuesIn: 0, rejectedIn: 0, valuesOut: 0 };
  /** Counts the values dropped since the last overflow warning. */
  private readonly overflowWarning = new ThrottledWarning(OVERFLOW_WARNING_INTERVAL_MS);

  constructor(options: MemoryBusOptions) {
    this.logger = options.logger;
    this.maxBatchSize = options.maxBatchSize ?? 10_000;
    this.maxQueuedValues = options.maxQueuedValues ?? 1_000_000;
    this.maxHandlerAttempts = options.maxHandlerAttempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 8_000;
  }

  async consume(handler: InputHandler): Promise<void> {
    if (this.handler) throw new Error('MemoryBus.consume was already called; one bus has one consumer');
    if (this.stopping) throw new Error('MemoryBus is stopped');
    this.handler = handler;
    this.consumerLoop = this.runConsumer(handler);
  }

  async publishRaw(values: readonly TagValue[]): Promise<void> {
    if (values.length === 0) return;
    this.totals.messagesIn += 1;
    const room = this.maxQueuedValues - this.queuedCount();
    const accepted = room >= values.length ? values : values.slice(0, Math.max(0, room));
    for (const value of accepted) this.queue.push(value);
    this.totals.valuesIn += accepted.length;
    if (accepted.length < values.length) this.recordOverflow(values.length - accepted.length);
    this.wake();
  }

  async publishOutputs(values: readonly OutputValue[]): Promise<void> {
    if (values.length === 0) return;
    this.totals.valuesOut += values.length;
    for (const listener of this.outputListeners) {
      try {
        listener(values.slice());
      } catch (error) {
        this.logger.error({ err: error }, `an output listener failed: ${messageOf(error)}`);
      }
    }
  }

  async watchOutputs(listener: (values: OutputValue[]) => void): Promise<void> {
    this.outputListeners.add(listener);
  }

  counters(): BusCounters {
    // The embedded "lag" is what waits in the queue: the same meaning as Kafka's consumer lag.
    return { ...this.totals, lag: this.queuedCount() };
  }

  async ping(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.stopTimeoutMs)));
    const outcome = await Promise.race([this.consumerLoop ?? Promise.resolve(), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.warn(`the batch in hand did not finish within ${this.stopTimeoutMs} ms; stopping without it`);
    }
    this.outputListeners.clear();
  }

  private async runConsumer(handler: InputHandler): Promise<void> {
    while (!this.stopping) {
      if (this.queuedCount() === 0) {
        await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
        this.wakeConsumer = null;
        continue;
      }
      const values = this.takeBatch();
      await this.deliver(handler, values);
      // Let timers and I/O (the simulator, HTTP) run between batches even when the queue is deep.
      if (this.queuedCount() > 0) await yieldToEventLoop();
    }
  }

  private async deliver(handler: InputHandler, values: TagValue[]): Promise<void> {
    const batch: InputBatch = { values, rejected: 0, heartbeat: async () => {} };
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(batch);
        return;
      } catch (error) {
        if (attempt >= this.maxHandlerAttempts || this.stopping) {
          this.logger.error(
            { err: error, values: values.length, attempts: attempt },
            `dropped a batch of ${values.length} values after ${attempt} failed attempts: ${messageOf(error)}`,
          );
          return;
        }
        this.logger.warn({ err: error, values: values.length, attempt }, `handling a batch failed, retrying: ${messageOf(error)}`);
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  private takeBatch(): TagValue[] {
    const available = this.queuedCount();
    if (this.queueHead === 0 && available <= this.maxBatchSize) {
      const batch = this.queue;
      this.queue = [];
      return batch;
    }
    const end = this.queueHead + Math.min(available, this.maxBatchSize);
    const batch = this.queue.slice(this.queueHead, end);
    this.queueHead = end;
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.queueHead >= this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 65_536 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return batch;
  }

  private queuedCount(): number {
    return this.queue.length - this.queueHead;
  }

  private wake(): void {
    this.wakeConsumer?.();
  }

  private recordOverflow(dropped: number): void {
    this.totals.rejectedIn += dropped;
    const droppedSinceWarning = this.overflowWarning.admit(dropped);
    if (droppedSinceWarning === undefined) return;
    this.logger.warn(
      { dropped: droppedSinceWarning, queued: this.queuedCount(), limit: this.maxQueuedValues },
      `dropped ${droppedSinceWarning} input values: the in-process queue holds ${this.maxQueuedValues} values and the engine is not keeping up`,
    );
  }
}
