import { type SQL, sql } from 'drizzle-orm';
import { history, historyBuckets } from '../../../db/schema';
import { OperationalError, UnexpectedError } from '../../model/errors';
import {
  emptyColumns,
  KIND_FALSE,
  KIND_NULL,
  KIND_NUMBER,
  KIND_STRING,
  KIND_TRUE,
  pointChunks,
  pointsFromColumns,
  qualityOf,
  valueAt,
  type HistoryColumns,
  type HistoryReadOptions,
} from '../../history/history-columns';
import type { HistoryColumnBatch, HistoryPoint, HistoryRecord, HistoryRow, HistoryStore } from '../../ports/history-store';
import { recordsOfBatch } from '../../history/write-columns';
import { mergeRowStreams } from '../../history/merge-row-streams';
import { translateDatabaseError, type SqlDatabase } from '../store/open-database';
import { BULK_STATEMENT } from '../store/pglite-thread-protocol';
import { isValueReason, QUALITIES, type Quality } from '../../model/tag-value';
import {
  bucketRecords,
  copyPoint,
  decodeBucket,
  encodeBuckets,
  encodeColumnBuckets,
  firstIndexAtOrAfter,
  forEachRun,
  SOURCE_CODES,
  storable,
  type Bucket,
  type BucketRow,
} from './history-buckets';

/**
 * History in the embedded database (PGlite) or a real PostgreSQL: used when InfluxDB is not
 * configured. Two layouts (decision 0020): live writes are rows of `history`, one per (tag, ts), so a
 * replay overwrites instead of duplicating; bulk writes (backfill, seeding) are time buckets of
 * `history_buckets`, one row per run of up to 4 096 points of a tag (history-buckets.ts). A (tag, ts)
 * is in one layout only (a bulk write takes the rows' points it rewrites; when both ever hold one, the
 * row wins), a tag's buckets never overlap in time, and every read merges the two in time order.
 */

/**
 * Rows per INSERT. They travel as one JSON parameter (so PostgreSQL's limit of 65 535 bind
 * parameters never applies); the chunk bounds the size of one statement.
 */
const WRITE_CHUNK_ROWS = 5_000;
export const DEFAULT_READ_CHUNK = 10_000;
/** Rows per DELETE when pruning: short statements let the engine's own writes interleave. */
const PRUNE_BATCH_ROWS = 20_000;
/**
 * Points of one tag per transaction of `writeBulk` (at most 4 buckets), with a turn of the event loop
 * between. PGlite holds its thread (the main thread with PGLITE_THREAD=off) for a whole piece, so a
 * request's statement waits up to one piece (docs/performance.md, P8 with bucketed history).
 */
const BULK_PIECE_POINTS = 16_384;
/** Buckets per read query: 32 768 points at most. */
const BUCKETS_PER_READ = 8;

const VALUE_NULL = 0;
const VALUE_NUMBER = 1;
const VALUE_BOOLEAN = 2;
const VALUE_STRING = 3;

const SOURCE_CODE = SOURCE_CODES;
const BAD_QUALITY = QUALITIES.indexOf('bad');
// Module-local copies for the page decoder: under tsx (tests, tools, `npm run dev`) an imported
// binding is read through a getter on every use.
const QUALITY_COUNT = QUALITIES.length;
const NUMBER = KIND_NUMBER;
const TRUE = KIND_TRUE;
const FALSE = KIND_FALSE;
const STRING = KIND_STRING;
const NULL = KIND_NULL;

/** The drizzle handle the store runs on: `DatabaseHandle.db` of `openDatabase` (PGlite or node-postgres). */
export type HistoryDatabase = SqlDatabase;

export class SqlHistoryStore implements HistoryStore {
  readonly kind = 'embedded' as const;

  /** `db` is shared with the script store; whoever opened it closes it. */
  constructor(private readonly db: HistoryDatabase) {}

  async write(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = latestPerTagAndTs(records).map(rowJson);
    await this.guard('write history', async () => {
      // One transaction per call: a failed write leaves nothing half-applied, and on PGlite one
      // commit for many chunks is much cheaper than one per chunk.
      await this.db.transaction(async (tx) => {
        for (let start = 0; start < rows.length; start += WRITE_CHUNK_ROWS) {
          // The rows travel as one JSON parameter: no bind-parameter limit, and on PGlite about
          // four times faster than a multi-row VALUES list with seven parameters per row.
          const page = `[${rows.slice(start, start + WRITE_CHUNK_ROWS).join(',')}]`;
          await tx.execute(sql`
            insert into ${history} (tag, ts, value_type, value_num, value_text, quality, source, reason, script_id, script_name, script_version)
            select r->>0, (r->>1)::bigint, (r->>2)::smallint, (r->>3)::double precision, r->>4, (r->>5)::smallint, (r->>6)::smallint, r->>7,
              r->>8, r->>9, (r->>10)::integer
            from json_array_elements(${page}::json) as r
            on conflict (tag, ts) do update set
              value_type = excluded.value_type,
              value_num = excluded.value_num,
              value_text = excluded.value_text,
              quality = excluded.quality,
              source = excluded.source,
              reason = excluded.reason,
              script_id = excluded.script_id,
              script_name = excluded.script_name,
              script_version = excluded.script_version`);
        }
      });
    });
  }

  async *read(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryPoint[]> {
    yield* pointChunks(this.readColumns(tag, from, to, options));
  }

  /**
   * The points of `tag` with from <= ts <= to, column-wise, in pages of at most `chunkSize` points:
   * what `read` yields, without an object per point (the plot reads millions of them).
   */
  async *readColumns(tag: string, from: number, to: number, options: HistoryReadOptions = {}): AsyncIterable<HistoryColumns> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    // ts is a bigint column: fractional bounds are narrowed to the whole milliseconds inside them.
    for await (const page of this.unionPages(tag, Math.ceil(from), Math.floor(to), chunkSize, false, options.bulk)) yield page.columns;
  }

