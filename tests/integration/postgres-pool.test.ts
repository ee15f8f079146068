import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/databases';
import { servicesAvailable } from '../helpers/services';

/**
 * The PostgreSQL pool keeps its idle connections (a new one costs a SCRAM key derivation on both
 * sides, which was ≈ 8 % of an idle worker's CPU when they closed after 30 s), and close() still
 * ends every one of them.
 */

const available = await servicesAvailable('PostgreSQL pool', 'postgres');
const migrationsFolder = path.resolve(__dirname, '../../db/migrations');

/** Connections to `database` as the server counts them. */
const connectionsTo = (database: TestDatabase) =>
  withAdmin(async (client) => Number((await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [database.name])).rows[0].n));

describe.skipIf(!available)('PostgreSQL pool', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('keeps idle connections open past the 30 s they used to be closed after, and close() ends them all', async () => {
    const handle = await openDatabase({ kind: 'postgres', url: database.url, migrationsFolder });
    try {
      // Three at once: the pool opens three connections.
      await Promise.all([0, 1, 2].map(() => handle.db.execute(sql`select pg_sleep(0.2)`)));
      expect(await connectionsTo(database)).toBe(3);
      await new Promise((resolve) => setTimeout(resolve, 31_000));
      expect(await connectionsTo(database)).toBe(3);
      // Reused: no new connection for the next queries.
      await Promise.all([0, 1, 2].map(() => handle.db.execute(sql`select 1`)));
      expect(await connectionsTo(database)).toBe(3);
    } finally {
      await handle.close();
    }
    // The server sees a backend go once it has exited: a moment after the socket closed.
    let left = await connectionsTo(database);
    for (let wait = 0; left > 0 && wait < 20; wait++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await connectionsTo(database);
    }
    expect(left).toBe(0);
  }, 60_000);
});
