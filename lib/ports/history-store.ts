import type { Quality, TagScalar, TagSource, TagValue } from '../model/tag-value';

/**
 * Raw and computed values over time. InfluxDB (v1-compatible HTTP API) when configured, otherwise a
 * table in the embedded database. Writing the same (tag, ts) again overwrites: replays never
 * duplicate.
 */

export interface HistoryPoint {
  ts: number;
  value: TagScalar;
  quality: Quality;
}

export interface HistoryRecord extends TagValue {
  source: TagSource;
}

export interface HistoryStore {
  readonly kind: 'embedded' | 'influx';

  write(records: readonly HistoryRecord[]): Promise<void>;

  /**
   * Points of one tag with from <= ts <= to, in time order, in chunks (bounded memory for long
   * ranges). Throws OperationalError when the store is down.
   */
  read(tag: string, from: number, to: number, options?: { chunkSize?: number }): AsyncIterable<HistoryPoint[]>;

  /** The last point at or before `ts` (the value a tag held at that instant), or null. */
  readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null>;

  /** Deletes points older than `before` (retention). Returns how many, when the store knows. */
  prune(before: number): Promise<number>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