  /**
   * Writes `records` as time buckets: per tag, in time order, pieces of BULK_PIECE_POINTS in one
   * transaction each, with a turn of the event loop between. A piece takes the live rows at its
   * times (the later write wins) and, when it falls among existing buckets (backfill's `fill`, a
   * rewrite), merges with them, its own points winning, and writes them again.
   */
  async writeBulk(records: readonly HistoryRecord[]): Promise<number> {
    for (const [tag, points] of pointsByTag(records)) {
      for (let start = 0; start < points.length; start += BULK_PIECE_POINTS) {
        await this.writeBuckets(tag, points.slice(start, start + BULK_PIECE_POINTS));
        // Let requests and the bus in between pieces (PGlite's thread, or this one when PGLITE_THREAD=off).
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return records.length;
  }

  /**
   * Column batches as buckets, as `writeBulk` writes records. The pieces of different tags that fit
   * one piece together (a backfill chunk's outputs) go in one statement when no bucket is in their
   * way: PGlite's fixed cost per statement is paid once per chunk, not once per output.
   */
  async writeBulkColumns(batches: readonly HistoryColumnBatch[]): Promise<number> {
    let written = 0;
    let together: BulkPiece[] = [];
    const flush = async () => {
      const pieces = together;
      together = [];
      if (pieces.length === 0) return;
      if (pieces.length > 1 && (await this.insertPieces(pieces))) return;
      for (const piece of pieces) await this.putBuckets(piece, piece.buckets, piece.pointsOf);
    };
    for (const batch of batches) {
      if (!strictlyIncreasingWholeMs(batch)) {
        written += await this.writeBulk(recordsOfBatch(batch));
        continue;
      }
      const key = storable(batch.tag);
      for (let start = 0; start < batch.length; start += BULK_PIECE_POINTS) {
        const end = Math.min(batch.length, start + BULK_PIECE_POINTS);
        const ts = batch.ts.subarray(start, end);
        const piece: BulkPiece = {
          key,
          first: ts[0],
          last: ts[ts.length - 1],
          times: () => `{${ts.join(',')}}`,
          buckets: encodeColumnBuckets(key, batch, start, end),
          pointsOf: () => recordsOfBatch(batch).slice(start, end),
        };
        const points = together.reduce((sum, other) => sum + other.buckets.reduce((count, row) => count + row.count, 0), 0);
        const buckets = together.reduce((sum, other) => sum + other.buckets.length, 0);
        if (together.some((other) => other.key === key) || points + (end - start) > BULK_PIECE_POINTS || buckets + piece.buckets.length > INSERT_BUCKETS) {
          await flush();
          // Let requests and the bus in between statements (PGlite's thread, or this one when PGLITE_THREAD=off).
          await new Promise((resolve) => setImmediate(resolve));
        }
        together.push(piece);
      }
      written += batch.length;
    }
    await flush();
    await new Promise((resolve) => setImmediate(resolve));
    return written;
  }

  /**
   * Pieces of different tags in one statement, where no bucket of theirs is yet (a backfill after
   * `replace`): it takes the live rows at their times and inserts their buckets, or, when any bucket
   * is in the way, does nothing and answers false (each piece then goes its own way).
   */
  private async insertPieces(pieces: readonly BulkPiece[]): Promise<boolean> {
    const buckets = pieces.flatMap((piece) => piece.buckets);
    const free = sql.join(
      pieces.map((piece) => sql`not exists (select 1 from ${historyBuckets} where ${overlapping(piece.key, piece.first, piece.last)})`),
      sql` and `,
    );
    const live = await this.withLiveRows(pieces);
    const taken = pieces.flatMap((piece, index) => (live.has(index) ? [sql`, ${sql.raw(`taken${index}`)} as (${deleteTaken(piece)})`] : []));
    const inserted = await this.guard('write history', () =>
      this.db.execute(sql`${sql.raw(BULK_STATEMENT)} with free as (select ${free} as ok)${sql.join(taken, sql``)}
        insert into ${historyBuckets} (${BUCKET_FIELDS}) select * from (values ${bucketValues(buckets)}) as v where (select ok from free)`),
    );
    return affectedRows(inserted) === buckets.length;
  }

  /**
   * The indexes of the pieces whose [first, last] holds any live row of their tag: only those need the
   * delete of the rows at their times. That delete names every time of the piece (a 2 048-element array
   * for a backfill chunk), which PostgreSQL plans element by element (≈ 4 ms of PGlite's thread per
   * statement, docs/performance.md "P8: the reads and the profile"), while a backfill after `replace`
   * almost never meets a live row. A live row written between this probe and the insert stays beside
   * the bucket, and a read takes the row there — as it does for a live row written just after the insert.
   */
  private async withLiveRows(pieces: ReadonlyArray<Pick<BulkPiece, 'key' | 'first' | 'last'>>): Promise<Set<number>> {
    const ranges = sql.join(
      pieces.map((piece, index) => sql`select ${index}::integer as i where exists (select 1 from ${history} where tag = ${piece.key} and ts >= ${piece.first} and ts <= ${piece.last})`),
      sql` union all `,
    );
    const rows = resultRows<{ i: number }>(await this.guard('write history', () => this.db.execute(sql`${sql.raw(BULK_STATEMENT)} ${ranges}`)));
    return new Set(rows.map((row) => Number(row.i)));
  }

  /** One piece of a tag's points (strictly increasing whole-millisecond ts) in one transaction. */
  private async writeBuckets(tag: string, points: readonly HistoryRecord[]): Promise<void> {
    const key = storable(tag);
    const times = () => `{${points.map((point) => point.ts).join(',')}}`;
    await this.putBuckets({ key, first: points[0].ts, last: points[points.length - 1].ts, times }, encodeBuckets(key, points), () => points);
  }

  /** A piece's buckets: inserted where none is yet, else merged with the buckets they overlap. */
  private async putBuckets(piece: Pick<BulkPiece, 'key' | 'first' | 'last' | 'times'>, buckets: BucketRow[], pointsOf: () => readonly HistoryRecord[]): Promise<void> {
    const { key, first, last } = piece;
    if (buckets.length <= INSERT_BUCKETS) {
      // Where no bucket is yet (a backfill after `replace`, a seed): one statement that takes the live
      // rows at these times and inserts the buckets, no transaction holding PGlite's one connection
      // across round trips, marked as bulk (PGlite's thread serves requests' statements first). It
      // inserts nothing when a bucket overlaps: then the merge below.
      const taken = (await this.withLiveRows([piece])).size > 0 ? sql`, taken as (${deleteTaken(piece)})` : sql``;
      const inserted = await this.guard('write history', () =>
        this.db.execute(sql`${sql.raw(BULK_STATEMENT)} with free as (select not exists (select 1 from ${historyBuckets} where ${overlapping(key, first, last)}) as ok)${taken}
          insert into ${historyBuckets} (${BUCKET_FIELDS}) select * from (values ${bucketValues(buckets)}) as v where (select ok from free)`),
      );
      if (affectedRows(inserted) === buckets.length) return;
    }
    await this.guard('write history', () =>
      this.db.transaction(async (tx) => {
        await tx.execute(sql`delete from ${history} where tag = ${key} and ts >= ${first} and ts <= ${last} and ts = any(${piece.times()}::bigint[])`);
        const existing = await selectBuckets(tx, key, first, last);
        if (existing.length === 0) return insertBuckets(tx, buckets);
        await deleteBuckets(tx, key, existing);
        await insertBuckets(tx, encodeBuckets(key, mergePoints(existing.flatMap((row) => bucketRecords(decodeBucket(row))), pointsOf())));
      }),
    );
  }

  readRows(tags: readonly string[], from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryRow[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    return mergeRowStreams(
      tags.map((tag) => this.readTagRows(tag, from, to, chunkSize)),
      chunkSize,
    );
  }

  async *readTimestamps(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<number[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    for await (const page of this.halfOpenPages(tag, from, to, chunkSize, false)) yield Array.from(page.columns.ts.subarray(0, page.columns.length));
  }

  async deleteRange(tag: string, from: number, to: number): Promise<number> {
    // A point both layouts hold (a live write over a bulk-written one) counts once.
    let deleted = -(await this.countInBoth(tag, Math.ceil(from), Math.ceil(to) - 1));
    for (;;) {
      // In batches, like prune: one DELETE of months of 1 s data would hold PGlite for seconds.
      const result = await this.guard('delete history', () =>
        this.db.execute(
          sql`delete from ${history} where ctid = any(array(select ctid from ${history} where tag = ${tag} and ts >= ${Math.ceil(from)} and ts < ${Math.ceil(to)} limit ${PRUNE_BATCH_ROWS}))`,
        ),
      );
      const count = affectedRows(result);
      deleted += count;
      if (count < PRUNE_BATCH_ROWS) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    return deleted + (await this.guard('delete history', () => this.db.transaction((tx) => removeFromBuckets(tx, tag, Math.ceil(from), Math.ceil(to)))));
  }

  /** How many ts in [first, last] of `tag` both a live row and a bucket hold (a walk of both, in order). */
  private async countInBoth(tag: string, first: number, last: number): Promise<number> {
    if (!(first <= last)) return 0;
    const rows = new PageCursor(this.rowPages(tag, first, last, DEFAULT_READ_CHUNK, false));
    const buckets = new PageCursor(this.bucketPages(tag, first, last, false));
    let both = 0;
    try {
      while ((rows.has() || (await rows.next())) && (buckets.has() || (await buckets.next()))) {
        const rowTs = rows.ts();
        const bucketTs = buckets.ts();
        if (rowTs <= bucketTs) rows.skip();
        if (bucketTs <= rowTs) buckets.skip();
        if (rowTs === bucketTs) both++;
      }
    } finally {
      await Promise.all([rows.close(), buckets.close()]);
    }
    return both;
  }

  /**
   * One index probe per grid time (the (tag, ts) key walked backwards from t, at most one row), the
   * rows found read as one page with their lineage: a 7-day export at 1 min reads 10 080 points of a
   * tag instead of 604 800.
   */
  async *readLastPerStep(tag: string, from: number, to: number, grid: { first: number; step: number }, options: { chunkSize?: number } = {}): AsyncIterable<HistoryRow[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    const step = Math.max(1, Math.round(grid.step));
    const first = Math.ceil(from);
    const end = Math.ceil(to);
    // The first grid time whose interval (t − step, t] reaches `from`, then chunkSize grid times a query.
    let time = grid.first + Math.max(0, Math.ceil((first - grid.first - step + 1) / step)) * step;
    // The last grid time whose interval reaches below `to`.
    const lastTime = time + Math.floor((end + step - 2 - time) / step) * step;
    // The buckets are read point by point (cheap: packed arrays), the live rows probed per grid time.
    const bucketPoints = new PageCursor(this.bucketPages(tag, first, end - 1, true));
    try {
      while (time <= lastTime) {
        const last = Math.min(lastTime, time + (chunkSize - 1) * step);
        const times = sql`select (select h.ts from ${history} h where h.tag = ${tag} and h.ts <= least(g.t, ${end - 1}) and h.ts > g.t - ${step} and h.ts >= ${first}
            order by h.ts desc limit 1) as ts from generate_series(${time}::bigint, ${last}::bigint, ${step}::bigint) as g(t)`;
        const live = await this.selectPageWithExtras(sql`tag = ${tag} and ts = any(array(${times})) order by ts asc`, true);
        const interval = (ts: number) => Math.ceil((ts - time) / step);
        // The bucket points' last of each interval (t − step, t] of this query's grid times.
        const bucketed: Page = { columns: emptyColumns(Math.round((last - time) / step) + 1), extras: [] };
        let previous: number | null = null;
        while ((bucketPoints.has() || (await bucketPoints.next())) && bucketPoints.ts() <= Math.min(last, end - 1)) {
          const ts = bucketPoints.ts();
          if (previous !== null && interval(previous) === interval(ts)) {
            bucketed.columns.length--;
            if (bucketed.extras.at(-1)?.[0] === previous) bucketed.extras.pop();
          }
          bucketPoints.copyTo(bucketed, true);
          previous = ts;
        }
        // Per interval, the later of the two (the row on a tie).
        const rows = PageCursor.of(live);
        const buckets = PageCursor.of(bucketed);
        const out: Page = { columns: emptyColumns(live.columns.length + bucketed.columns.length), extras: [] };
        while (rows.has() || buckets.has()) {
          if (!buckets.has()) rows.copyTo(out, true);
          else if (!rows.has()) buckets.copyTo(out, true);
          else if (interval(rows.ts()) < interval(buckets.ts())) rows.copyTo(out, true);
          else if (interval(buckets.ts()) < interval(rows.ts())) buckets.copyTo(out, true);
          else {
            const later = buckets.ts() > rows.ts() ? buckets : rows;
            (later === rows ? buckets : rows).skip();
            later.copyTo(out, true);
          }
        }
        yield this.rowsOf(tag, out);
        time = last + step;
      }
    } finally {
      await bucketPoints.close();
    }
  }

  /** One tag's rows in [from, to), with source, reason and lineage, in pages of `chunkSize`. */
  private async *readTagRows(tag: string, from: number, to: number, chunkSize: number): AsyncIterable<HistoryRow[]> {
    for await (const page of this.halfOpenPages(tag, from, to, chunkSize, true)) yield this.rowsOf(tag, page);
  }

  /** A page read with its lineage as rows. */
  private rowsOf(tag: string, { columns, extras }: { columns: HistoryColumns; extras: LineageExtra[] }): HistoryRow[] {
    const rows: HistoryRow[] = new Array(columns.length);
    for (let index = 0; index < columns.length; index++) {
      rows[index] = { tag, ts: columns.ts[index], value: valueAt(columns, index), quality: qualityOf(columns.quality[index]), source: 'raw' };
    }
    let at = 0;
    for (const [ts, source, scriptId, scriptName, scriptVersion, reason] of extras) {
      while (at < rows.length && rows[at].ts < ts) at++;
      const row = rows[at];
      if (row?.ts !== ts) continue;
      if (source === SOURCE_CODE.script) row.source = 'script';
      if (scriptId !== null) row.script = { id: scriptId, name: scriptName ?? '', version: scriptVersion ?? 0 };
      if (isValueReason(reason)) row.reason = reason;
    }
    return rows;
  }

  /** Pages of `tag` with from <= ts < to; with `lineage`, the extras of the points that have any. */
  private halfOpenPages(tag: string, from: number, to: number, chunkSize: number, lineage: boolean): AsyncIterable<Page> {
    return this.unionPages(tag, Math.ceil(from), Math.ceil(to) - 1, chunkSize, lineage);
  }

  /**
   * Pages of `chunkSize` points of `tag` with first <= ts <= last, from both layouts merged in time
   * order; at a ts held by both (never left by writeBulk), the row's point and not the bucket's.
   */
  private async *unionPages(tag: string, first: number, last: number, chunkSize: number, lineage: boolean, bulk = false): AsyncIterable<Page> {
    if (!(first <= last)) return;
    const rows = new PageCursor(this.rowPages(tag, first, last, chunkSize, lineage));
    const buckets = new PageCursor(this.bucketPages(tag, first, last, lineage, bulk));
    let out: Page = { columns: emptyColumns(chunkSize), extras: [] };
    try {
      for (;;) {
        const haveRow = rows.has() || (await rows.next());
        const haveBucket = buckets.has() || (await buckets.next());
        if (!haveRow && !haveBucket) break;
        // Runs from one side while the other has nothing earlier (most pages: all from one side).
        const rowTs = haveRow ? rows.ts() : Infinity;
        const bucketTs = haveBucket ? buckets.ts() : Infinity;
        if (rowTs === bucketTs) {
          buckets.skip();
          continue;
        }
        const from = rowTs < bucketTs ? rows : buckets;
        const bound = rowTs < bucketTs ? bucketTs : rowTs;
        while (out.columns.length < chunkSize && from.has() && from.ts() < bound) from.copyTo(out, lineage);
        if (out.columns.length === chunkSize) {
          yield out;
          out = { columns: emptyColumns(chunkSize), extras: [] };
        }
      }
      if (out.columns.length > 0) yield out;
    } finally {
      await Promise.all([rows.close(), buckets.close()]);
    }
  }

  /** Keyset pages of the live rows of `tag` with first <= ts <= last (an index range scan each). */
  private async *rowPages(tag: string, first: number, last: number, chunkSize: number, lineage: boolean): AsyncIterable<Page> {
    let lowerBound = sql`ts >= ${first}`;
    for (;;) {
      const { columns, extras } = await this.selectPageWithExtras(sql`tag = ${tag} and ${lowerBound} and ts <= ${last} order by ts asc limit ${chunkSize}`, lineage);
      if (columns.length === 0) return;
      yield { columns, extras };
      if (columns.length < chunkSize) return;
      lowerBound = sql`ts > ${columns.ts[columns.length - 1]}`;
    }
  }

  /** The buckets of `tag` that hold points in [first, last], each a page cut to that range. */
  private async *bucketPages(tag: string, first: number, last: number, lineage: boolean, bulk = false): AsyncIterable<Page> {
    let after: number | null = null;
    for (;;) {
      const rows: BucketRow[] = await this.guard('read history', () => selectBuckets(this.db, tag, first, last, { after, limit: BUCKETS_PER_READ, bulk }));
      for (const row of rows) {
        const page = bucketPage(decodeBucket(row), first, last, lineage);
        if (page.columns.length > 0) yield page;
      }
      if (rows.length < BUCKETS_PER_READ) return;
      after = Number(rows[rows.length - 1].start);
    }
  }

  async readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null> {
    const at = Math.floor(ts);
    const page = await this.selectPage(sql`tag = ${tag} and ts <= ${at} order by ts desc limit 1`);
    const row = page.length === 0 ? null : pointsFromColumns(page)[0];
    // The bucket that starts last at or before `at` holds the buckets' last point at or before it.
    const [bucketRow] = await this.guard('read history', () => selectBuckets(this.db, tag, -Infinity, at, { latest: true }));
    if (!bucketRow) return row;
    const bucket = decodeBucket(bucketRow);
    const index = firstIndexAtOrAfter(bucket.columns, at + 1) - 1;
    if (index < 0 || (row && row.ts >= bucket.columns.ts[index])) return row;
    return { ts: bucket.columns.ts[index], value: valueAt(bucket.columns, index), quality: qualityOf(bucket.columns.quality[index]) };
  }

  async prune(before: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      // ctid = ANY(ARRAY(...)) is a TID scan: each batch touches only the rows it deletes (found
      // through the history_ts index), where one DELETE of millions of rows would hold the single
      // PGlite connection for seconds.
      const result = await this.guard('prune history', () =>
        this.db.execute(
          sql`delete from ${history} where ctid = any(array(select ctid from ${history} where ts < ${Math.ceil(before)} limit ${PRUNE_BATCH_ROWS}))`,
        ),
      );
      const count = affectedRows(result);
      deleted += count;
      if (count < PRUNE_BATCH_ROWS) break;
    }
    deleted += await this.guard('prune history', () => this.db.transaction((tx) => removeFromBuckets(tx, null, -Infinity, Math.ceil(before))));
    // PGlite runs no autovacuum: without this the space of pruned rows is never reused and the
    // embedded database grows without bound. On PostgreSQL it is what autovacuum would do anyway.
    // Housekeeping only: the rows are gone whether or not it succeeds, and the next prune retries it.
    if (deleted > 0) await this.db.execute(sql`vacuum (analyze) ${history}, ${historyBuckets}`).catch(() => undefined);
    return deleted;
  }

  async ping(): Promise<void> {
    await this.guard('reach the database', () => this.db.execute(sql`select 1`));
  }

  /** The database handle belongs to whoever opened it (it is shared with the script store). */
  async close(): Promise<void> {}

  /**
   * One page in a single row, column by column: each column is one array aggregated in the database
   * and sent in PostgreSQL's binary array format (`array_send`) as base64 text, which Node decodes
   * natively; strings (rare) come as one JSON array. Drivers decode a result row by row in
   * JavaScript (PGlite at ~20 µs a row), and a JSON page of row arrays still costs an object per
   * point; this costs a few typed-array writes per point (see decodeColumnPage).
   *
   * The page is read in a transaction with sorting disabled, so that it always walks the (tag, ts)
   * index in order and stops at the limit. Without statistics (PGlite has no autovacuum, so a table
   * is never analyzed) the planner believes a tag has a handful of rows and prefers a bitmap scan of
   * the whole remaining range plus a sort: every page would then cost as much as the rest of the range.
   * The aggregates' own `order by ts` use that order (PostgreSQL 16 and later sort nothing again).
   */
  private async selectPage(condition: SQL): Promise<HistoryColumns> {
    return (await this.selectPageWithExtras(condition, false)).columns;
  }

  /**
   * selectPage, and with `lineage` one more column: [ts, source, script_id, script_name,
   * script_version, reason] as JSON for only the points that are not plain raw values (raw tags,
   * most of history, cost nothing more).
   */
  private async selectPageWithExtras(condition: SQL, lineage: boolean): Promise<{ columns: HistoryColumns; extras: LineageExtra[] }> {
    const extraColumn = lineage
      ? sql`, (json_agg(json_build_array(ts, source, script_id, script_name, script_version, reason) order by ts)
            filter (where source <> 0 or script_id is not null or reason is not null))::text as extras`
      : sql``;
    const extraFields = lineage ? sql`, source, script_id, script_name, script_version, reason` : sql``;
    const result = await this.guard('read history', () =>
      this.db.transaction(async (tx) => {
        // Both settings in one statement: a statement costs a round trip into PGlite.
        await tx.execute(sql`select set_config('enable_sort', 'off', true), set_config('enable_bitmapscan', 'off', true)`);
        return tx.execute(sql`
          select count(*)::int as n,
            encode(array_send(array_agg(ts order by ts)), 'base64') as ts,
            encode(array_send(array_agg((value_type * 256 + quality)::smallint order by ts)), 'base64') as tq,
            encode(array_send(array_agg(value_num order by ts)), 'base64') as num,
            (json_agg(value_text order by ts) filter (where value_type = ${VALUE_STRING}))::text as texts${extraColumn}
          from (select ts, value_type, value_num, value_text, quality${extraFields} from ${history} where ${condition}) as selected`);
      }),
    );
    const row = (result as unknown as { rows: (ColumnPageRow & { extras?: string | null })[] }).rows[0];
    if (!row) return { columns: emptyColumns(0), extras: [] };
    return { columns: decodeColumnPage(row), extras: row.extras ? (JSON.parse(row.extras) as LineageExtra[]) : [] };
  }

  /** Driver errors become ours: OperationalError('database') when it cannot be reached, UnexpectedError otherwise. */
  private async guard<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const translated = translateDatabaseError(error);
      if (translated instanceof OperationalError) {
        throw new OperationalError('database', `could not ${action}: ${translated.message}`, { cause: error });
      }
      throw translated;
    }
  }
}

/** Writing the same (tag, ts) twice in one INSERT ... ON CONFLICT is an error in PostgreSQL: the last one wins. */
function latestPerTagAndTs(records: readonly HistoryRecord[]): readonly HistoryRecord[] {
  // The common case, each tag's times increasing (live values in order): no (tag, ts) twice, no key per record.
  const lastTs = new Map<string, number>();
  let increasing = true;
  for (const record of records) {
    const ts = Math.round(record.ts);
    const last = lastTs.get(record.tag);
    if (last !== undefined && ts <= last) {
      increasing = false;
      break;
    }
    lastTs.set(record.tag, ts);
  }
  if (increasing) return records;
  const byKey = new Map<string, HistoryRecord>();
  for (const record of records) byKey.set(`${Math.round(record.ts)}\u0000${record.tag}`, record);
  return byKey.size === records.length ? records : [...byKey.values()];
}

/** [ts, source, script_id, script_name, script_version, reason] of a point read with its lineage. */
type LineageExtra = [number, number, string | null, string | null, number | null, string | null];

// PostgreSQL text cannot hold NUL, and JSON carrying unpaired UTF-16 surrogates is refused: such
// characters (possible in a script's string output) become U+FFFD rather than block the writer (`storable`).

/**
 * One written row as JSON text, written directly (the live writer's rows: two per value):
 * [tag, ts, value_type, value_num, value_text, quality, source, reason] and, with lineage,
 * [script_id, script_name, script_version]. Each tag's opening and each lineage's closing part is
 * made once and kept (bounded).
 */
function rowJson(record: HistoryRecord): string {
  let head = rowHeads.get(record.tag);
  if (head === undefined) {
    if (rowHeads.size >= ROW_TEXT_CACHE) rowHeads.clear();
    head = `[${JSON.stringify(storable(record.tag))},`;
    rowHeads.set(record.tag, head);
  }
  const value = record.value;
  // Whole milliseconds, as InfluxDB keeps them (precision=ms).
  const ts = Math.round(record.ts);
  let typed: string;
  if (value === null) typed = `${VALUE_NULL},null,null`;
  // JSON has no NaN or Infinity; PostgreSQL reads them from their text form.
  else if (typeof value === 'number') typed = Number.isFinite(value) ? `${VALUE_NUMBER},${JSON.stringify(value)},null` : `${VALUE_NUMBER},"${String(value)}",null`;
  else if (typeof value === 'boolean') typed = `${VALUE_BOOLEAN},${value ? 1 : 0},null`;
  else typed = `${VALUE_STRING},null,${JSON.stringify(storable(value))}`;
  const reason = record.reason === undefined ? 'null' : JSON.stringify(record.reason);
  const script = record.script;
  // Rows without lineage (raw values, most of history) leave the last three out: r->>8 reads as null.
  let tail = '';
  if (script) {
    tail = lineageTails.get(script) ?? '';
    if (tail === '') {
      tail = `,${JSON.stringify(storable(script.id))},${JSON.stringify(storable(script.name))},${JSON.stringify(script.version)}`;
      lineageTails.set(script, tail);
    }
  }
  return `${head}${ts},${typed},${qualityCode(record.quality)},${SOURCE_CODE[record.source]},${reason}${tail}]`;
}

/** Tags whose row opening is kept (`rowJson`); the cache starts over past this many. */
const ROW_TEXT_CACHE = 100_000;
const rowHeads = new Map<string, string>();
/** Lineage objects are shared by a script's outputs (and never changed): their row part, kept while they live. */
const lineageTails = new WeakMap<object, string>();

/** The row of a page query: its point count and its columns (base64 of `array_send`, strings as JSON). */
export interface ColumnPageRow {
  n: number | string;
  ts: string | null;
  tq: string | null;
  num: string | null;
  texts: string | null;
}

/**
 * Decodes a page: `ts` (bigint[]), `tq` (smallint[] of value_type * 256 + quality) and `num`
 * (double precision[]) in PostgreSQL's binary array format, `texts` the value_text of the string
 * points in order. Throws when the columns disagree (a page is all or nothing).
 */
export function decodeColumnPage(row: ColumnPageRow): HistoryColumns {
  const n = Number(row.n);
  const columns = emptyColumns(n);
  if (n === 0) return columns;
  const ts = binaryArray(row.ts, n, 8);
  const tq = binaryArray(row.tq, n, 2);
  const num = binaryArray(row.num, n, 8);
  const texts = row.texts ? (JSON.parse(row.texts) as Array<string | null>) : [];
  let nextText = 0;
  let previous = -Infinity;
  for (let index = 0; index < n; index++) {
    // Each element is its length (4 bytes) then its bytes, big-endian; ts and tq have no NULLs.
    if (ts.view.getInt32(ts.at) !== 8 || tq.view.getInt32(tq.at) !== 2) throw malformedPage('an element of ts or tq');
    // A bigint as two halves: whole milliseconds are far below 2^53.
    const at = ts.view.getInt32(ts.at + 4) * 4_294_967_296 + ts.view.getUint32(ts.at + 8);
    ts.at += 12;
    // Keyset pagination goes on from the last ts: a page out of order could loop forever.
    if (!(at > previous)) throw malformedPage('ts is not in ascending order');
    columns.ts[index] = previous = at;
    const code = tq.view.getInt16(tq.at + 4);
    tq.at += 6;
    const quality = code & 0xff;
    columns.quality[index] = quality < QUALITY_COUNT ? quality : BAD_QUALITY;
    const length = num.view.getInt32(num.at);
    const value = length < 0 ? null : num.view.getFloat64(num.at + 4);
    num.at += length < 0 ? 4 : 12;
    switch (code >> 8) {
      case VALUE_NUMBER:
        if (value === null) break;
        columns.kind[index] = NUMBER;
        columns.num[index] = value;
        continue;
      case VALUE_BOOLEAN:
        if (value === null) break;
        columns.kind[index] = value !== 0 ? TRUE : FALSE;
        continue;
      case VALUE_STRING: {
        if (nextText >= texts.length) throw malformedPage('fewer texts than string points');
        const text = texts[nextText++];
        if (text === null) break;
        columns.kind[index] = STRING;
        columns.num[index] = columns.texts.length;
        columns.texts.push(text);
        continue;
      }
    }
    columns.kind[index] = NULL;
  }
  if (num.at !== num.view.byteLength || nextText !== texts.length) throw malformedPage('the columns disagree on the number of points');
  columns.length = n;
  return columns;
}

/**
 * A one-dimensional array of `n` elements of at most `width` bytes in PostgreSQL's binary format:
 * ndim, has-nulls flag, element type, then (size, lower bound) of the dimension, then each element
 * as its length (-1 for NULL) and its bytes. `at` is the offset of the first element.
 */
function binaryArray(base64: string | null, n: number, width: number): { view: DataView; at: number } {
  // Node's base64 decoder skips the line breaks PostgreSQL's encode() puts every 76 characters.
  const bytes = base64 ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 20 + n * 4 || bytes.length > 20 + n * (4 + width) || view.getInt32(0) !== 1 || view.getInt32(12) !== n) {
    throw malformedPage(`a column is not an array of ${n} elements`);
  }
  return { view, at: 20 };
}

function malformedPage(what: string): UnexpectedError {
  return new UnexpectedError(`a page of history read from the database is malformed: ${what}`);
}

function qualityCode(quality: Quality): number {
  const code = QUALITIES.indexOf(quality);
  return code < 0 ? QUALITIES.indexOf('bad') : code;
}

/** node-postgres answers `rowCount`, PGlite `affectedRows`. */
function affectedRows(result: unknown): number {
  const shaped = result as { rowCount?: number | null; affectedRows?: number };
  return Number(shaped.rowCount ?? shaped.affectedRows ?? 0);
}

/** A page of one tag's points and the lineage extras of those that have any, in ts order. */
interface Page {
  columns: HistoryColumns;
  extras: LineageExtra[];
}

/** Walks the points of a stream of pages, one at a time: the merge of the two layouts. */
class PageCursor {
  private page: Page | null = null;
  private at = 0;
  private extraAt = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Page> | null;

