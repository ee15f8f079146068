import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describeExportContract } from '../../lib/history/export-history.contract';
import { InfluxHistoryStore } from '../../lib/adapters/history/influx-history-store';
import { SqlHistoryStore } from '../../lib/adapters/history/sql-history-store';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { createTestDatabase } from '../helpers/databases';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';

/** GET /api/export's row counts and values over the production history stores (the embedded one is in lib/history). */

const postgres = await servicesAvailable('export over PostgreSQL history', 'postgres');
const influx = await servicesAvailable('export over InfluxDB history', 'influx');

describeExportContract(
  'PostgreSQL history',
  async () => {
    const testDatabase = await createTestDatabase();
    const database = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder: path.resolve(__dirname, '../../db/migrations') });
    return {
      history: new SqlHistoryStore(database.db),
      cleanup: async () => {
        await database.close();
        await testDatabase.drop();
      },
    };
  },
  { skip: !postgres },
);

describeExportContract(
  'InfluxDB 1.x history',
  async () => {
    const store = new InfluxHistoryStore({ url: TEST_SERVICES.influx, database: `script_server_test_${randomBytes(6).toString('hex')}` });
    await store.createDatabaseIfMissing();
    return { history: store, cleanup: () => store.dropDatabase() };
  },
  { skip: !influx },
);
