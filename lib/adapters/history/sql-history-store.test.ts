import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError, type AppError } from '../../errors';
import { openDatabase, type DatabaseHandle } from '../store/open-database';
import { describeHistoryStoreContract, readAll, record } from './history-store.contract';
import { SqlHistoryStore } from './sql-history-store';

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
    // 25 000 points a tag, one a second: more than one prune batch in all.
    await store.write(tags.flatMap((tag) => Array.from({ length: 25_000 }, (_, i) => record(tag, T0 + i * 1000, i, 'good'))));
    const before = T0 + 10_000 * 1000;
    expect(await store.prune(before)).toBe(30_000);
    for (const tag of tags) {
      const points = await readAll(store, tag, T0 - HOUR, T0 + 10 * HOUR);
      expect(points.length).toBe(15_000);
      expect(points[0].ts).toBe(before);
    }
    expect(await store.prune(before)).toBe(0);
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

  it('writes more rows in one call than one statement takes', async () => {
    const { store } = await open();
    const total = 12_345;
    await store.write(Array.from({ length: total }, (_, i) => record('bulk', T0 + i, i % 2 === 0 ? i : `s${i}`, 'good')));
    const points = await readAll(store, 'bulk', T0, T0 + total, 5_000);
    expect(points.length).toBe(total);
    expect(points[total - 1]).toEqual({ ts: T0 + total - 1, value: total - 1, quality: 'good' });
    expect(points[total - 2]).toEqual({ ts: T0 + total - 2, value: `s${total - 2}`, quality: 'good' });
  });

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
