import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { PGLITE_THREAD } from '../../../workers/thread-entries';
import { describeHistoryStoreContract, readAll, record } from '../history/history-store.contract';
import { SqlHistoryStore } from '../history/sql-history-store';
import { OPEN_TIMEOUT_MS, rejectionOf } from './contract-support';
import { describeIdentityStoreContract } from './identity-store.contract';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase, templateFor, translateDatabaseError, type DatabaseHandle } from './open-database';
import { BULK_STATEMENT } from './pglite-thread-protocol';
import { describeScriptStoreContract } from './script-store.contract';
import { SqlIdentityStore } from './sql-identity-store';
import { SqlScriptStore } from './sql-script-store';
import { SqlTagMetaStore } from './sql-tag-meta-store';
import { describeTagMetaStoreContract } from './tag-meta-store.contract';

// The same contracts as PGlite on the main thread, with PGlite in its own thread (PGLITE_THREAD).
const migrationsFolder = path.resolve(__dirname, '../../../db/migrations');
const openThreaded = (dataDir?: string) => openDatabase({ kind: 'embedded', dataDir, migrationsFolder, thread: PGLITE_THREAD });

describeScriptStoreContract('PGlite in its thread', async () => {
  const store = new SqlScriptStore(await openThreaded(), { closeDatabase: true });
  return { store, cleanup: () => store.close() };
});

describeTagMetaStoreContract('PGlite in its thread', async () => {
  const database = await openThreaded();
  return { tagMeta: new SqlTagMetaStore(database), scripts: new SqlScriptStore(database), cleanup: () => database.close() };
});

describeIdentityStoreContract('PGlite in its thread', async () => {
  const store = new SqlIdentityStore(await openThreaded(), { closeDatabase: true });
  return { store, cleanup: () => store.close() };
});

describeHistoryStoreContract('SqlHistoryStore on PGlite in its thread', async () => {
  const database = await openThreaded();
  return { store: new SqlHistoryStore(database.db), cleanup: () => database.close() };
});

