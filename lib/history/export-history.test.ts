import path from 'node:path';
import { openDatabase } from '../adapters/store/open-database';
import { SqlHistoryStore } from '../adapters/history/sql-history-store';
import { describeExportContract } from './export-history.contract';

describeExportContract('the embedded history (PGlite)', async () => {
  const database = await openDatabase({ kind: 'embedded', migrationsFolder: path.resolve(__dirname, '../../db/migrations') });
  return { history: new SqlHistoryStore(database.db), cleanup: () => database.close() };
});
