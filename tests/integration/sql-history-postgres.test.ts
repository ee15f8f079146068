import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHistoryStoreContract, readAll, record } from '../../lib/adapters/history/history-store.contract';
import { SqlHistoryStore } from '../../lib/adapters/history/sql-history-store';
import { openDatabase, type DatabaseHandle } from '../../lib/adapters/store/open-database';
import { createTestDatabase, type TestDatabase } from '../helpers/databases';
import { servicesAvailable } from '../helpers/services';

/**
 * The SQL history store against a real PostgreSQL (the unit tests run it on PGlite): its pages are
 * columns aggregated in the database and sent in PostgreSQL's binary array format, which node-postgres
 * must carry as PGlite does. Each run works in a database of its own, dropped afterwards.
 */

const available = await servicesAvailable('SQL history on PostgreSQL', 'postgres');
const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);

async function openFresh(): Promise<{ database: DatabaseHandle; testDatabase: TestDatabase }> {
  const testDatabase = await createTestDatabase();
  const database = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder });
  return { database, testDatabase };
}

describeHistoryStoreContract(
  'SqlHistoryStore on PostgreSQL',
  async () => {
    const { database, testDatabase } = await openFresh();
    return {
      store: new SqlHistoryStore(database.db),
      cleanup: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  },
  { skip: !available },
);

describe.skipIf(!available)('SqlHistoryStore on PostgreSQL', () => {
  let opened: Awaited<ReturnType<typeof openFresh>>;
  let store: SqlHistoryStore;
  beforeAll(async () => {
    opened = await openFresh();
    store = new SqlHistoryStore(opened.database.db);
  });
  afterAll(async () => {
    await opened?.database.close();
    await opened?.testDatabase.drop();
  });

  it('reads non-finite and exact doubles, and every kind, column-wise', async () => {
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0.1 + 0.2, 2 ** 53 + 2, -Number.MIN_VALUE, true, 'x', null];
    await store.write(values.map((value, i) => record('odd.values', T0 + i, value, 'good')));
    const points = await readAll(store, 'odd.values', T0, T0 + 100, 4);
    expect(points.map((point) => point.value)).toEqual(values);
  });
});
