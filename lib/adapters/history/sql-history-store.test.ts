import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError, type AppError } from '../../model/errors';
import { openDatabase, type DatabaseHandle } from '../store/open-database';
import { describeHistoryStoreContract, readAll, record } from './history-store.contract';
import { decodeColumnPage, SqlHistoryStore, type ColumnPageRow } from './sql-history-store';
import { emptyColumns, pointsFromColumns, setValue } from '../../history/history-columns';
import type { HistoryColumnBatch, HistoryRecord } from '../../ports/history-store';
import { BULK_STATEMENT } from '../store/pglite-thread-protocol';

const migrationsFolder = path.resolve(__dirname, '../../../db/migrations');
const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const HOUR = 3_600_000;

async function openInMemory(): Promise<DatabaseHandle> {
  return openDatabase({ kind: 'embedded', migrationsFolder });
}

describeHistoryStoreContract('SqlHistoryStore on PGlite in memory', async () => {
  const database = await openInMemory();
  return { store: new SqlHistoryStore(database.db), cleanup: () => database.close() };
});

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('expected the call to fail');
}

/** A store over a fresh database whose every statement's SQL is recorded (in `statements`), in order. */
function recordingStore(database: DatabaseHandle) {
  const db = database.db as unknown as { execute: (query: unknown) => Promise<unknown>; dialect: { sqlToQuery(query: unknown): { sql: string } } };
  const statements: string[] = [];
  const recording = new Proxy(db, {
    get(target, key, receiver) {
      if (key !== 'execute') return Reflect.get(target, key, receiver);
      return (query: unknown) => {
        statements.push(target.dialect.sqlToQuery(query).sql);
        return target.execute(query);
      };
    },
  });
  return { store: new SqlHistoryStore(recording as never), statements };
}