  constructor(pages: AsyncIterable<Page> | null) {
    this.iterator = pages ? pages[Symbol.asyncIterator]() : null;
    this.done = pages === null;
  }

  /** A cursor over one page already read. */
  static of(page: Page): PageCursor {
    const cursor = new PageCursor(null);
    cursor.page = page;
    return cursor;
  }

  /** Whether a point is at hand (without reading). */
  has(): boolean {
    return this.page !== null && this.at < this.page.columns.length;
  }

  /** Reads pages until one has a point; false at the end. */
  async next(): Promise<boolean> {
    while (!this.done && this.iterator) {
      const result = await this.iterator.next();
      if (result.done) break;
      this.page = result.value;
      this.at = 0;
      this.extraAt = 0;
      if (this.has()) return true;
    }
    this.done = true;
    this.page = null;
    return false;
  }

  ts(): number {
    return this.page!.columns.ts[this.at];
  }

  skip(): void {
    this.at++;
  }

  /** Appends the point at hand (and its extras with `lineage`) to `out`, and moves on. */
  copyTo(out: Page, lineage: boolean): void {
    const page = this.page!;
    const ts = page.columns.ts[this.at];
    copyPoint(page.columns, this.at, out.columns, out.columns.length);
    if (lineage) {
      const extras = page.extras;
      while (this.extraAt < extras.length && extras[this.extraAt][0] < ts) this.extraAt++;
      if (this.extraAt < extras.length && extras[this.extraAt][0] === ts) out.extras.push(extras[this.extraAt]);
    }
    out.columns.length++;
    this.at++;
  }

