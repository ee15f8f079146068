import path from 'node:path';
import { describe } from 'vitest';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { SqlScriptStore } from '../../lib/adapters/store/sql-script-store';
import { SqlTagMetaStore } from '../../lib/adapters/store/sql-tag-meta-store';
import { describeTagMetaStoreContract } from '../../lib/adapters/store/tag-meta-store.contract';
import { createTestDatabase } from '../helpers/databases';
import { servicesAvailable } from '../helpers/services';

/** The tag metadata store against a real PostgreSQL, in a throwaway database of its own. */

const available = await servicesAvailable('PostgreSQL tag metadata store', 'postgres');
const migrationsFolder = path.resolve(__dirname, '../../db/migrations');

describe.skipIf(!available)('PostgreSQL tag metadata store', () => {
  describeTagMetaStoreContract('PostgreSQL', async () => {
    const testDatabase = await createTestDatabase();
    const database = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder });
    return {
      tagMeta: new SqlTagMetaStore(database),
      scripts: new SqlScriptStore(database),
      cleanup: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  });
});
