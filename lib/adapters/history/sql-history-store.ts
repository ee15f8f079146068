import { getTableName, type SQL, sql } from 'drizzle-orm';
import { history } from '../../../db/schema';
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
} from '../../history/history-columns';
import type { HistoryPoint, HistoryRecord, HistoryRow, HistoryStore } from '../../ports/history-store';
import { mergeRowStreams } from '../../history/merge-row-streams';
import { translateDatabaseError, type SqlDatabase } from '../store/open-database';
import { isValueReason, QUALITIES, type Quality, type TagSource } from '../../model/tag-value';

/**
 * History in the `history` table of the embedded database (PGlite) or of a real PostgreSQL: used when
 * InfluxDB is not configured. One row per (tag, ts), so a replay overwrites instead of duplicating.
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
 * Rows per write of `writeBulk`: each its own transaction (or COPY), with a turn of the event loop
 * between. PGlite holds its thread (the main thread with PGLITE_THREAD=off) for a whole piece, so a
 * request's statement waits up to one piece (docs/performance.md, P8 with PGlite in its thread).
 */
const BULK_PIECE_ROWS = 1_000;

const VALUE_NULL = 0;
const VALUE_NUMBER = 1;
const VALUE_BOOLEAN = 2;
const VALUE_STRING = 3;

