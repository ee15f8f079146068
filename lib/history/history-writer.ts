import type { Logger } from '../support/logger';
import { ThrottledWarning } from '../support/throttled-warning';
import type { HistoryRecord, HistoryStore } from '../ports/history-store';
import { isAppError, messageOf } from '../model/errors';

/** Records buffered before a flush starts early, and records per write unless pieceSize says otherwise. */
const DEFAULT_BATCH = 2000;

/**
 * Writes history in batches, off the evaluation path. History is for trends: when the store is
 * down the engine goes on, records wait in a bounded buffer and are written when it returns.
 */
export class HistoryWriter {
  private buffer: HistoryRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private dropped = 0;
  private readonly warning = new ThrottledWarning(10_000);

  constructor(
    private readonly store: HistoryStore,
    private readonly log: Logger,
    /**
     * batchSize: records buffered that start a flush before its time; pieceSize: records per write
     * (default batchSize), with a turn of the event loop between writes.
     */
    private readonly options: { flushMs?: number; batchSize?: number; pieceSize?: number; maxBuffered?: number } = {},
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.options.flushMs ?? 1000);
    this.timer.unref();
  }

  add(records: readonly HistoryRecord[]): void {
    if (records.length === 0) return;
    for (const record of records) this.buffer.push(record);
    const max = this.options.maxBuffered ?? 500_000;
    if (this.buffer.length > max) {
      const excess = this.buffer.length - max;
      this.buffer.splice(0, excess);
      this.dropped += excess;
    }
    if (this.buffer.length >= (this.options.batchSize ?? DEFAULT_BATCH)) void this.flush();
  }

  get pending(): number {
    return this.buffer.length;
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.buffer.length === 0) return Promise.resolve();
    this.flushing = (async () => {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.options.pieceSize ?? this.options.batchSize ?? DEFAULT_BATCH);
        try {
          await this.store.write(batch);
        } catch (error) {
          if (isAppError(error) && error.kind === 'operational') {
            this.buffer.unshift(...batch);
            this.warn(`history store unavailable, ${this.buffer.length} records waiting: ${messageOf(error)}`);
            return;
          }
          // The store refused the data itself: retrying would block every record after it.
          this.log.error({ records: batch.length, err: messageOf(error) }, 'history records refused by the store were dropped');
        }
        // The embedded store runs on this thread: let requests and the bus in between batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.dropped > 0) {
        this.warn(`history buffer was full: ${this.dropped} oldest records were not written`);
        this.dropped = 0;
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private warn(message: string): void {
    if (this.warning.admit() !== undefined) this.log.warn(message);
  }
}
