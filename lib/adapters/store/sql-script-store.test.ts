import { cpSync, mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError, type AppError } from '../../model/errors';
import type { ScriptDraft } from '../../model/script-schema';
import { openDatabase, translateDatabaseError, type DatabaseHandle } from './open-database';
import { describeScriptStoreContract } from './script-store.contract';
import { SqlScriptStore } from './sql-script-store';
import { SqlTagMetaStore } from './sql-tag-meta-store';
import { describeTagMetaStoreContract } from './tag-meta-store.contract';

const migrationsFolder = path.resolve(__dirname, '../../../db/migrations');
const SLOW_MS = 180_000;

describeScriptStoreContract('PGlite in memory', async () => {
  const database = await openDatabase({ kind: 'embedded', migrationsFolder });
  const store = new SqlScriptStore(database, { closeDatabase: true });
  return { store, cleanup: () => store.close() };
});

const draft = (name: string): ScriptDraft => ({
  name,
  inputs: [{ tag: 'FT-101.PV', alias: 'flow' }],
  calcCode: 'const y = flow * 2;',
  outputs: [{ tag: `CALC.${name}`, variable: 'y' }],
});

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('embedded database on disk', () => {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });

  it(
    'creates DATA_DIR/pglite, keeps scripts across a restart and migrates only once',
    async () => {
      const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'script-server-store-')), 'nested', 'data');
      folders.push(path.dirname(path.dirname(dataDir)));

      const first = new SqlScriptStore(await openDatabase({ kind: 'embedded', dataDir, migrationsFolder }), { closeDatabase: true });
      const created = await first.create(draft('persisted'));
      await first.saveLatest([{ tag: 'FT-101.PV', value: 3.5, ts: 1_790_000_000_000, quality: 'good', source: 'raw' }]);
      await first.close();
      expect(existsSync(path.join(dataDir, 'pglite'))).toBe(true);

      const second = new SqlScriptStore(await openDatabase({ kind: 'embedded', dataDir, migrationsFolder }), { closeDatabase: true });
      try {
        expect(await second.get(created.id)).toEqual(created);
        expect(await second.loadLatest()).toEqual([{ tag: 'FT-101.PV', value: 3.5, ts: 1_790_000_000_000, quality: 'good', source: 'raw' }]);
        const next = await second.update(created.id, draft('persisted'));
        expect(next?.revision).toBeGreaterThan(created.revision);
      } finally {
        await second.close();
      }
    },
    SLOW_MS,
  );

  it(
    'answers OperationalError naming the database once the embedded database is closed',
    async () => {
      const database = await openDatabase({ kind: 'embedded', migrationsFolder });
      const store = new SqlScriptStore(database);
      await database.close();

      const calls = [store.ping(), store.list(), store.create(draft('late')), store.saveLatest([{ tag: 'a', value: 1, ts: 1, quality: 'good', source: 'raw' }])];
      for (const error of await Promise.all(calls.map(rejectionOf))) {
        expect(error.kind).toBe('operational');
        expect(error.code).toBe('UNAVAILABLE');
        expect(error.details).toEqual({ service: 'database' });
        expect(error.message).toBe('the database is unavailable: PGlite is closed');
      }
      // Closing the store does not close a database it does not own, and closing twice is harmless.
      await store.close();
      await database.close();
    },
    SLOW_MS,
  );

  it(
    'gives every script saved before versions existed its current definition as a version (migration backfill)',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-backfill-'));
      folders.push(dataDir);
      // The migrations as they were before 0007 (script versions).
      const before = path.join(dataDir, 'migrations-before');
      cpSync(migrationsFolder, before, { recursive: true });
      const journalPath = path.join(before, 'meta', '_journal.json');
      const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: Array<{ idx: number; tag: string }> };
      const versionsIndex = journal.entries.findIndex((entry) => entry.tag === '0007_script_versions');
      expect(versionsIndex).toBeGreaterThan(0);
      journal.entries = journal.entries.slice(0, versionsIndex);
      writeFileSync(journalPath, JSON.stringify(journal));

      const old = await openDatabase({ kind: 'embedded', dataDir, migrationsFolder: before });
      const definition = draft('older');
      await old.db.execute(
        sql`insert into scripts (id, name, definition, version, updated_by) values ('old-1', 'older', ${JSON.stringify(definition)}::jsonb, 4, '{"id":"u-1","name":"kim"}'::jsonb)`,
      );
      await old.close();

      const store = new SqlScriptStore(await openDatabase({ kind: 'embedded', dataDir, migrationsFolder }), { closeDatabase: true });
      try {
        const listed = await store.listVersions('old-1');
        expect(listed?.versions).toEqual([{ version: 4, savedAt: (await store.get('old-1'))!.updatedAt, savedBy: { id: 'u-1', name: 'kim' }, message: null }]);
        expect((await store.getVersion('old-1', 4))?.found?.definition).toEqual(definition);
        // The next save continues the numbering.
        await store.update('old-1', { ...definition, calcCode: 'const y = flow * 3;' });
        expect((await store.listVersions('old-1'))?.versions.map((entry) => entry.version)).toEqual([5, 4]);
      } finally {
        await store.close();
      }
    },
    SLOW_MS,
  );

  it('explains a missing migrations folder', async () => {
    const error = await rejectionOf(openDatabase({ kind: 'embedded', migrationsFolder: path.join(os.tmpdir(), 'no-such-migrations') }));
    expect(error.kind).toBe('unexpected');
    expect(error.message).toContain('no-such-migrations');
  });
});