const SOURCE_CODE: Record<TagSource, number> = { raw: 0, script: 1 };
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

  /** PGlite's own client when the store runs on PGlite: bulk writes go through COPY (writeBulk). */
  private readonly copyClient: PgliteCopyClient | null;

  /** `db` is shared with the script store; whoever opened it closes it. */
  constructor(private readonly db: HistoryDatabase) {
    this.copyClient = pgliteCopyClient(db);
  }

  async write(records: readonly HistoryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const rows = latestPerTagAndTs(records).map(encodeRow);
    await this.guard('write history', async () => {
      // One transaction per call: a failed write leaves nothing half-applied, and on PGlite one
      // commit for many chunks is much cheaper than one per chunk.
      await this.db.transaction(async (tx) => {
        for (let start = 0; start < rows.length; start += WRITE_CHUNK_ROWS) {
          // The rows travel as one JSON parameter: no bind-parameter limit, and on PGlite about
          // four times faster than a multi-row VALUES list with seven parameters per row.
          const page = JSON.stringify(rows.slice(start, start + WRITE_CHUNK_ROWS));
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
  async *readColumns(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryColumns> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    // ts is a bigint column: fractional bounds are narrowed to the whole milliseconds inside them.
    const first = Math.ceil(from);
    const last = Math.floor(to);
    if (!(first <= last)) return;
    // Keyset pagination over the (tag, ts) primary key: every page is an index range scan whatever
    // its depth, and memory stays at one page.
    let lowerBound = sql`ts >= ${first}`;
    for (;;) {
      const page = await this.selectPage(sql`tag = ${tag} and ${lowerBound} and ts <= ${last} order by ts asc limit ${chunkSize}`);
      if (page.length === 0) return;
      yield page;
      if (page.length < chunkSize) return;
      lowerBound = sql`ts > ${page.ts[page.length - 1]}`;
    }
  }

  async writeBulk(records: readonly HistoryRecord[]): Promise<number> {
    for (let start = 0; start < records.length; start += BULK_PIECE_ROWS) {
      const piece = records.slice(start, start + BULK_PIECE_ROWS);
      if (!(await this.copy(piece))) await this.write(piece);
      // Let requests and the bus in between pieces (PGlite's thread, or this one when PGLITE_THREAD=off).
      await new Promise((resolve) => setImmediate(resolve));
    }
    return records.length;
  }

  /**
   * On PGlite, a piece of a bulk write as one COPY (CSV from a blob): 2.5 times fewer CPU per row than
   * the INSERT of JSON rows, whose parsing is most of its cost (docs/performance.md, "P8 backfill").
   * COPY cannot overwrite: false when a point already exists (or anything else fails), and the piece
   * is written again with `write`, which overwrites (or reports the failure).
   */
  private async copy(records: readonly HistoryRecord[]): Promise<boolean> {
    if (!this.copyClient || records.length === 0) return false;
    // Rows without lineage have 8 fields of the 11 columns: the missing ones are nulls.
    const csv = latestPerTagAndTs(records)
      .map((record) => {
        const row: ReadonlyArray<string | number | null> = encodeRow(record);
        return Array.from({ length: 11 }, (_, index) => csvField(row[index])).join(',');
      })
      .join('\n');
    try {
      await this.copyClient.query(
        `copy ${getTableName(history)} (tag, ts, value_type, value_num, value_text, quality, source, reason, script_id, script_name, script_version) from '/dev/blob' with (format csv)`,
        [],
        { blob: new Blob([csv]) },
      );
      return true;
    } catch {
      return false;
    }
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
    let deleted = 0;
    for (;;) {
      // In batches, like prune: one DELETE of months of 1 s data would hold PGlite for seconds.
      const result = await this.guard('delete history', () =>
        this.db.execute(
          sql`delete from ${history} where ctid = any(array(select ctid from ${history} where tag = ${tag} and ts >= ${Math.ceil(from)} and ts < ${Math.ceil(to)} limit ${PRUNE_BATCH_ROWS}))`,
        ),
      );
      const count = affectedRows(result);
      deleted += count;
      if (count < PRUNE_BATCH_ROWS) return deleted;
      await new Promise((resolve) => setImmediate(resolve));
    }
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
    while (time <= lastTime) {
      const last = Math.min(lastTime, time + (chunkSize - 1) * step);
      const times = sql`select (select h.ts from ${history} h where h.tag = ${tag} and h.ts <= least(g.t, ${end - 1}) and h.ts > g.t - ${step} and h.ts >= ${first}
          order by h.ts desc limit 1) as ts from generate_series(${time}::bigint, ${last}::bigint, ${step}::bigint) as g(t)`;
      yield this.rowsOf(tag, await this.selectPageWithExtras(sql`tag = ${tag} and ts = any(array(${times})) order by ts asc`, true));
      time = last + step;
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

  /** Keyset pages of `tag` with from <= ts < to; with `lineage`, the extras of the points that have any. */
  private async *halfOpenPages(tag: string, from: number, to: number, chunkSize: number, lineage: boolean): AsyncIterable<{ columns: HistoryColumns; extras: LineageExtra[] }> {
    const first = Math.ceil(from);
    const end = Math.ceil(to);
    let lowerBound = sql`ts >= ${first}`;
    while (first < end) {
      const { columns, extras } = await this.selectPageWithExtras(sql`tag = ${tag} and ${lowerBound} and ts < ${end} order by ts asc limit ${chunkSize}`, lineage);
      if (columns.length === 0) return;
      yield { columns, extras };
      if (columns.length < chunkSize) return;
      lowerBound = sql`ts > ${columns.ts[columns.length - 1]}`;
    }
  }

  async readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null> {
    const page = await this.selectPage(sql`tag = ${tag} and ts <= ${Math.floor(ts)} order by ts desc limit 1`);
    return page.length === 0 ? null : pointsFromColumns(page)[0];
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
    // PGlite runs no autovacuum: without this the space of pruned rows is never reused and the
    // embedded database grows without bound. On PostgreSQL it is what autovacuum would do anyway.
    // Housekeeping only: the rows are gone whether or not it succeeds, and the next prune retries it.
    if (deleted > 0) await this.db.execute(sql`vacuum (analyze) ${history}`).catch(() => undefined);
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

/** What writeBulk needs of PGlite's client (found on the drizzle handle as `$client`). */
interface PgliteCopyClient {
  query(text: string, params: unknown[], options: { blob: Blob }): Promise<unknown>;
}

/** PGlite's client behind a drizzle handle, or null on node-postgres (no COPY from a blob there). */
function pgliteCopyClient(db: HistoryDatabase): PgliteCopyClient | null {
  const client = (db as { $client?: { query?: unknown; dumpDataDir?: unknown } }).$client;
  return client && typeof client.query === 'function' && typeof client.dumpDataDir === 'function' ? (client as PgliteCopyClient) : null;
}

/** One field of a COPY CSV line: null unquoted and empty, text quoted (so '' stays an empty string). */
function csvField(field: string | number | null | undefined): string {
  if (field === null || field === undefined) return '';
  if (typeof field === 'number') return String(field);
  return `"${field.replace(/"/g, '""')}"`;
}

/** Writing the same (tag, ts) twice in one INSERT ... ON CONFLICT is an error in PostgreSQL: the last one wins. */
function latestPerTagAndTs(records: readonly HistoryRecord[]): readonly HistoryRecord[] {
  const byKey = new Map<string, HistoryRecord>();
  for (const record of records) byKey.set(`${Math.round(record.ts)}\u0000${record.tag}`, record);
  return byKey.size === records.length ? records : [...byKey.values()];
}

/** [tag, ts, value_type, value_num, value_text, quality, source, reason] and, with lineage, [script_id, script_name, script_version]: the JSON shape of one written row. */
type EncodedRow = [string, number, number, number | string | null, string | null, number, number, string | null, ...([] | [string, string, number])];

/** [ts, source, script_id, script_name, script_version, reason] of a point read with its lineage. */
type LineageExtra = [number, number, string | null, string | null, number | null, string | null];

// PostgreSQL text cannot hold NUL, and JSON carrying unpaired UTF-16 surrogates is refused: such
// characters (possible in a script's string output) become U+FFFD rather than block the writer.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const storable = (text: string) => text.replace(UNSTORABLE, '\ufffd');

function encodeRow(record: HistoryRecord): EncodedRow {
  const tag = storable(record.tag);
  const value = typeof record.value === 'string' ? storable(record.value) : record.value;
  // Whole milliseconds, as InfluxDB keeps them (precision=ms).
  const ts = Math.round(record.ts);
  const quality = qualityCode(record.quality);
  const source = SOURCE_CODE[record.source];
  const reason = record.reason ?? null;
  const script = record.script;
  // Rows without lineage (raw values, most of history) leave the last three out: r->>8 reads as null.
  const lineage = script ? ([storable(script.id), storable(script.name), script.version] as const) : ([] as const);
  if (value === null) return [tag, ts, VALUE_NULL, null, null, quality, source, reason, ...lineage];
  if (typeof value === 'number') {
    // JSON has no NaN or Infinity; PostgreSQL reads them from their text form.
    return [tag, ts, VALUE_NUMBER, Number.isFinite(value) ? value : String(value), null, quality, source, reason, ...lineage];
  }
  if (typeof value === 'boolean') return [tag, ts, VALUE_BOOLEAN, value ? 1 : 0, null, quality, source, reason, ...lineage];
  return [tag, ts, VALUE_STRING, null, value, quality, source, reason, ...lineage];
}

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