describe('PGlite in its thread', () => {
  const opened: DatabaseHandle[] = [];
  const folders: string[] = [];
  afterEach(async () => {
    for (const database of opened.splice(0)) await database.close();
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  const open = async (dataDir?: string) => {
    const database = await openThreaded(dataDir);
    opened.push(database);
    return database;
  };

  it(
    'leaves this thread free while a statement runs',
    async () => {
      const { db } = await open();
      let turns = 0;
      const timer = setInterval(() => turns++, 5);
      try {
        // On this thread, pg_sleep would hold the event loop for the whole statement: no turn at all.
        await db.execute(sql`select pg_sleep(0.3)`);
      } finally {
        clearInterval(timer);
      }
      expect(turns).toBeGreaterThan(0);
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'serves a statement of a request before a bulk statement that came first, never one inside a transaction',
    async () => {
      const { db } = await open();
      const order: string[] = [];
      const run = (name: string, statement: ReturnType<typeof sql.raw>) => db.execute(statement).then(() => order.push(name));
      // While the first statement runs, a bulk statement then an ordinary one arrive: the ordinary one goes first.
      const first = run('first', sql.raw('select pg_sleep(0.3)'));
      const bulk = run('bulk', sql.raw(`${BULK_STATEMENT} select 1`));
      const request = run('request', sql.raw('select 2'));
      await Promise.all([first, bulk, request]);
      expect(order).toEqual(['first', 'request', 'bulk']);
      // Inside a transaction the mark changes nothing: its statements run in order.
      const inside = await db.transaction(async (tx) => {
        await tx.execute(sql.raw(`${BULK_STATEMENT} create temporary table marked (n int)`));
        await tx.execute(sql.raw(`${BULK_STATEMENT} insert into marked values (1)`));
        return tx.execute(sql.raw('select count(*)::int as n from marked'));
      });
      expect((inside as unknown as { rows: Array<{ n: number }> }).rows).toEqual([{ n: 1 }]);
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'keeps the SQLSTATE of a failed statement, and rolls a failed transaction back',
    async () => {
      const { db } = await open();
      await db.execute(sql`create table pairs (k text primary key, v int)`);
      await db.execute(sql`insert into pairs values ('a', 1)`);
      const failed = await db.transaction(async (tx) => {
        await tx.execute(sql`insert into pairs values ('b', 2)`);
        await tx.execute(sql`insert into pairs values ('a', 3)`);
      }).catch((error: unknown) => error);
      expect(translateDatabaseError(failed).message).toMatch(/SQLSTATE 23505/);
      const rowsOf = async (query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { rows: unknown[] }).rows;
      expect(await rowsOf(sql`select k, v from pairs order by k`)).toEqual([{ k: 'a', v: 1 }]);

      // tx.rollback() inside drizzle: nothing kept; a commit keeps everything, timestamps as text.
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into pairs values ('c', 3)`);
        tx.rollback();
      }).catch(() => undefined);
      await db.transaction(async (tx) => {
        await tx.execute(sql`insert into pairs values ('d', 4)`);
      });
      expect(await rowsOf(sql`select k from pairs order by k`)).toEqual([{ k: 'a' }, { k: 'd' }]);
      expect(await rowsOf(sql`select '2026-12-07 08:00:00+00'::timestamptz as at`)).toEqual([{ at: '2026-12-07 08:00:00+00' }]);
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'writes history in bulk (time buckets across the thread) and keeps it across a restart',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-pglite-thread-'));
      folders.push(dataDir);
      const first = await openThreaded(dataDir);
      const points = Array.from({ length: 500 }, (_, index) => record('FT-101.PV', 1_790_000_000_000 + index * 1000, index, 'good'));
      await new SqlHistoryStore(first.db).writeBulk(points);
      await first.close();

      const second = await open(dataDir);
      const read = await readAll(new SqlHistoryStore(second.db), 'FT-101.PV', 0, 2_000_000_000_000);
      expect(read).toHaveLength(500);
      expect(read[499]).toEqual({ ts: 1_790_000_000_000 + 499_000, value: 499, quality: 'good' });
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'applies the migrations inside the thread, once, and reports a failed one by its cause',
    async () => {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'script-server-pglite-migrations-'));
      folders.push(folder);
      const writeMigrations = (migrations: Array<[string, string]>) => {
        mkdirSync(path.join(folder, 'meta'), { recursive: true });
        const entries = migrations.map(([tag], idx) => ({ idx, version: '7', when: 1_796_000_000_000 + idx, tag, breakpoints: true }));
        writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ version: '7', dialect: 'postgresql', entries }));
        for (const [tag, text] of migrations) writeFileSync(path.join(folder, `${tag}.sql`), text);
      };
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-pglite-thread-'));
      folders.push(dataDir);
      const openOn = (migrationsFolder: string) => openDatabase({ kind: 'embedded', dataDir, migrationsFolder, thread: PGLITE_THREAD });

      writeMigrations([['0000_pairs', 'create table pairs (k text primary key);\n--> statement-breakpoint\ninsert into pairs values (\'a\');']]);
      await (await openOn(folder)).close();
      // Opened again: the journal in the database says 0000 is applied, so it is not run twice (a second insert would fail).
      const again = await openOn(folder);
      try {
        expect(((await again.db.execute(sql`select k from pairs`)) as unknown as { rows: unknown[] }).rows).toEqual([{ k: 'a' }]);
      } finally {
        await again.close();
      }

      writeMigrations([
        ['0000_pairs', 'create table pairs (k text primary key);\n--> statement-breakpoint\ninsert into pairs values (\'a\');'],
        ['0001_broken', 'create table pairs (k text);'],
      ]);
      const error = await rejectionOf(openOn(folder));
      // The driver's reason, not drizzle's "Failed query: <sql>" wrapper.
      expect(error.message).toBe('the database migrations failed: relation "pairs" already exists');
    },
    OPEN_TIMEOUT_MS,
  );

  it(
    'starts a new data folder from the template (in the thread and on this thread), never an existing one',
    async () => {
      const folder = mkdtempSync(path.join(os.tmpdir(), 'script-server-pglite-template-'));
      folders.push(folder);
      // A template as the build makes it (scripts/build-pglite-template.mjs: a closed data folder), with a mark of its own.
      const template = path.join(folder, 'template');
      const maker = new PGlite(template);
      await maker.exec(`create table made_by_template (n int); insert into made_by_template values (7);`);
      await maker.close();

      const marks = async (database: DatabaseHandle) =>
        ((await database.db.execute(sql`select n from made_by_template`)) as unknown as { rows: unknown[] }).rows;
      for (const thread of [PGLITE_THREAD, undefined]) {
        const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-pglite-thread-'));
        folders.push(dataDir);
        const first = await openDatabase({ kind: 'embedded', dataDir, migrate: false, thread, template });
        expect(await marks(first)).toEqual([{ n: 7 }]);
        await first.db.execute(sql`insert into made_by_template values (8)`);
        await first.close();
        // The folder holds a database now: the template is not loaded over it.
        expect(templateFor(path.join(dataDir, 'pglite'), template)).toBeUndefined();
        const second = await openDatabase({ kind: 'embedded', dataDir, migrate: false, thread, template });
        expect(await marks(second)).toEqual([{ n: 7 }, { n: 8 }]);
        await second.close();
      }
      // A template that is not there (from the sources, before a build): a new folder is created as before.
      expect(templateFor(path.join(folder, 'new'), path.join(folder, 'missing'))).toBeUndefined();
    },
    OPEN_TIMEOUT_MS * 2,
  );

  it(
    'answers a clear error once closed',
    async () => {
      const database = await openThreaded();
      await database.close();
      const error = await rejectionOf(new SqlScriptStore(database).list());
      expect(error.kind).toBe('operational');
      expect(error.message).toMatch(/unavailable: PGlite is closed/);
    },
    OPEN_TIMEOUT_MS,
  );
});
