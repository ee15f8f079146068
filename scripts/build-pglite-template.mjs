// Part of `npm run build`: the embedded database's template (docs/decisions/0018-embedded-db-thread.md,
// docs/performance.md "P8 and start-up with PGlite's thread"). PostgreSQL's initdb, which PGlite runs
// for every new data folder, is most of a first start (≈ 3–4 s of CPU); here it runs once, the
// migrations of db/migrations are applied, and the folder is dumped to dist/pglite-template.tar.gz.
// A new DATA_DIR starts from that dump (openDatabase's `template`); the migrator then applies whatever
// is newer, so a template older than the migrations is still correct, only slower.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

export const PGLITE_TEMPLATE_FILE = 'dist/pglite-template.tar.gz';

export async function buildPgliteTemplate(root = process.cwd()) {
  const client = new PGlite();
  try {
    await migrate(drizzle({ client }), { migrationsFolder: path.join(root, 'db', 'migrations') });
    const dump = await client.dumpDataDir('gzip');
    writeFileSync(path.join(root, PGLITE_TEMPLATE_FILE), Buffer.from(await dump.arrayBuffer()));
  } finally {
    await client.close();
  }
}