describe('SqlHistoryStore', () => {
  const opened: DatabaseHandle[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((database) => database.close()));
  });
  const open = async () => {
    const database = await openInMemory();
    opened.push(database);
    return { database, store: new SqlHistoryStore(database.db) };
  };

  it('prunes the points older than the retention limit, of every tag, and counts them', async () => {
    const { store } = await open();
    const tags = ['FT-101.PV', 'TT-201.PV', 'CALC.EFF'];
    // 8 000 points a tag, one a second; 21 000 older than the limit: more than one prune batch (20 000).
    await store.write(tags.flatMap((tag) => Array.from({ length: 8_000 }, (_, i) => record(tag, T0 + i * 1000, i, 'good'))));
    const before = T0 + 7_000 * 1000;
    expect(await store.prune(before)).toBe(21_000);
    for (const tag of tags) {
      const points = await readAll(store, tag, T0 - HOUR, T0 + 10 * HOUR);
      expect(points.length).toBe(1_000);
      expect(points[0].ts).toBe(before);
    }
    expect(await store.prune(before)).toBe(0);
  });

  it('prunes bulk-written buckets too, trimming the one that crosses the limit', async () => {
    const { store } = await open();
    await store.writeBulk(Array.from({ length: 10_000 }, (_, i) => ({ ...record('bulk.prune', T0 + i * 1000, i, 'good'), source: 'script' as const })));
    await store.write([record('bulk.prune', T0 + 20_000 * 1000, -1, 'good')]);
    // 5 000 points go: the first bucket (4 096) whole, 904 of the second.
    expect(await store.prune(T0 + 5_000 * 1000)).toBe(5_000);
    const points = await readAll(store, 'bulk.prune', T0 - HOUR, T0 + 10 * HOUR);
    expect(points.length).toBe(5_001);
    expect([points[0].ts, points[0].value, points.at(-1)?.value]).toEqual([T0 + 5_000 * 1000, 5_000, -1]);
    expect(await store.readLatestBefore('bulk.prune', T0 + 4_000 * 1000)).toBeNull();
  });

  it('stores what JSON cannot carry: NaN and infinities, and exact doubles', async () => {
    const { store } = await open();
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1 + 0.2, 2 ** 53 + 2, -Number.MIN_VALUE];
    await store.write(values.map((value, i) => record('odd.numbers', T0 + i, value, 'good')));
    expect((await readAll(store, 'odd.numbers', T0, T0 + 10)).map((p) => p.value)).toEqual(values);
  });

  it('keeps a tag name ending in a backslash (which InfluxDB cannot)', async () => {
    const { store } = await open();
    await store.write([record('ends\\', T0, 1, 'good')]);
    expect(await store.readLatestBefore('ends\\', T0)).toEqual({ ts: T0, value: 1, quality: 'good' });
  });

  it('writes in bulk as time buckets exactly what write stores as rows, and overwrites what is there', async () => {
    const { database, store } = await open();
    const count = async (table: string, tag: string) =>
      Number(((await database.db.execute(sql.raw(`select count(*)::int as n from ${table} where tag = '${tag}'`))) as unknown as { rows: Array<{ n: number }> }).rows[0].n);
    const values = ['', 'a,"b"\nc', 'back\\slash', '\\N', 'NULL', null, true, false, Number.NaN, Number.NEGATIVE_INFINITY, 0.1 + 0.2, -0, 'ünïcødé 한국'];
    const lineage = { id: 'scr-"1"', name: 'Name, with comma', version: 3 };
    const records = (tag: string, mixed: boolean): HistoryRecord[] =>
      values.map((value, i) => ({
        tag,
        ts: T0 + i * 1000,
        value,
        quality: value === null ? 'bad' : 'good',
        ...(!mixed || i % 2 === 0 ? { source: 'script' as const, script: lineage, ...(value === null ? { reason: 'error' as const } : {}) } : { source: 'raw' as const }),
      }));
    const rows = async (tag: string) => {
      const out: unknown[] = [];
      for await (const page of store.readRows([tag], T0, T0 + HOUR)) out.push(...page.map(({ tag: _tag, ...row }) => row));
      return out;
    };
    for (const mixed of [false, true]) {
      await store.write(records(`by.write.${mixed}`, mixed));
      expect(await store.writeBulk(records(`by.bulk.${mixed}`, mixed))).toBe(values.length);
      expect(await rows(`by.bulk.${mixed}`)).toEqual(await rows(`by.write.${mixed}`));
      expect((await rows(`by.bulk.${mixed}`)).length).toBe(values.length);
    }
    // One bucket row for all 13 points, whether the lineage changes from point to point or not.
    expect([await count('history_buckets', 'by.bulk.false'), await count('history', 'by.bulk.false')]).toEqual([1, 0]);
    expect([await count('history_buckets', 'by.bulk.true'), await count('history', 'by.write.true')]).toEqual([1, values.length]);
    // A point already there is overwritten; the bucket is merged with the new points.
    await store.writeBulk([{ tag: 'by.bulk.false', ts: T0, value: 'again', quality: 'uncertain', source: 'raw' }, { tag: 'by.bulk.false', ts: T0 + HOUR - 1, value: 7, quality: 'good', source: 'raw' }]);
    const after = await readAll(store, 'by.bulk.false', T0, T0 + HOUR);
    expect(after[0]).toEqual({ ts: T0, value: 'again', quality: 'uncertain' });
    expect(after[1]).toEqual({ ts: T0 + 1000, value: values[1], quality: 'good' });
    expect(after.at(-1)).toEqual({ ts: T0 + HOUR - 1, value: 7, quality: 'good' });
    expect(after.length).toBe(values.length + 1);
  });

  it('writes more rows in one call than one statement takes', async () => {
    const { store } = await open();
    const total = 12_345;
    await store.write(Array.from({ length: total }, (_, i) => record('bulk', T0 + i, i % 2 === 0 ? i : `s${i}`, 'good')));
    const points = await readAll(store, 'bulk', T0, T0 + total, 5_000);
    expect(points.length).toBe(total);
    expect(points[total - 1]).toEqual({ ts: T0 + total - 1, value: total - 1, quality: 'good' });
    expect(points[total - 2]).toEqual({ ts: T0 + total - 2, value: `s${total - 2}`, quality: 'good' });
  });

  it('marks a bulk read of columns (a backfill\'s inputs) for PGlite\'s thread to serve after requests, and reads the same points', async () => {
    const { database } = await open();
    const { store, statements } = recordingStore(database);
    const total = 6_000;
    await new SqlHistoryStore(database.db).writeBulk(Array.from({ length: total }, (_, i) => record('bulk.read', T0 + i * 1000, i, 'good')));
    const columnsOf = async (bulk: boolean | undefined) => {
      statements.length = 0;
      const points = [];
      for await (const page of store.readColumns('bulk.read', T0, T0 + total * 1000, { chunkSize: 2048, bulk })) points.push(...pointsFromColumns(page));
      return { points, bucketReads: statements.filter((text) => text.includes('history_buckets')) };
    };
    const plain = await columnsOf(undefined);
    const bulk = await columnsOf(true);
    expect(plain.points.length).toBe(total);
    expect(bulk.points).toEqual(plain.points);
    expect(plain.bucketReads.length).toBeGreaterThan(0);
    expect(plain.bucketReads.every((text) => !text.startsWith(BULK_STATEMENT))).toBe(true);
    expect(bulk.bucketReads.length).toBe(plain.bucketReads.length);
    expect(bulk.bucketReads.every((text) => text.startsWith(BULK_STATEMENT))).toBe(true);
  }, 60_000);

  it('deletes the live rows at a column batch\'s times only where its range holds live rows, and keeps those at other times', async () => {
    const { database } = await open();
    const { store, statements } = recordingStore(database);
    // Points at even seconds 0…198; live rows of `lived` at 40 s (a batch time) and 41 s (not one).
    const batchOf = (tag: string): HistoryColumnBatch => {
      const batch: HistoryColumnBatch = { ...emptyColumns(100), tag, reasons: [], source: 'script', script: { id: 's', name: 'n', version: 2 } };
      for (let i = 0; i < 100; i++) {
        batch.ts[i] = T0 + i * 2000;
        setValue(batch, i, i);
      }
      batch.length = 100;
      return batch;
    };
    await store.write([record('lived', T0 + 40_000, -1, 'good'), record('lived', T0 + 41_000, -2, 'good')]);
    const deletesOfTimes = () => statements.filter((text) => text.includes('= any(')).length;
    statements.length = 0;
    expect(await store.writeBulkColumns([batchOf('empty.a'), batchOf('empty.b')])).toBe(200);
    expect(deletesOfTimes()).toBe(0);
    statements.length = 0;
    expect(await store.writeBulkColumns([batchOf('lived'), batchOf('empty.c')])).toBe(200);
    expect(deletesOfTimes()).toBe(1);
    const lived = await readAll(store, 'lived', T0, T0 + 200_000);
    expect(lived.length).toBe(101);
    expect(lived.find((point) => point.ts === T0 + 40_000)?.value).toBe(20);
    expect(lived.find((point) => point.ts === T0 + 41_000)?.value).toBe(-2);
    // Only the batch's own rows: the live row at 40 s is gone from the rows, the one at 41 s stays.
    const rows = await database.db.execute(sql`select ts from history where tag = 'lived' order by ts`);
    expect((rows as unknown as { rows: Array<{ ts: unknown }> }).rows.map((row) => Number(row.ts))).toEqual([T0 + 41_000]);
    for (const tag of ['empty.a', 'empty.b', 'empty.c']) expect((await readAll(store, tag, T0, T0 + 200_000)).map((point) => point.value)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  }, 60_000);

  it('stops reading when the consumer stops', async () => {
    const { store } = await open();
    await store.write(Array.from({ length: 5_000 }, (_, i) => record('early.stop', T0 + i, i, 'good')));
    let chunks = 0;
    for await (const chunk of store.read('early.stop', T0, T0 + 5_000, { chunkSize: 100 })) {
      expect(chunk.length).toBe(100);
      if (++chunks === 3) break;
    }
    expect(chunks).toBe(3);
  });

  it('answers OperationalError naming the database once the database is gone', async () => {
    const { database, store } = await open();
    await store.write([record('gone', T0, 1, 'good')]);
    await database.close();
    for (const attempt of [
      store.write([record('gone', T0 + 1, 2, 'good')]),
      readAll(store, 'gone', T0, T0 + 10),
      store.readLatestBefore('gone', T0 + 10),
      store.prune(T0),
      store.ping(),
    ]) {
      const error = await rejectionOf(attempt);
      expect(error.kind).toBe('operational');
      expect(error.details).toEqual({ service: 'database' });
      expect(error.status).toBe(503);
    }
  });

});