  async close(): Promise<void> {
    this.done = true;
    await this.iterator?.return?.();
  }
}

/** The points of a bucket in [first, last] as a page (a view when the bucket lies inside). */
function bucketPage(bucket: Bucket, first: number, last: number, lineage: boolean): Page {
  const all = bucket.columns;
  const begin = firstIndexAtOrAfter(all, first);
  const end = firstIndexAtOrAfter(all, last + 1);
  const columns: HistoryColumns =
    begin === 0 && end === all.length
      ? all
      : { length: Math.max(0, end - begin), ts: all.ts.subarray(begin, end), kind: all.kind.subarray(begin, end), num: all.num.subarray(begin, end), quality: all.quality.subarray(begin, end), texts: all.texts };
  const extras: LineageExtra[] = [];
  if (lineage && (bucket.runs.some((run) => run.script || run.source !== 'raw') || bucket.reasons.size > 0)) {
    forEachRun(bucket, begin, end, (index, { source, script }) => {
      const reason = bucket.reasons.get(index) ?? null;
      if (script || source !== 'raw' || reason !== null) extras.push([all.ts[index], SOURCE_CODES[source], script?.id ?? null, script?.name ?? null, script?.version ?? null, reason]);
    });
  }
  return { columns, extras };
}

/** A bucket's columns as they travel: binary ones as base64 text. */
const BUCKET_COLUMNS = sql`tag, bucket_start as start, bucket_end as "end", count, encode(ts, 'base64') as ts, encode(num, 'base64') as "values",
  encode(kinds, 'base64') as kinds, encode(qualities, 'base64') as qualities, texts, reasons, source,
  script_id as "scriptId", script_name as "scriptName", script_version as "scriptVersion", lineage`;

type SqlExecutor = Pick<HistoryDatabase, 'execute'>;

function resultRows<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

/**
 * The buckets of `tag` holding points in [first, last], in time order: from the one that starts last
 * at or before `first` (an index probe: buckets of a tag never overlap). `after`: only those starting
 * after it; `limit`: at most that many; `latest`: the one bucket that starts last at or before `last`.
 */
async function selectBuckets(
  db: SqlExecutor,
  tag: string,
  first: number,
  last: number,
  options: { after?: number | null; limit?: number; latest?: boolean; bulk?: boolean } = {},
): Promise<BucketRow[]> {
  let where: SQL;
  if (options.latest) {
    where = sql`tag = ${tag} and bucket_start <= ${last} order by bucket_start desc limit 1`;
  } else {
    const limit = options.limit ? sql` limit ${options.limit}` : sql``;
    where =
      options.after !== undefined && options.after !== null
        ? sql`tag = ${tag} and bucket_start > ${options.after} and bucket_start <= ${last} and bucket_end >= ${first} order by bucket_start${limit}`
        : sql`${overlapping(tag, first, last)} order by bucket_start${limit}`;
  }
  // `bulk` (a backfill's read, never inside a transaction): PGlite's thread serves requests' statements first.
  const mark = sql.raw(options.bulk ? BULK_STATEMENT : '');
  return resultRows<BucketRow>(await db.execute(sql`${mark}select ${BUCKET_COLUMNS} from ${historyBuckets} where ${where}`));
}

/** A piece of one tag's points for writeBulkColumns: its buckets, and its records for a merge. */
interface BulkPiece {
  key: string;
  first: number;
  last: number;
  /** The piece's times as a PostgreSQL array literal (built only when live rows are in its range). */
  times: () => string;
  buckets: BucketRow[];
  pointsOf: () => readonly HistoryRecord[];
}

/** The CTE body that deletes the live rows of a piece's tag at the piece's times (when `free` allows the insert). */
function deleteTaken(piece: Pick<BulkPiece, 'key' | 'first' | 'last' | 'times'>): SQL {
  return sql`delete from ${history} where (select ok from free) and tag = ${piece.key} and ts >= ${piece.first} and ts <= ${piece.last} and ts = any(${piece.times()}::bigint[])`;
}

/** Buckets per INSERT: 15 parameters each, far below PostgreSQL's 65 535. */
const INSERT_BUCKETS = 256;

async function insertBuckets(db: SqlExecutor, rows: readonly BucketRow[]): Promise<void> {
  for (let start = 0; start < rows.length; start += INSERT_BUCKETS) await insertBucketRows(db, rows.slice(start, start + INSERT_BUCKETS));
}

/** The condition of the buckets of `tag` with points in [first, last]: an index probe for the first (buckets never overlap). */
function overlapping(tag: string, first: number, last: number): SQL {
  return sql`tag = ${tag} and bucket_start >= coalesce((select max(bucket_start) from ${historyBuckets} where tag = ${tag} and bucket_start <= ${first}), ${first})
    and bucket_start <= ${last} and bucket_end >= ${first}`;
}

const BUCKET_FIELDS = sql.raw('tag, bucket_start, bucket_end, count, ts, num, kinds, qualities, texts, reasons, source, script_id, script_name, script_version, lineage');

/** The rows of a VALUES list of buckets, typed (they are also selected from, not only inserted). */
function bucketValues(rows: readonly BucketRow[]): SQL {
  const values = rows.map(
    (row) => sql`(${row.tag}::text, ${row.start}::bigint, ${row.end}::bigint, ${row.count}::integer, decode(${row.ts}, 'base64'), decode(${row.values}, 'base64'),
      decode(${row.kinds}, 'base64'), decode(${row.qualities}, 'base64'), ${row.texts}::text, ${row.reasons}::text, ${row.source}::smallint, ${row.scriptId}::text,
      ${row.scriptName}::text, ${row.scriptVersion}::integer, ${row.lineage}::text)`,
  );
  return sql.join(values, sql`, `);
}

async function insertBucketRows(db: SqlExecutor, rows: readonly BucketRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`insert into ${historyBuckets} (${BUCKET_FIELDS}) values ${bucketValues(rows)}`);
}

