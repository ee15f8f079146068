import { cpSync, mkdirSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { errorToData, isBulkStatement, type PgliteMigration, type PgliteReady, type PgliteReply, type PgliteRequest, type PgliteThreadData } from './pglite-thread-protocol';

/**
 * Inside the embedded database's thread (workers/pglite-thread.ts): opens PGlite and answers the main
 * thread's statements (pglite-thread-protocol.ts). A transaction stays open in PGlite's own
 * `transaction` callback until the main thread ends it, so its statements run on its connection and
 * every other statement waits for it, exactly as when PGlite runs on the main thread.
 */
export async function servePglite(port: MessagePort, data: PgliteThreadData): Promise<void> {
  let client: PGlite;
  try {
    if (data.where === undefined) client = new PGlite();
    else {
      // The main thread chose the template (a new folder only): copied here, off the main thread.
      if (data.template) cpSync(data.template, data.where, { recursive: true });
      else mkdirSync(data.where, { recursive: true });
      client = new PGlite(data.where);
    }
    await client.waitReady;
  } catch (error) {
    port.postMessage({ ready: false, error: errorToData(error) } satisfies PgliteReady);
    return;
  }

  const open = new Map<number, { tx: Transaction; end: (commit: boolean) => void; done: Promise<void> }>();
  let nextTx = 1;
  const ROLLBACK = Symbol('rollback');
  const identity = (value: string) => value;

  const begin = () =>
    new Promise<number>((resolve, reject) => {
      const id = nextTx++;
      let entered = false;
      const done = client
        .transaction(
          (tx) =>
            new Promise<void>((commit, rollback) => {
              entered = true;
              open.set(id, { tx, end: (ok) => (ok ? commit() : rollback(ROLLBACK)), done });
              resolve(id);
            }),
        )
        .catch((error: unknown) => {
          if (error !== ROLLBACK) throw error;
        })
        .finally(() => open.delete(id));
      // BEGIN itself failed: the callback never ran.
      done.catch((error: unknown) => {
        if (!entered) reject(error);
      });
    });

  const on = (tx: number) => {
    if (tx === 0) return client;
    const entry = open.get(tx);
    if (!entry) throw new Error(`transaction ${tx} of the embedded database is not open`);
    return entry.tx;
  };

  async function answer(request: PgliteRequest): Promise<unknown> {
    switch (request.op) {
      case 'query': {
        const parsers = Object.fromEntries(request.rawTypes.map((type) => [type, identity]));
        const result = await on(request.tx).query(request.sql, request.params, {
          rowMode: request.rowMode,
          parsers,
          ...(request.blob ? { blob: request.blob } : {}),
        });
        // Only the data fields: a PGlite result may carry getters and functions.
        return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows, blob: result.blob };
      }
      case 'exec': {
        const results = await on(request.tx).exec(request.sql);
        return results.map((result) => ({ rows: result.rows, fields: result.fields, affectedRows: result.affectedRows }));
      }
      case 'begin':
        return begin();
      case 'end': {
        const entry = open.get(request.tx);
        if (!entry) throw new Error(`transaction ${request.tx} of the embedded database is not open`);
        entry.end(request.commit);
        await entry.done;
        return null;
      }
      case 'dumpDataDir':
        return client.dumpDataDir();
      case 'migrate':
        // Here rather than from the main thread: the migrations' statements would each wait for a turn
        // of a main thread busy loading the app (docs/performance.md, "P8 and start-up with PGlite's thread").
        await migrate(client, request.migrations);
        return null;
      case 'close':
        await client.close();
        return null;
    }
  }

  // Requests' statements before bulk ones: a statement marked BULK_STATEMENT (a backfill's or a
  // seed's history write, outside any transaction) waits while any other statement is under way, so
  // an API read queues behind at most the bulk statement already in PGlite (docs/performance.md, "P8
  // with bucketed history").
  let urgent = 0;
  const held: Array<() => void> = [];
  port.on('message', (request: PgliteRequest) => {
    const bulk = isBulkStatement(request);
    const run = () =>
      answer(request)
        .then(
          (value) => port.postMessage({ id: request.id, ok: true, value } satisfies PgliteReply),
          (error: unknown) => port.postMessage({ id: request.id, ok: false, error: errorToData(error) } satisfies PgliteReply),
        )
        .finally(() => {
          if (bulk || --urgent > 0) return;
          for (const next of held.splice(0)) next();
        });
    if (!bulk) {
      urgent++;
      void run();
      return;
    }
    // PGlite holds this thread while a statement runs: the messages that came meanwhile are all
    // delivered before the next turn, so a bulk statement looks for requests' statements only then.
    setImmediate(() => (urgent > 0 ? held.push(run) : void run()));
  });
  port.postMessage({ ready: true } satisfies PgliteReady);
}

/**
 * Drizzle's migrator (`PgDialect.migrate`, drizzle-orm 0.x: the same table, the same rule) run on PGlite
 * directly, so the thread does not load drizzle (≈ 0.2 s of CPU at start-up): every migration newer than
 * the last one recorded, in one transaction, each recorded with its hash and journal time.
 */
async function migrate(client: PGlite, migrations: readonly PgliteMigration[]): Promise<void> {
  const table = '"drizzle"."__drizzle_migrations"';
  await client.exec(`CREATE SCHEMA IF NOT EXISTS "drizzle"`);
  await client.exec(`CREATE TABLE IF NOT EXISTS ${table} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`);
  const last = (await client.query<{ created_at: string | number }>(`select id, hash, created_at from ${table} order by created_at desc limit 1`)).rows[0];
  await client.transaction(async (tx) => {
    for (const migration of migrations) {
      if (last && Number(last.created_at) >= migration.folderMillis) continue;
      for (const statement of migration.sql) await tx.exec(statement);
      await tx.query(`insert into ${table} ("hash", "created_at") values ($1, $2)`, [migration.hash, migration.folderMillis]);
    }
  });
}