describe('PostgreSQL outage (nothing listening, or a server that never answers)', () => {
  const handles: DatabaseHandle[] = [];
  const servers: net.Server[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
    for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  });

  const expectUnavailable = (error: AppError) => {
    expect(error.kind).toBe('operational');
    expect(error.details).toEqual({ service: 'database' });
    expect(error.message).toMatch(/^the database is unavailable: /);
  };

  it('fails to open with OperationalError when nothing listens', async () => {
    const started = Date.now();
    const error = await rejectionOf(
      openDatabase({ kind: 'postgres', url: 'postgres://script_server:secret@127.0.0.1:1/script_server', migrationsFolder, connectTimeoutMs: 500 }),
    );
    expectUnavailable(error);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain('secret');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers every call with OperationalError, quickly, when nothing listens', async () => {
    const database = await openDatabase({ kind: 'postgres', url: 'postgres://script_server:secret@127.0.0.1:1/script_server', migrate: false, connectTimeoutMs: 500 });
    handles.push(database);
    const store = new SqlScriptStore(database);

    const started = Date.now();
    const calls: Array<Promise<unknown>> = [
      store.ping(),
      store.list(),
      store.get('x'),
      store.create(draft('outage')),
      store.update('x', draft('outage')),
      store.delete('x'),
      store.setState('x', 'registered', null),
      store.changesSince(0),
      store.saveStats([{ scriptId: 'x', evaluations: 1, errors: 0, avgMicros: 1, lastRunAt: null }]),
      store.loadStats(),
      store.saveLatest([{ tag: 'a', value: 1, ts: 1, quality: 'good', source: 'raw' }]),
      store.loadLatest(),
    ];
    const errors = await Promise.all(calls.map(rejectionOf));
    errors.forEach(expectUnavailable);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up after the connect timeout when the server accepts but never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    servers.push(silent);
    silent.on('close', () => sockets.forEach((socket) => socket.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const database = await openDatabase({ kind: 'postgres', url: `postgres://u:p@127.0.0.1:${port}/db`, migrate: false, connectTimeoutMs: 300 });
    handles.push(database);
    const store = new SqlScriptStore(database);

    const started = Date.now();
    const error = await rejectionOf(store.ping());
    const elapsed = Date.now() - started;

    expectUnavailable(error);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3_000);
    sockets.forEach((socket) => socket.destroy());
  });
});

describe('translateDatabaseError', () => {
  const driverError = (fields: Record<string, unknown>, message = 'driver says no') => Object.assign(new Error(message), fields);
  const drizzleWrapped = (cause: Error) => Object.assign(new Error('Failed query: insert into "scripts" ...\nparams: secret'), { cause });

  it('turns connection failures into OperationalError naming the database', () => {
    for (const cause of [
      driverError({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED 127.0.0.1:5432'),
      driverError({ code: 'ECONNRESET' }, 'read ECONNRESET'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('PGlite is closed'),
      driverError({ code: '57P01' }, 'terminating connection due to administrator command'),
      driverError({ code: '57014' }, 'canceling statement due to statement timeout'),
      driverError({ code: '08006' }, 'connection failure'),
      driverError({ code: '3D000' }, 'database "x" does not exist'),
      Object.assign(new AggregateError([driverError({ code: 'ECONNREFUSED' }, 'connect ECONNREFUSED ::1:5432')], ''), { code: 'ECONNREFUSED' }),
    ]) {
      const translated = translateDatabaseError(drizzleWrapped(cause));
      expect(translated.kind).toBe('operational');
      expect(translated.details).toEqual({ service: 'database' });
      expect(translated.message).toMatch(/^the database is unavailable: \S/);
      expect(translated.message).not.toContain('params');
    }
  });

  it('never lets a raw driver error through: other failures become UnexpectedError without SQL or parameters', () => {
    const translated = translateDatabaseError(drizzleWrapped(driverError({ code: '23505', constraint: 'other_unique' }, 'duplicate key value violates unique constraint "other_unique"')));
    expect(translated.kind).toBe('unexpected');
    expect(translated.message).toContain('23505');
    expect(translated.message).not.toContain('params');
    expect(translated.message).not.toContain('insert into');
  });

  it('passes our own errors through unchanged', () => {
    const error = translateDatabaseError(new Error('x'));
    expect(translateDatabaseError(error)).toBe(error);
  });
});

describeTagMetaStoreContract('PGlite in memory', async () => {
  const database = await openDatabase({ kind: 'embedded', migrationsFolder });
  return { tagMeta: new SqlTagMetaStore(database), scripts: new SqlScriptStore(database), cleanup: () => database.close() };
});
