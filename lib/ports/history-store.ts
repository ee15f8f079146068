import type { Quality, TagScalar, TagSource, TagValue, ValueReason } from '../model/tag-value';

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

/** Which script computed a value: the lineage live outputs carry (messages.md), kept with the point. */
export interface HistoryLineage {
  id: string;
  name: string;
  version: number;
}

export interface HistoryRecord extends TagValue {
  source: TagSource;
  /** On computed values: the script and version that produced it. */
  script?: HistoryLineage;
}

/**
 * Points column-wise: `length` points (the arrays may be longer), kind codes (KIND_* of
 * lib/history/history-columns.ts) with the number or the index into `texts` in `num`, quality
 * indexes into QUALITIES.
 */
export interface HistoryColumnPoints {
  length: number;
  ts: Float64Array;
  kind: Uint8Array;
  /** The number for a number, the index into `texts` for a string, 0 otherwise. */
  num: Float64Array;
  quality: Uint8Array;
  texts: string[];
}

/**
 * One tag's points column-wise for `writeBulkColumns`: ts strictly increasing whole milliseconds; one
 * source and lineage for all of them.
 */
export interface HistoryColumnBatch extends HistoryColumnPoints {
  tag: string;
  /** [point index, reason] of the points that carry one, ascending. */
  reasons: ReadonlyArray<readonly [number, ValueReason]>;
  source: TagSource;
  script?: HistoryLineage;
}

/** A stored point as written: its tag, value, quality, source, reason and lineage. */
export type HistoryRow = HistoryRecord;

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

  /**
   * Points of several tags with from <= ts < to (half-open, unlike `read`), with their source and
   * lineage, in time order (points at the same instant in the order of `tags`), in chunks of at most
   * `chunkSize`: months of 1 s data are never in memory at once. Export and backfill read with it.
   */
  readRows(tags: readonly string[], from: number, to: number, options?: { chunkSize?: number }): AsyncIterable<HistoryRow[]>;

  /**
   * The timestamps of `tag` with a stored point (whatever its value, null included) in [from, to),
   * ascending, in chunks: where backfill's `fill` mode must not write.
   */
  readTimestamps(tag: string, from: number, to: number, options?: { chunkSize?: number }): AsyncIterable<number[]>;

  /**
   * For each grid time t = grid.first + k·grid.step, the last point of `tag` (with its lineage) with
   * t − step < ts <= t and from <= ts < to, in time order, in chunks of at most `chunkSize` grid
   * times: what an export on a coarse grid needs, without reading every raw point. Optional: a
   * store without it is read point by point.
   */
  readLastPerStep?(tag: string, from: number, to: number, grid: { first: number; step: number }, options?: { chunkSize?: number }): AsyncIterable<HistoryRow[]>;

  /** Deletes the points of `tag` in [from, to) (backfill's `replace`). Returns how many were deleted. */
  deleteRange(tag: string, from: number, to: number): Promise<number>;

  /**
   * Writes many points of many tags (with lineage) in pieces, each its own short write, with a turn
   * of the event loop between, so a long backfill never holds the store. Same overwrite rule as
   * `write`; not atomic as a whole. Returns how many were written.
   */
  writeBulk(records: readonly HistoryRecord[]): Promise<number>;

  /**
   * writeBulk column-wise (backfill: no object per point): the same rules and result. Optional: a
   * store without it is given records (lib/history/write-columns.ts).
   */
  writeBulkColumns?(batches: readonly HistoryColumnBatch[]): Promise<number>;

  /** Deletes points older than `before` (retention). Returns how many, when the store knows. */
  prune(before: number): Promise<number>;

  ping(): Promise<void>;
  close(): Promise<void>;
}
