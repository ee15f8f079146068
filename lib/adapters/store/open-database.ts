import { cpSync, mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import { migrate as migrateNodePg } from 'drizzle-orm/node-postgres/migrator';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import pg from 'pg';
import { isAppError, messageOf, OperationalError, UnexpectedError, type AppError } from '../../model/errors';
import { silentLogger, type Logger } from '../../support/logger';
import { PgliteThreadClient } from './pglite-thread-client';

/**
 * Opens the SQL database behind the script store and the embedded history: PGlite (embedded
 * PostgreSQL in WebAssembly, on disk under `${DATA_DIR}/pglite` or in memory) or a real PostgreSQL
 * through a `pg` pool. The migrations of `db/migrations` are applied before the handle is returned.
 */

/**
 * Both drizzle drivers are PgDatabase subclasses: the stores are written once against this type.
 * Results of `db.execute` differ between the drivers (both carry `rows`); prefer the query builder.
 */
export type SqlDatabase = PgDatabase<PgQueryResultHKT>;

/** What the composition root opens once and hands to every SQL-backed store. */
export interface DatabaseHandle {
  readonly kind: 'embedded' | 'postgres';
  readonly db: SqlDatabase;
  /** Ends the pool or closes PGlite. Stores built on the handle fail with OperationalError afterwards. */
  close(): Promise<void>;
}

interface CommonOptions {
  /** Where the drizzle migrations are; default `${cwd}/db/migrations` (true from sources and from dist/). */
  migrationsFolder?: string;
  /** Apply the migrations before answering; default true. False only for tools and tests. */
  migrate?: boolean;
  logger?: Logger;
}

export interface EmbeddedDatabaseOptions extends CommonOptions {
  kind: 'embedded';
  /** DATA_DIR: the database lives in `${dataDir}/pglite` (created when missing). Omit for an in-memory database. */
  dataDir?: string;
  /**
   * PGLITE_THREAD: the entry file of the embedded database's thread (workers/pglite-thread.ts, declared
   * by the process layer). Given, PGlite runs in that worker thread and this thread only sends it
   * statements (docs/decisions/0018-embedded-db-thread.md); omitted, PGlite runs on this thread.
   */
  thread?: { readonly file: string };
  /**
   * A data folder created and migrated at build time (scripts/build-pglite-template.mjs): a new data
   * folder starts as a copy of it instead of running PostgreSQL's initdb, most of a first start
   * (docs/performance.md, "P8 and start-up with PGlite's thread"). Ignored when missing, for an existing
   * folder and in memory.
   */
  template?: string;
}

export interface PostgresDatabaseOptions extends CommonOptions {
  kind: 'postgres';
  /** DATABASE_URL */
  url: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** How long to wait for a connection (new or from the pool) before failing; default 5000 ms. */
  connectTimeoutMs?: number;
  /** Server-side limit on one statement; default 30 000 ms. */
  statementTimeoutMs?: number;
}

export type OpenDatabaseOptions = EmbeddedDatabaseOptions | PostgresDatabaseOptions;

export const DEFAULT_MIGRATIONS_FOLDER = () => path.resolve(process.cwd(), 'db/migrations');

/** How long a pooled PostgreSQL connection may stay unused before the pool closes it. */
const IDLE_CONNECTION_MS = 10 * 60_000;

const POSTGRES_DEFAULTS = { maxConnections: 10, connectTimeoutMs: 5_000, statementTimeoutMs: 30_000 };

/** Serialises migrations when several processes (web, workers) start against one PostgreSQL. */
const MIGRATION_LOCK_KEY = 7_203_311_842;

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  const migrationsFolder = options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER();
  if (options.migrate !== false && !existsSync(path.join(migrationsFolder, 'meta', '_journal.json'))) {
    throw new UnexpectedError(
      `no database migrations in ${migrationsFolder} (meta/_journal.json is missing): start the server from the project folder or pass migrationsFolder`,
    );
  }
  return options.kind === 'embedded'
    ? openEmbedded(options, migrationsFolder)
    : openPostgres(options, migrationsFolder);
}