async function deleteBuckets(db: SqlExecutor, tag: string, rows: readonly BucketRow[]): Promise<void> {
  await db.execute(sql`delete from ${historyBuckets} where tag = ${tag} and bucket_start = any(${`{${rows.map((row) => Number(row.start)).join(',')}}`}::bigint[])`);
}

/**
 * Removes the bucketed points of `tag` (every tag when null) with from <= ts < end: the buckets inside
 * the range are deleted, the (at most two per tag) that cross one of its ends are written again with
 * the points outside it. Returns how many points went.
 */
async function removeFromBuckets(db: SqlExecutor, tag: string | null, from: number, end: number): Promise<number> {
  const ofTag = tag === null ? sql`true` : sql`tag = ${tag}`;
  const fromIs = Number.isFinite(from) ? sql`bucket_start >= ${from}` : sql`true`;
  const [removed] = resultRows<{ n: number | string }>(
    await db.execute(sql`with removed as (delete from ${historyBuckets} where ${ofTag} and ${fromIs} and bucket_end < ${end} returning count)
      select coalesce(sum(count), 0)::int as n from removed`),
  );
  let count = Number(removed?.n ?? 0);
  const crossing =
    tag !== null && Number.isFinite(from)
      ? await selectBuckets(db, tag, from, end - 1)
      : resultRows<BucketRow>(await db.execute(sql`select ${BUCKET_COLUMNS} from ${historyBuckets} where ${ofTag} and bucket_end >= ${end} and bucket_start < ${end}`));
  for (const row of crossing) {
    const points = bucketRecords(decodeBucket(row));
    const kept = points.filter((point) => point.ts < from || point.ts >= end);
    if (kept.length === points.length) continue;
    count += points.length - kept.length;
    await deleteBuckets(db, row.tag, [row]);
    await insertBuckets(db, encodeBuckets(row.tag, kept));
  }
  return count;
}

