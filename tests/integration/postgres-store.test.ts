import net from 'node:net';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, translateDatabaseError, type DatabaseHandle } from '../../lib/adapters/store/open-database';
import { describeScriptStoreContract } from '../../lib/adapters/store/script-store.contract';
import { SqlScriptStore } from '../../lib/adapters/store/sql-script-store';
import type { AppError } from '../../lib/model/errors';
import type { ScriptDraft } from '../../lib/model/script-schema';
import { createTestDatabase, withAdmin, type TestDatabase } from '../helpers/databases';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';
import { rejectionOf } from '../../lib/adapters/store/contract-support';

/**
 * The SQL script store against a real PostgreSQL. Each run works in databases of its own
 * (script_server_test_<random>), created through the test URL and dropped afterwards, so runs never
 * see each other's rows. The outage tests put a TCP proxy of our own between the pool and the
 * server and stop the proxy: the server itself is never stopped.
 */

const available = await servicesAvailable('PostgreSQL store', 'postgres');
const migrationsFolder = path.resolve(__dirname, '../../db/migrations');

/**
 * Forwards TCP to the PostgreSQL server. stop() cuts everything (a crash, a refused port); freeze()
 * silently drops every byte of the connections open at that moment, as a broken network would,
 * while new connections work.
 */
class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly frozen = new WeakSet<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = net.createServer((downstream) => {
      const upstream = net.connect(this.target);
      const forward = (from: net.Socket, to: net.Socket) =>
        from.on('data', (chunk) => {
          if (!this.frozen.has(from)) to.write(chunk);
        });
      forward(downstream, upstream);
      forward(upstream, downstream);
      for (const socket of [downstream, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => {
          this.sockets.delete(socket);
          if (!this.frozen.has(socket)) (socket === downstream ? upstream : downstream).destroy();
        });
        socket.on('error', () => undefined);
      }
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  freeze(): void {
    for (const socket of this.sockets) this.frozen.add(socket);
  }

  /** Refuses new connections and cuts the open ones, as a crashed server would. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}


const expectUnavailable = (error: AppError) => {
  expect(error.kind).toBe('operational');
  expect(error.details).toEqual({ service: 'database' });
  expect(error.message).toMatch(/^the database is unavailable: \S/);
};

const draft = (name: string): ScriptDraft => ({
  name,
  inputs: [{ tag: 'FT-101.PV', alias: 'flow' }],
  calcCode: 'const y = flow * 2;',
  outputs: [{ tag: `CALC.${name}`, variable: 'y' }],
});

describe.skipIf(!available)('PostgreSQL store', () => {
  describeScriptStoreContract('PostgreSQL', async () => {
    const testDatabase = await createTestDatabase();
    const database = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder });
    const store = new SqlScriptStore(database, { closeDatabase: true });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await testDatabase.drop();
      },
    };
  });

  describe('migrations', () => {
    it('applies them once when several processes start together', async () => {
      const testDatabase = await createTestDatabase();
      const handles: DatabaseHandle[] = [];
      try {
        handles.push(...(await Promise.all(Array.from({ length: 4 }, () => openDatabase({ kind: 'postgres', url: testDatabase.url, migrationsFolder })))));
        const client = new pg.Client({ connectionString: testDatabase.url });
        await client.connect();
        const applied = await client.query('select hash from drizzle.__drizzle_migrations').finally(() => client.end());
        // One row per migration file: none was applied twice.
        expect(new Set(applied.rows.map((row: { hash: string }) => row.hash)).size).toBe(applied.rowCount);
        const store = new SqlScriptStore(handles[0]);
        await expect(store.create(draft('after_concurrent_migrations'))).resolves.toMatchObject({ version: 1 });
      } finally {
        for (const handle of handles) await handle.close();
        await testDatabase.drop();
      }
    });
  });

  describe('outage and recovery', () => {
    let testDatabase: TestDatabase;
    let proxy: TcpProxy;
    let database: DatabaseHandle;
    let store: SqlScriptStore;

    beforeAll(async () => {
      testDatabase = await createTestDatabase();
      const target = new URL(TEST_SERVICES.postgres);
      proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
      await proxy.start();
      const viaProxy = new URL(testDatabase.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      database = await openDatabase({ kind: 'postgres', url: viaProxy.toString(), migrationsFolder, connectTimeoutMs: 1_000 });
      store = new SqlScriptStore(database);
    });

    afterAll(async () => {
      await database?.close();
      await proxy?.stop();
      await testDatabase?.drop();
    });

    it('answers OperationalError during the outage, without crashing, and recovers when the database returns', async () => {
      const before = await store.create(draft('before_outage'));
      // Connections in every state when the database goes: idle in the pool, running a statement,
      // and holding a transaction open between two statements.
      let releaseTransaction!: () => void;
      const transactionPaused = new Promise<void>((resolve) => (releaseTransaction = resolve));
      let transactionStarted!: () => void;
      const transactionRunning = new Promise<void>((resolve) => (transactionStarted = resolve));
      const transaction = database.db
        .transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          transactionStarted();
          await transactionPaused;
          await tx.execute(sql`select 2`);
        })
        .catch((error: unknown) => translateDatabaseError(error));
      const longStatement = database.db.execute(sql`select pg_sleep(30)`).catch((error: unknown) => translateDatabaseError(error));
      await transactionRunning;
      await new Promise((resolve) => setTimeout(resolve, 100));

      await proxy.stop();

      expectUnavailable((await longStatement) as AppError);
      releaseTransaction();
      expectUnavailable((await transaction) as AppError);
      const started = Date.now();
      const duringOutage = await Promise.all(
        [store.ping(), store.list(), store.get(before.id), store.create(draft('during_outage')), store.saveLatest([{ tag: 'T', value: 1, ts: 1, quality: 'good', source: 'raw' }])].map(rejectionOf),
      );
      duringOutage.forEach(expectUnavailable);
      expect(Date.now() - started).toBeLessThan(5_000);

      await proxy.start();

      await expect(store.ping()).resolves.toBeUndefined();
      expect((await store.list()).map((script) => script.id)).toContain(before.id);
      await expect(store.create(draft('after_outage'))).resolves.toMatchObject({ version: 1 });
      // Nothing of the failed create was saved.
      expect((await store.list()).map((script) => script.definition.name)).not.toContain('during_outage');
    });

    it('recovers when the server ends every connection (a restart, an administrator)', async () => {
      // Fill the pool with connections, then have the server terminate them while they are idle.
      await Promise.all(Array.from({ length: 5 }, () => store.ping()));
      const databaseName = new URL(testDatabase.url).pathname.slice(1);
      const terminated = await withAdmin(
        async (client) =>
          (await client.query('select count(*)::int as count from (select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()) as ended', [databaseName]))
            .rows[0].count as number,
      );
      expect(terminated).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));

      await expect(store.ping()).resolves.toBeUndefined();
      await expect(store.create(draft('after_terminate'))).resolves.toMatchObject({ version: 1 });
    });

    it('answers ping within its own timeout when the network drops packets silently, then discards the stuck connection', async () => {
      const viaProxy = new URL(testDatabase.url);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      // One connection, so that lending the stuck one again would show at once; a short statement
      // timeout, so that the driver's read timeout (statement timeout + 5 s) ends the test soon.
      const single = await openDatabase({ kind: 'postgres', url: viaProxy.toString(), migrate: false, maxConnections: 1, statementTimeoutMs: 200 });
      const singleStore = new SqlScriptStore(single, { pingTimeoutMs: 500 });
      try {
        await singleStore.ping();
        let startedTransaction!: () => void;
        const transactionOpen = new Promise<void>((resolve) => (startedTransaction = resolve));
        const transaction = single.db
          .transaction(async (tx) => {
            await tx.execute(sql`select 1`);
            startedTransaction();
            await new Promise((resolve) => setTimeout(resolve, 50));
            await tx.execute(sql`select 2`);
          })
          .then(
            () => null,
            (error: unknown) => translateDatabaseError(error),
          );
        await transactionOpen;
        proxy.freeze();

        const started = Date.now();
        expectUnavailable(await rejectionOf(singleStore.ping()));
        expect(Date.now() - started).toBeLessThan(2_000);

        const transactionError = await transaction;
        expect(transactionError).not.toBeNull();
        expectUnavailable(transactionError as AppError);
        // The stuck connection went back to the pool mid-transaction: it must be discarded, not lent again.
        await expect(singleStore.ping()).resolves.toBeUndefined();
        await expect(singleStore.list()).resolves.toBeInstanceOf(Array);
      } finally {
        await single.close();
      }
    });

    it('reports a statement stopped by statement_timeout as the database being unavailable', async () => {
      const slow = await openDatabase({ kind: 'postgres', url: testDatabase.url, migrate: false, statementTimeoutMs: 200 });
      try {
        const error = translateDatabaseError(await slow.db.execute(sql`select pg_sleep(2)`).then(() => null, (caught: unknown) => caught));
        expectUnavailable(error);
        expect(error.message).toContain('statement timeout');
        await expect(new SqlScriptStore(slow).ping()).resolves.toBeUndefined();
      } finally {
        await slow.close();
      }
    });
  });
});