async function openEmbedded(options: EmbeddedDatabaseOptions, migrationsFolder: string): Promise<DatabaseHandle> {
  const logger = options.logger ?? silentLogger;
  let client: PGlite | PgliteThreadClient;
  const started = performance.now();
  const where = options.dataDir === undefined ? 'memory' : path.resolve(options.dataDir, 'pglite');
  try {
    const template = options.dataDir === undefined ? undefined : templateFor(where, options.template);
    if (options.thread) {
      client = new PgliteThreadClient(options.thread.file, options.dataDir === undefined ? undefined : where, template);
    } else if (options.dataDir === undefined) {
      client = new PGlite();
    } else {
      if (template) cpSync(template, where, { recursive: true });
      else mkdirSync(where, { recursive: true });
      client = new PGlite(where);
    }
    await client.waitReady;
  } catch (error) {
    throw new OperationalError('database', `the embedded database in ${where} could not be opened: ${messageOf(error)}`, { cause: error });
  }
  const openMs = Math.round(performance.now() - started);
  // The thread's client has the part of PGlite's surface the driver uses (query, exec, transaction).
  const db = drizzlePglite({ client: client as PGlite });
  try {
    if (options.migrate !== false) {
      // In the thread, the migrator runs there: one message, not one round trip per statement.
      if (client instanceof PgliteThreadClient) await client.migrate(readMigrationFiles({ migrationsFolder }));
      else await migratePglite(db, { migrationsFolder });
    }
  } catch (error) {
    await client.close().catch(() => undefined);
    throw migrationError(error);
  }
  const migrateMs = Math.round(performance.now() - started) - openMs;
  logger.info({ db: 'embedded', where, thread: options.thread !== undefined, openMs, migrateMs }, 'embedded database ready');
  let closed = false;
  return {
    kind: 'embedded',
    db: db as unknown as SqlDatabase,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The template a new data folder `where` starts from: given, a database folder, and `where` holds no database yet. */
export function templateFor(where: string, template: string | undefined): string | undefined {
  if (template === undefined || !existsSync(path.join(template, 'PG_VERSION'))) return undefined;
  return existsSync(path.join(where, 'PG_VERSION')) ? undefined : template;
}

/** Private state of a pg Client; read defensively so that a pg upgrade only disables the safeguard. */
interface PgClientInternals {
  _getActiveQuery?: () => unknown;
  _txStatus?: string | null;
  _queryable?: boolean;
}

async function openPostgres(options: PostgresDatabaseOptions, migrationsFolder: string): Promise<DatabaseHandle> {
  const logger = options.logger ?? silentLogger;
  const settings = { ...POSTGRES_DEFAULTS, ...definedOnly(options) };
  const pool = new pg.Pool({
    connectionString: options.url,
    max: settings.maxConnections,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // Idle connections are kept (a worker's polls and bursts reuse them): every new connection costs
    // a SCRAM key derivation on both sides (≈ 8 % of an idle worker's CPU when they closed after
    // 30 s). A connection the server drops errors and leaves the pool; close() ends the rest.
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    statement_timeout: settings.statementTimeoutMs,
    // A client-side guard for when the server vanishes without closing the socket (no RST).
    query_timeout: settings.statementTimeoutMs + 5_000,
    idle_in_transaction_session_timeout: Math.max(60_000, settings.statementTimeoutMs * 2),
    application_name: 'script-server',
  });

  // During an outage the pool must never crash the process, and must heal without a restart:
  //  - an idle client whose connection dies is reported here and dropped by the pool;
  //  - a checked-out client's 'error' has no listener from pg-pool, so every client gets one;
  //  - a client given back mid-query (client-side timeout) or mid-transaction is marked unusable so
  //    the pool discards it instead of lending it again. New clients are opened on demand, so the
  //    first query after the database returns simply connects again.
  let lastOutageLog = 0;
  const reportLostConnection = (error: Error) => {
    const now = Date.now();
    if (now - lastOutageLog < 10_000) return;
    lastOutageLog = now;
    logger.warn({ db: 'postgres', err: reasonOf(error) }, 'database connection lost; the pool reconnects on the next query');
  };
  pool.on('error', reportLostConnection);
  pool.on('connect', (client) => client.on('error', reportLostConnection));
  pool.on('release', (_error, client) => {
    const internals = client as unknown as PgClientInternals;
    const stuck = Boolean(internals._getActiveQuery?.()) || (typeof internals._txStatus === 'string' && internals._txStatus !== 'I');
    if (stuck && internals._queryable !== undefined) internals._queryable = false;
  });

  const db = drizzleNodePg({ client: pool });
  try {
    if (options.migrate !== false) await migratePostgres(pool, migrationsFolder);
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw migrationError(error);
  }
  logger.info({ db: 'postgres', maxConnections: settings.maxConnections }, 'database ready');
  let closed = false;
  return {
    kind: 'postgres',
    db: db as unknown as SqlDatabase,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

async function migratePostgres(pool: pg.Pool, migrationsFolder: string): Promise<void> {
  // One client for the whole migration: the session-level advisory lock and drizzle's migration
  // transaction must run on the same connection.
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await migrateNodePg(drizzleNodePg({ client }), { migrationsFolder });
    } finally {
      await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch((error: Error) => {
        broken = error;
      });
    }
  } catch (error) {
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

function migrationError(error: unknown): AppError {
  const translated = translateDatabaseError(error);
  if (translated.kind === 'operational') return translated;
  return new UnexpectedError(`the database migrations failed: ${reasonOf(error)}`, { cause: error });
}

function definedOnly(options: PostgresDatabaseOptions): Partial<typeof POSTGRES_DEFAULTS> {
  const result: Partial<typeof POSTGRES_DEFAULTS> = {};
  if (options.maxConnections !== undefined) result.maxConnections = options.maxConnections;
  if (options.connectTimeoutMs !== undefined) result.connectTimeoutMs = options.connectTimeoutMs;
  if (options.statementTimeoutMs !== undefined) result.statementTimeoutMs = options.statementTimeoutMs;
  return result;
}

// ---------------------------------------------------------------------------------------------------
// Errors, shared by every store built on a DatabaseHandle.

/** The error a driver reported, under drizzle's DrizzleQueryError ("Failed query: …") wrapper. */
export function driverErrorOf(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof Error && current.message.startsWith('Failed query:') && current.cause !== undefined) {
      current = current.cause;
      continue;
    }
    break;
  }
  return current;
}

/** SQLSTATE of a PostgreSQL error (pg and PGlite both expose `code`), or undefined. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (driverErrorOf(error) as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN', 'ENOTCONN',
]);

const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|PGlite is closed|Cannot use a pool after calling end|Client was closed|Connection closed|socket hang up/i;

/**
 * SQLSTATEs meaning "the database cannot serve us now" rather than "this statement is wrong":
 * connection exceptions (08), shutdown and restart (57P0x), a statement stopped by statement_timeout
 * or an administrator (57014), too many connections and other resource limits (53), system errors
 * (58), an unknown database or a refused login (3D000, 28).
 */
function isUnavailableSqlState(state: string): boolean {
  return (
    state.startsWith('08') || state.startsWith('53') || state.startsWith('58') || state.startsWith('28') ||
    state === '57014' || state === '57P01' || state === '57P02' || state === '57P03' || state === '57P04' || state === '57P05' ||
    state === '3D000'
  );
}

export function isDatabaseUnavailable(error: unknown): boolean {
  const cause = driverErrorOf(error);
  const state = sqlStateOf(cause);
  if (state !== undefined) return isUnavailableSqlState(state);
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (cause instanceof AggregateError && cause.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
  return UNAVAILABLE_MESSAGES.test(messageOf(cause));
}

/** Why the driver failed, in one line: "connect ECONNREFUSED 127.0.0.1:5432", "PGlite is closed"… */
export function reasonOf(error: unknown): string {
  const cause = driverErrorOf(error);
  if (cause instanceof AggregateError && cause.errors.length > 0 && !cause.message) return reasonOf(cause.errors[0]);
  const message = messageOf(cause).split('\n')[0].trim();
  const code = (cause as { code?: unknown } | null)?.code;
  if (!message) return typeof code === 'string' ? code : 'unknown error';
  if (message === 'timeout exceeded when trying to connect') return 'no connection within the connect timeout';
  return message;
}

/**
 * Turns anything a query threw into one of our errors: AppErrors pass through, an unreachable
 * database becomes OperationalError('database'), anything else an UnexpectedError that keeps the
 * driver error as its cause (never a raw driver error with SQL and parameters in its message).
 */
export function translateDatabaseError(error: unknown): AppError {
  if (isAppError(error)) return error;
  if (isDatabaseUnavailable(error)) {
    return new OperationalError('database', `the database is unavailable: ${reasonOf(error)}`, { cause: error });
  }
  const state = sqlStateOf(error);
  return new UnexpectedError(`a database statement failed${state ? ` (SQLSTATE ${state})` : ''}: ${reasonOf(error)}`, { cause: error });
}
