/**
 * The messages between the main thread's PGlite proxy (`pglite-thread-client.ts`) and the thread that
 * runs PGlite (`pglite-thread-server.ts`). One module, imported by both sides.
 */

/** What the thread is started with (workerData). */
export interface PgliteThreadData {
  /** The folder PGlite opens (`${DATA_DIR}/pglite`); undefined for an in-memory database. */
  readonly where: string | undefined;
  /** A migrated data folder that a new folder `where` starts as a copy of, skipping initdb. */
  readonly template?: string;
}

/** A statement: on the database, or inside the open transaction `tx` (0: none). */
export type PgliteRequest =
  | {
      id: number;
      op: 'query';
      tx: number;
      sql: string;
      params: unknown[];
      /** Result types whose text the main thread parses (drizzle's parsers): sent back unparsed. */
      rawTypes: number[];
      rowMode?: 'array' | 'object';
      blob?: Blob;
    }
  | { id: number; op: 'exec'; tx: number; sql: string }
  /** Opens a transaction pinned to the thread; answers its number. */
  | { id: number; op: 'begin' }
  /** Commits (or rolls back) transaction `tx`; answers when PGlite has. */
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'dumpDataDir' }
  /** Applies drizzle migrations (as drizzle's migrator reads them) inside the thread: one message instead of one per statement. */
  | { id: number; op: 'migrate'; migrations: PgliteMigration[] }
  | { id: number; op: 'close' };

/** One migration file as drizzle's `readMigrationFiles` reads it: its statements, its journal time, its hash. */
export interface PgliteMigration {
  sql: string[];
  folderMillis: number;
  hash: string;
}

/** A driver error as data: its name, message and every plain field (code, detail, position…). */
export interface PgliteErrorData {
  name: string;
  message: string;
  fields: Record<string, string | number | boolean | null>;
}

export type PgliteReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: PgliteErrorData };

/** The first message of the thread: PGlite is open, or why not. */
export type PgliteReady = { ready: true } | { ready: false; error: PgliteErrorData };

export function errorToData(error: unknown): PgliteErrorData {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: PgliteErrorData['fields'] = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value as string | number | boolean | null;
  }
  return { name: error.name, message: error.message, fields };
}

/** The driver error again, with the same `code` (SQLSTATE), `detail`… that translateDatabaseError reads. */
export function errorFromData(data: PgliteErrorData): Error {
  const error = new Error(data.message) as Error & Record<string, unknown>;
  for (const [key, value] of Object.entries(data.fields)) if (key !== 'message' && key !== 'stack') error[key] = value;
  error.name = data.name;
  return error;
}

/**
 * The mark a bulk statement starts with (the SQL comment of a history store's bulk write): the thread
 * runs it only when no other statement is under way. Never inside a transaction (its statements must
 * run in order with the transaction's).
 */
export const BULK_STATEMENT = '/* bulk */';

export function isBulkStatement(request: PgliteRequest): boolean {
  return request.op === 'query' && request.tx === 0 && request.sql.startsWith(BULK_STATEMENT);
}
