import type { Worker } from 'node:worker_threads';
import { spawnThread } from '../../threads/thread-rpc';
import { errorFromData, type PgliteMigration, type PgliteReady, type PgliteReply, type PgliteRequest, type PgliteThreadData } from './pglite-thread-protocol';

/**
 * The main thread's side of the embedded database's thread (docs/decisions/0018-embedded-db-thread.md):
 * the part of PGlite's surface that drizzle's pglite driver, its migrator and the history store use —
 * `query`, `exec`, `transaction`, `dumpDataDir`, `close` — with every statement run by PGlite in its
 * own worker thread. A transaction is pinned there: its statements carry its number and run on it.
 *
 * Result parsers cannot cross a thread (they are functions): the types they name come back as
 * PostgreSQL's text and the parsers run here, on those columns only.
 */

type Parser = (value: string, typeId: number) => unknown;

export interface QueryOptions {
  rowMode?: 'array' | 'object';
  parsers?: Record<number, Parser>;
  blob?: Blob;
}

export interface ThreadResults {
  rows: unknown[];
  fields: Array<{ name: string; dataTypeID: number }>;
  affectedRows?: number;
  blob?: Blob;
}

type RequestBody = PgliteRequest extends infer R ? (R extends PgliteRequest ? Omit<R, 'id'> : never) : never;

/** What runs statements: the database, or one open transaction of it. */
export interface PgliteQueryable {
  query(sql: string, params?: unknown[], options?: QueryOptions): Promise<ThreadResults>;
  exec(sql: string): Promise<ThreadResults[]>;
}

export interface PgliteThreadTransaction extends PgliteQueryable {
  rollback(): Promise<void>;
  readonly closed: boolean;
}

export class PgliteThreadClient implements PgliteQueryable {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private stopped: Error | null = null;
  /** Resolved: PGlite is open in the thread (the same name as PGlite's own). */
  readonly waitReady: Promise<void>;

  /**
   * Starts the thread of `file` (workers/pglite-thread.ts or its bundle) with PGlite on `where` (undefined:
   * in memory); a new folder starts as a copy of `template` (a data folder, copied in the thread) when given.
   */
  constructor(file: string, where: string | undefined, template?: string) {
    this.worker = spawnThread(file, { name: 'embedded database', workerData: { where, template } satisfies PgliteThreadData });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.worker.once('message', (ready: PgliteReady) => {
        this.worker.on('message', (reply: PgliteReply) => this.settle(reply));
        if (this.pending.size === 0) this.worker.unref();
        if (ready.ready) resolve();
        else reject(errorFromData(ready.error));
      });
      this.worker.once('exit', (code) => reject(new Error(`the embedded database thread stopped before it opened (exit code ${code})`)));
    });
    this.worker.on('error', (error) => this.stop(new Error(`PGlite is closed: the embedded database thread failed: ${error.message}`)));
    this.worker.on('exit', (code) => this.stop(new Error(`PGlite is closed: the embedded database thread stopped (exit code ${code})`)));
  }

  private readonly worker: Worker;

  get closed(): boolean {
    return this.stopped !== null;
  }

  query(sql: string, params: unknown[] = [], options: QueryOptions = {}): Promise<ThreadResults> {
    return this.queryOn(0, sql, params, options);
  }

  exec(sql: string): Promise<ThreadResults[]> {
    return this.send({ op: 'exec', tx: 0, sql }) as Promise<ThreadResults[]>;
  }

  /** Like PGlite's: `callback`'s statements in one transaction, committed when it resolves, rolled back when it throws. */
  async transaction<T>(callback: (tx: PgliteThreadTransaction) => Promise<T>): Promise<T> {
    const id = (await this.send({ op: 'begin' })) as number;
    let closed = false;
    const tx: PgliteThreadTransaction = {
      query: (sql, params = [], options = {}) => this.queryOn(id, sql, params, options),
      exec: (sql) => this.send({ op: 'exec', tx: id, sql }) as Promise<ThreadResults[]>,
      rollback: async () => {
        closed = true;
      },
      get closed() {
        return closed;
      },
    };
    let result: T;
    try {
      result = await callback(tx);
    } catch (error) {
      await this.send({ op: 'end', tx: id, commit: false }).catch(() => undefined);
      throw error;
    }
    await this.send({ op: 'end', tx: id, commit: !closed });
    return result;
  }

  /** Applies drizzle's migrations (read here, by drizzle's `readMigrationFiles`) in the thread, in one message. */
  async migrate(migrations: PgliteMigration[]): Promise<void> {
    await this.send({ op: 'migrate', migrations });
  }

  dumpDataDir(): Promise<Blob> {
    return this.send({ op: 'dumpDataDir' }) as Promise<Blob>;
  }

  /** Closes PGlite (its files flushed) and stops the thread. */
  async close(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.send({ op: 'close' });
    } finally {
      this.stop(new Error('PGlite is closed'));
      await this.worker.terminate();
    }
  }

  private async queryOn(tx: number, sql: string, params: unknown[], options: QueryOptions): Promise<ThreadResults> {
    const parsers = options.parsers ?? {};
    const rawTypes = Object.keys(parsers).map(Number);
    const result = (await this.send({ op: 'query', tx, sql, params, rawTypes, rowMode: options.rowMode, blob: options.blob })) as ThreadResults;
    if (rawTypes.length > 0) parseColumns(result, parsers, options.rowMode ?? 'object');
    return result;
  }

  private send(body: RequestBody): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Held open only while a statement is under way: an idle database never keeps the process alive.
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...body, id } as PgliteRequest);
    });
  }

  private settle(reply: PgliteReply): void {
    const entry = this.pending.get(reply.id);
    if (!entry) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker.unref();
    if (reply.ok) entry.resolve(reply.value);
    else entry.reject(errorFromData(reply.error));
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }
}

/** Applies the main thread's parsers to the columns of their types (sent back as text). */
function parseColumns(result: ThreadResults, parsers: Record<number, Parser>, rowMode: 'array' | 'object'): void {
  result.fields.forEach((field, index) => {
    const parse = parsers[field.dataTypeID];
    if (!parse) return;
    const key = rowMode === 'array' ? index : field.name;
    for (const row of result.rows as Array<Record<string | number, unknown>>) {
      const value = row[key];
      if (typeof value === 'string') row[key] = parse(value, field.dataTypeID);
    }
  });
}
