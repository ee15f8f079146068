import { type SQL, sql } from 'drizzle-orm';
import { history } from '../../../db/schema';
import { OperationalError } from '../../errors';
import type { HistoryPoint, HistoryRecord, HistoryStore } from '../../ports/history-store';
import { translateDatabaseError, type SqlDatabase } from '../store/open-database';
import { QUALITIES, type Quality, type TagScalar, type TagSource } from '../../tags/tag-value';

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

const VALUE_NULL = 0;
const VALUE_NUMBER = 1;
const VALUE_BOOLEAN = 2;
const VALUE_STRING = 3;

const SOURCE_CODE: Record<TagSource, number> = { raw: 0, script: 1 };

/** The drizzle handle the store runs on: `DatabaseHandle.db` of `openDatabase` (PGlite or node-postgres). */
export type HistoryDatabase = SqlDatabase;

export class SqlHistoryStore implements HistoryStore {
  readonly kind = 'embedded' as const;

  /** `db` is shared with the script store; whoever opened it closes it. */
  constructor(private readonly db: HistoryDatabase) {}

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
            insert into ${history} (tag, ts, value_type, value_num, value_text, quality, source)
            select r->>0, (r->>1)::bigint, (r->>2)::smallint, (r->>3)::double precision, r->>4, (r->>5)::smallint, (r->>6)::smallint
            from json_array_elements(${page}::json) as r
            on conflict (tag, ts) do update set
              value_type = excluded.value_type,
              value_num = excluded.value_num,
              value_text = excluded.value_text,
              quality = excluded.quality,
              source = excluded.source`);
        }
      });
    });
  }

  async *read(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryPoint[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    // ts is a bigint column: fractional bounds are narrowed to the whole milliseconds inside them.
    const first = Math.ceil(from);
    const last = Math.floor(to);
    if (!(first <= last)) return;
    // Keyset pagination over the (tag, ts) primary key: every page is an index range scan whatever
    // its depth, and memory stays at one page.
    let lowerBound = sql`ts >= ${first}`;
    for (;;) {
      const rows = await this.selectPage(sql`tag = ${tag} and ${lowerBound} and ts <= ${last} order by ts asc limit ${chunkSize}`);
      if (rows.length === 0) return;
      yield rows.map(decodePoint);
      if (rows.length < chunkSize) return;
      lowerBound = sql`ts > ${rows[rows.length - 1][0]}`;
    }
  }

  async readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null> {
    const rows = await this.selectPage(sql`tag = ${tag} and ts <= ${Math.floor(ts)} order by ts desc limit 1`);
    return rows.length === 0 ? null : decodePoint(rows[0]);
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
   * One page as a single JSON text: drivers decode a row at a time in JavaScript (PGlite at ~20 µs a
   * row), while one JSON.parse of the aggregated page is native and 5-6 times faster.
   *
   * The page is read in a transaction with sorting disabled, so that it always walks the (tag, ts)
   * index in order and stops at the limit. Without statistics (PGlite has no autovacuum, so a table
   * is never analyzed) the planner believes a tag has a handful of rows and prefers a bitmap scan of
   * the whole remaining range plus a sort: every page would then cost as much as the rest of the range.
   */
  private async selectPage(condition: SQL): Promise<EncodedPoint[]> {
    const result = await this.guard('read history', () =>
      this.db.transaction(async (tx) => {
        await tx.execute(sql`set local enable_sort = off`);
        await tx.execute(sql`set local enable_bitmapscan = off`);
        return tx.execute(sql`
          select coalesce(json_agg(json_build_array(ts, value_type, value_num, value_text, quality) order by ts)::text, '[]') as page
          from (select ts, value_type, value_num, value_text, quality from ${history} where ${condition}) as selected`);
      }),
    );
    const page = (result as unknown as { rows: { page: string }[] }).rows[0]?.page;
    return page ? (JSON.parse(page) as EncodedPoint[]) : [];
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
  const byKey = new Map<string, HistoryRecord>();
  for (const record of records) byKey.set(`${Math.round(record.ts)}\u0000${record.tag}`, record);
  return byKey.size === records.length ? records : [...byKey.values()];
}

/** [tag, ts, value_type, value_num, value_text, quality, source], the JSON shape of one written row. */
type EncodedRow = [string, number, number, number | string | null, string | null, number, number];
/** [ts, value_type, value_num, value_text, quality]; PostgreSQL writes non-finite doubles as "NaN", "Infinity". */
type EncodedPoint = [number, number, number | string | null, string | null, number];

function encodeRow(record: HistoryRecord): EncodedRow {
  const { tag, value } = record;
  // Whole milliseconds, as InfluxDB keeps them (precision=ms).
  const ts = Math.round(record.ts);
  const quality = qualityCode(record.quality);
  const source = SOURCE_CODE[record.source];
  if (value === null) return [tag, ts, VALUE_NULL, null, null, quality, source];
  if (typeof value === 'number') {
    // JSON has no NaN or Infinity; PostgreSQL reads them from their text form.
    return [tag, ts, VALUE_NUMBER, Number.isFinite(value) ? value : String(value), null, quality, source];
  }
  if (typeof value === 'boolean') return [tag, ts, VALUE_BOOLEAN, value ? 1 : 0, null, quality, source];
  return [tag, ts, VALUE_STRING, null, value, quality, source];
}

function decodePoint([ts, valueType, valueNum, valueText, quality]: EncodedPoint): HistoryPoint {
  return { ts, value: decodeValue(valueType, valueNum, valueText), quality: QUALITIES[quality] ?? 'bad' };
}

function decodeValue(valueType: number, valueNum: number | string | null, valueText: string | null): TagScalar {
  switch (valueType) {
    case VALUE_NUMBER:
      return typeof valueNum === 'string' ? Number(valueNum) : valueNum;
    case VALUE_BOOLEAN:
      return valueNum === null ? null : Number(valueNum) !== 0;
    case VALUE_STRING:
      return valueText;
    default:
      return null;
  }
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
