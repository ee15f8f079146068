import path from 'node:path';
import { describe } from 'vitest';
import { describeIdentityStoreContract } from '../../lib/adapters/store/identity-store.contract';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { SqlIdentityStore } from '../../lib/adapters/store/sql-identity-store';
import { createTestDatabase } from '../helpers/databases';
import { servicesAvailable } from '../helpers/services';

/** The identity store (users, tokens, sessions, audit trail) against a real PostgreSQL, in a throwaway database. */

const available = await servicesAvailable('PostgreSQL identity store', 'postgres');
const migrationsFolder = path.resolve(__dirname, '../../db/migrations');

describe.skipIf(!available)('PostgreSQL identity store', () => {
  describeIdentityStoreContract('PostgreSQL', async () => {
    const testDatabase = await createTestDatabase();
    const database = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder });
    const store = new SqlIdentityStore(database, { closeDatabase: true });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await testDatabase.drop();
      },
    };
  });
});