/** A one-dimensional array as PostgreSQL's array_send writes it, base64 with encode()'s line breaks. */
function arraySend(elementOid: number, width: 2 | 8, values: Array<number | null>, float = false): string {
  const bytes = Buffer.alloc(20 + values.length * (4 + width));
  bytes.writeInt32BE(1, 0);
  bytes.writeInt32BE(values.includes(null) ? 1 : 0, 4);
  bytes.writeInt32BE(elementOid, 8);
  bytes.writeInt32BE(values.length, 12);
  bytes.writeInt32BE(1, 16);
  let at = 20;
  for (const value of values) {
    if (value === null) {
      bytes.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    bytes.writeInt32BE(width, at);
    if (width === 2) bytes.writeInt16BE(value, at + 4);
    else if (float) bytes.writeDoubleBE(value, at + 4);
    else bytes.writeBigInt64BE(BigInt(value), at + 4);
    at += 4 + width;
  }
  return (bytes.subarray(0, at).toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

function page(rows: Array<[number, number, number | null, string | null, number]>): ColumnPageRow {
  const strings = rows.filter(([, type]) => type === 3).map(([, , , text]) => text);
  return {
    n: String(rows.length),
    ts: arraySend(20, 8, rows.map(([ts]) => ts)),
    tq: arraySend(21, 2, rows.map(([, type, , , quality]) => type * 256 + quality)),
    num: arraySend(701, 8, rows.map(([, , num]) => num), true),
    texts: strings.length > 0 ? JSON.stringify(strings) : null,
  };
}

describe('decodeColumnPage', () => {
  it('decodes the columns of a page: every value type, NULLs, qualities', () => {
    const rows: Array<[number, number, number | null, string | null, number]> = [
      [T0, 1, 12.5, null, 0],
      [T0 + 1, 1, Number.NaN, null, 1],
      [T0 + 2, 2, 1, null, 2],
      [T0 + 3, 2, 0, null, 0],
      [T0 + 4, 3, null, 'running, "ok"\n', 0],
      [T0 + 5, 3, null, null, 0],
      [T0 + 6, 0, null, null, 1],
      [T0 + 7, 1, null, null, 0],
      [T0 + 8, 2, null, null, 0],
      [T0 + 9, 1, -1e300, null, 7],
      [T0 + 10_000_000_000, 1, 2, null, 0],
    ];
    expect(pointsFromColumns(decodeColumnPage(page(rows)))).toEqual([
      { ts: T0, value: 12.5, quality: 'good' },
      { ts: T0 + 1, value: Number.NaN, quality: 'uncertain' },
      { ts: T0 + 2, value: true, quality: 'bad' },
      { ts: T0 + 3, value: false, quality: 'good' },
      { ts: T0 + 4, value: 'running, "ok"\n', quality: 'good' },
      { ts: T0 + 5, value: null, quality: 'good' },
      { ts: T0 + 6, value: null, quality: 'uncertain' },
      { ts: T0 + 7, value: null, quality: 'good' },
      { ts: T0 + 8, value: null, quality: 'good' },
      { ts: T0 + 9, value: -1e300, quality: 'bad' },
      { ts: T0 + 10_000_000_000, value: 2, quality: 'good' },
    ]);
  });

  it('reads negative timestamps and an empty page', () => {
    expect(pointsFromColumns(decodeColumnPage(page([[-86_400_000, 1, 1, null, 0], [-1, 1, 2, null, 0], [0, 1, 3, null, 0]]))).map((p) => p.ts)).toEqual([
      -86_400_000, -1, 0,
    ]);
    expect(decodeColumnPage({ n: 0, ts: null, tq: null, num: null, texts: null }).length).toBe(0);
  });

  it('refuses a page whose columns do not agree', () => {
    const good = page([
      [T0, 1, 1, null, 0],
      [T0 + 1, 3, null, 'a', 0],
    ]);
    expect(() => decodeColumnPage({ ...good, n: 3 })).toThrow(/malformed/);
    expect(() => decodeColumnPage({ ...good, texts: null })).toThrow(/fewer texts/);
    expect(() => decodeColumnPage({ ...good, texts: '["a","b"]' })).toThrow(/disagree/);
    expect(() => decodeColumnPage({ ...good, num: arraySend(701, 8, [1], true) })).toThrow(/malformed/);
    expect(() => decodeColumnPage({ ...good, ts: arraySend(20, 8, [T0 + 1, T0]) })).toThrow(/ascending/);
    expect(() => decodeColumnPage({ ...good, ts: arraySend(20, 8, [T0, null]) })).toThrow(/malformed/);
  });
});