/** Each tag's records in strictly increasing whole-millisecond ts order, the last written of a ts kept. */
/** What the bucket encoder takes as is; anything else goes the records' way (sorted, rounded). */
function strictlyIncreasingWholeMs(batch: HistoryColumnBatch): boolean {
  for (let index = 0; index < batch.length; index++) {
    const ts = batch.ts[index];
    if (!Number.isSafeInteger(ts) || (index > 0 && !(ts > batch.ts[index - 1]))) return false;
  }
  return true;
}

function pointsByTag(records: readonly HistoryRecord[]): Map<string, HistoryRecord[]> {
  const byTag = new Map<string, HistoryRecord[]>();
  for (const record of records) {
    const ts = Math.round(record.ts);
    const point = ts === record.ts ? record : { ...record, ts };
    const tag = storable(record.tag);
    const points = byTag.get(tag);
    if (points) points.push(point);
    else byTag.set(tag, [point]);
  }
  for (const [tag, points] of byTag) {
    let ordered = true;
    for (let index = 1; index < points.length && ordered; index++) ordered = points[index].ts > points[index - 1].ts;
    if (ordered) continue;
    // A stable sort keeps the order of writing among equal ts: the last of each run wins.
    const sorted = points.map((point, index) => ({ point, index })).sort((a, b) => a.point.ts - b.point.ts || a.index - b.index).map(({ point }) => point);
    byTag.set(tag, sorted.filter((point, index) => index === sorted.length - 1 || sorted[index + 1].ts !== point.ts));
  }
  return byTag;
}

/** Two runs of points in ts order as one; at an equal ts, `added`'s point. */
function mergePoints(existing: readonly HistoryRecord[], added: readonly HistoryRecord[]): HistoryRecord[] {
  const merged: HistoryRecord[] = [];
  let at = 0;
  for (const point of added) {
    while (at < existing.length && existing[at].ts < point.ts) merged.push(existing[at++]);
    if (at < existing.length && existing[at].ts === point.ts) at++;
    merged.push(point);
  }
  while (at < existing.length) merged.push(existing[at++]);
  return merged;
}
