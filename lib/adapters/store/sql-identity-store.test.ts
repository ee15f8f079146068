import path from 'node:path';
import { describeIdentityStoreContract } from './identity-store.contract';
import { openDatabase } from './open-database';
import { SqlIdentityStore } from './sql-identity-store';

const migrationsFolder = path.resolve(__dirname, '../../../db/migrations');

describeIdentityStoreContract('PGlite in memory', async () => {
  const database = await openDatabase({ kind: 'embedded', migrationsFolder });
  const store = new SqlIdentityStore(database, { closeDatabase: true });
  return { store, cleanup: () => store.close() };
});
