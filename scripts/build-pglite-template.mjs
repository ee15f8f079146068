// Part of `npm run build`: the embedded database's template (docs/decisions/0018-embedded-db-thread.md,
// docs/performance.md "P8 and start-up with PGlite's thread"). PostgreSQL's initdb, which PGlite runs
// for every new data folder, was most of a first start (≈ 4 s of CPU); here it runs once, the
// migrations of db/migrations are applied, and the closed folder is kept as dist/pglite-template.
// A new DATA_DIR starts as a copy of it (openDatabase's `template`: ≈ 0.9 s of CPU to copy and open
// against ≈ 2.4 s for PGlite's loadDataDir of a tar.gz and ≈ 9 s for initdb, same machine and load);
// the migrator then applies whatever is newer, so an older template is still correct, only slower.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';

export const PGLITE_TEMPLATE_FOLDER = 'dist/pglite-template';

export async function buildPgliteTemplate(root = process.cwd()) {
  const folder = path.join(root, PGLITE_TEMPLATE_FOLDER);
  rmSync(folder, { recursive: true, force: true });
  const client = new PGlite(folder);
  try {
    await migrate(drizzle({ client }), { migrationsFolder: path.join(root, 'db', 'migrations') });
  } catch (error) {
    await client.close();
    rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  await client.close();
}
