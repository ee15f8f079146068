import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull, ne, sql } from 'drizzle-orm';
import { scriptOutputs, scripts, scriptStats, scriptVersions, tagLatest } from '../../../db/schema';
import type { AuditAction, ChangeAuthor } from '../../model/audit';
import type { Diagnostic } from '../../model/diagnostic';
import { describeScriptChange } from '../../support/script-diff';
import { insertAuditEntry } from './sql-identity-store';
import { isAppError, OperationalError, UserError } from '../../model/errors';
import type { SaveOptions, ScriptStats, ScriptStore, StoredScript, StoredVersion, StoredVersionSummary } from '../../ports/script-store';
import type { ScriptState } from '../../model/script';
import type { ScriptDraft } from '../../model/script-schema';
import { isValueReason, QUALITIES, QUALITY_RANK, type TagScalar, type TagState } from '../../model/tag-value';
import { sqlStateOf, driverErrorOf, translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

/**
 * The ScriptStore over PGlite or PostgreSQL (one implementation: both are drizzle PgDatabases).
 *
 * Every write to `scripts` takes a transaction-scoped advisory lock before it draws its revision, so
 * revisions become visible in the order they were drawn: a worker that has read every change up to
 * revision n can never later see a change numbered below n commit (which plain sequences allow).
 * Script writes are human-paced (edits, register, quarantine), so serialising them costs nothing.
 */

/**
 * Rows per statement for bulk upserts. Each column travels as one array parameter (unnest), so the
 * 65 535-parameter limit never applies; chunks only bound the size and lock time of one statement.
 */
const ROWS_PER_STATEMENT = 5_000;
const SCRIPT_WRITE_LOCK = 7_203_311_843;
/** The largest version the `version` columns (integer) hold. */
const MAX_VERSION = 2_147_483_647;

type ScriptRow = typeof scripts.$inferSelect;

export interface SqlScriptStoreOptions {
  /** Close the database with the store. Leave false when other stores share the handle. */
  closeDatabase?: boolean;
  /**
   * How long ping() waits for an answer; default 5 000 ms. Health checks must answer even when the
   * network drops packets silently and a statement would otherwise wait for the driver's own timeout.
   */
  pingTimeoutMs?: number;
}

export class SqlScriptStore implements ScriptStore {
  readonly kind: 'embedded' | 'postgres';
  private readonly db: SqlDatabase;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly options: SqlScriptStoreOptions = {},
  ) {
    this.kind = database.kind;
    this.db = database.db;
  }

  list(): Promise<StoredScript[]> {
    return guard(async () => {
      const rows = await this.db
        .select()
        .from(scripts)
        .where(isNull(scripts.deletedAt))
        // Byte order, so that PGlite and a PostgreSQL with any locale list scripts alike.
        .orderBy(sql`${scripts.name} collate "C"`);
      return rows.map(toStoredScript);
    });
  }

  /** A deleted script is not found: its id is only reported by changesSince. */
  get(id: string): Promise<StoredScript | null> {
    return guard(async () => {
      const [row] = await this.db
        .select()
        .from(scripts)
        .where(and(eq(scripts.id, id), isNull(scripts.deletedAt)));
      return row ? toStoredScript(row) : null;
    });
  }

  async create(draft: ScriptDraft, author?: ChangeAuthor, options: SaveOptions = {}): Promise<StoredScript> {
    assertStorable(draft);
    assertStorableMessage(options.message);
    return guard(() =>
      this.withConflictsExplained(() =>
        this.writeScripts(async (tx) => {
          await assertNameFree(tx, draft.name, null);
          await assertOutputsFree(tx, outputTagsOf(draft), null);
          const [row] = await tx
            .insert(scripts)
            .values({ id: randomUUID(), name: draft.name, definition: draft, createdBy: author?.by ?? null, updatedBy: author?.by ?? null })
            .returning();
          await insertOutputs(tx, row.id, outputTagsOf(draft));
          await insertVersion(tx, row, author, options.message);
          if (author) await auditScript(tx, author, 'script.create', row, { fields: Object.keys(draft).sort(), ...messageDetail(options.message) });
          return toStoredScript(row);
        }),
      ),
    );
  }

  async update(id: string, draft: ScriptDraft, author?: ChangeAuthor, options: SaveOptions = {}): Promise<StoredScript | null> {
    assertStorable(draft);
    assertStorableMessage(options.message);
    return guard(() =>
      this.withConflictsExplained(() =>
        this.writeScripts(async (tx) => {
          const [current] = await tx
            .select({ id: scripts.id, definition: scripts.definition })
            .from(scripts)
            .where(and(eq(scripts.id, id), isNull(scripts.deletedAt)));
          if (!current) return null;
          await assertNameFree(tx, draft.name, id);
          await assertOutputsFree(tx, outputTagsOf(draft), id);
          const [row] = await tx
            .update(scripts)
            .set({
              name: draft.name,
              definition: draft,
              version: sql`${scripts.version} + 1`,
              updatedAt: sql`now()`,
              revision: nextRevision(),
              ...(author ? { updatedBy: author.by } : {}),
            })
            .where(eq(scripts.id, id))
            .returning();
          await tx.delete(scriptOutputs).where(eq(scriptOutputs.scriptId, id));
          await insertOutputs(tx, id, outputTagsOf(draft));
          await insertVersion(tx, row, author, options.message);
          if (author) {
            const details = { ...describeScriptChange(current.definition as ScriptDraft, draft), ...messageDetail(options.message), ...options.details };
            await auditScript(tx, author, options.action ?? 'script.update', row, details);
          }
          return toStoredScript(row);
        }),
      ),
    );
  }

  listVersions(id: string): Promise<{ deleted: boolean; versions: StoredVersionSummary[] } | null> {
    return guard(async () => {
      const [script] = await this.db.select({ deletedAt: scripts.deletedAt }).from(scripts).where(eq(scripts.id, id));
      if (!script) return null;
      const rows = await this.db
        .select({ version: scriptVersions.version, savedAt: scriptVersions.savedAt, savedBy: scriptVersions.savedBy, message: scriptVersions.message })
        .from(scriptVersions)
        .where(eq(scriptVersions.scriptId, id))
        .orderBy(desc(scriptVersions.version));
      return { deleted: script.deletedAt !== null, versions: rows.map((row) => ({ ...row, savedBy: row.savedBy ?? null })) };
    });
  }

  getVersion(id: string, version: number): Promise<{ deleted: boolean; latest: number; found: StoredVersion | null } | null> {
    return guard(async () => {
      const [script] = await this.db.select({ deletedAt: scripts.deletedAt, version: scripts.version }).from(scripts).where(eq(scripts.id, id));
      if (!script) return null;
      // A version number beyond the column's range (integer) cannot exist: not asked for.
      const [row] = Number.isInteger(version) && version >= 1 && version <= MAX_VERSION
        ? await this.db
            .select()
            .from(scriptVersions)
            .where(and(eq(scriptVersions.scriptId, id), eq(scriptVersions.version, version)))
        : [];
      const found: StoredVersion | null = row
        ? { version: row.version, savedAt: row.savedAt, savedBy: row.savedBy ?? null, message: row.message, definition: row.definition as ScriptDraft }
        : null;
      return { deleted: script.deletedAt !== null, latest: script.version, found };
    });
  }

  delete(id: string, author?: ChangeAuthor): Promise<boolean> {
    return guard(() =>
      this.writeScripts(async (tx) => {
        const deleted = await tx
          .update(scripts)
          .set({ deletedAt: sql`now()`, updatedAt: sql`now()`, state: 'unregistered', revision: nextRevision(), ...(author ? { updatedBy: author.by } : {}) })
          .where(and(eq(scripts.id, id), isNull(scripts.deletedAt)))
          .returning();
        if (deleted.length === 0) return false;
        if (author) await auditScript(tx, author, 'script.delete', deleted[0], {});
        // The name is freed by the partial unique index; the output tags by removing their rows.
        await tx.delete(scriptOutputs).where(eq(scriptOutputs.scriptId, id));
        return true;
      }),
    );
  }

  setState(
    id: string,
    state: ScriptState,
    lastError: Diagnostic | null,
    audit?: ChangeAuthor & { action: AuditAction; details?: Record<string, unknown> },
  ): Promise<StoredScript | null> {
    return guard(() =>
      this.writeScripts(async (tx) => {
        const [row] = await tx
          .update(scripts)
          .set({ state, lastError: lastError === null ? null : storableJson(lastError), revision: nextRevision() })
          .where(and(eq(scripts.id, id), isNull(scripts.deletedAt)))
          .returning();
        if (row && audit) await auditScript(tx, audit, audit.action, row, { state, ...(audit.details ?? {}) });
        return row ? toStoredScript(row) : null;
      }),
    );
  }

  changesSince(revision: number): Promise<StoredScript[]> {
    return guard(async () => {
      const after = Number.isFinite(revision) ? Math.floor(revision) : 0;
      const rows = await this.db.select().from(scripts).where(gt(scripts.revision, after)).orderBy(asc(scripts.revision));
      return rows.map(toStoredScript);
    });
  }

  saveStats(stats: ScriptStats[]): Promise<void> {
    const latestById = new Map(stats.map((entry) => [entry.scriptId, entry]));
    if (latestById.size === 0) return Promise.resolve();
    return guard(() =>
      this.db.transaction(async (tx) => {
        for (const batch of chunks([...latestById.values()], ROWS_PER_STATEMENT)) {
          // Stats of a script that does not exist (any more) are dropped rather than failing the batch.
          await tx.execute(sql`
            insert into ${scriptStats} (script_id, evaluations, errors, avg_micros, last_run_at, retry_at, state_notice)
            select v.script_id, v.evaluations, v.errors, v.avg_micros, v.last_run_at, v.retry_at, v.state_notice
            from unnest(
              ${sql.param(batch.map((entry) => entry.scriptId))}::text[],
              ${sql.param(batch.map((entry) => Math.round(entry.evaluations)))}::int8[],
              ${sql.param(batch.map((entry) => Math.round(entry.errors)))}::int8[],
              ${sql.param(batch.map((entry) => (Number.isFinite(entry.avgMicros) ? entry.avgMicros : 0)))}::float8[],
              ${sql.param(batch.map((entry) => entry.lastRunAt?.toISOString() ?? null))}::timestamptz[],
              ${sql.param(batch.map((entry) => entry.retryAt?.toISOString() ?? null))}::timestamptz[],
              ${sql.param(batch.map((entry) => entry.stateNotice ?? null))}::text[]
            ) as v(script_id, evaluations, errors, avg_micros, last_run_at, retry_at, state_notice)
            where exists (select 1 from ${scripts} where ${scripts.id} = v.script_id)
            on conflict (script_id) do update set
              evaluations = excluded.evaluations,
              errors = excluded.errors,
              avg_micros = excluded.avg_micros,
              last_run_at = excluded.last_run_at,
              retry_at = excluded.retry_at,
              state_notice = excluded.state_notice`);
        }
      }),
    );
  }

  loadStats(): Promise<ScriptStats[]> {
    return guard(async () => {
      const rows = await this.db.select().from(scriptStats).orderBy(asc(scriptStats.scriptId));
      return rows.map((row) => ({
        scriptId: row.scriptId,
        evaluations: Number(row.evaluations),
        errors: Number(row.errors),
        avgMicros: row.avgMicros,
        lastRunAt: row.lastRunAt,
        retryAt: row.retryAt,
        ...(row.stateNotice === null ? {} : { stateNotice: row.stateNotice }),
      }));
    });
  }

  saveLatest(values: TagState[]): Promise<void> {
    // One row per tag and statement (ON CONFLICT cannot touch a row twice): the newest value wins,
    // and at equal timestamps the one given last, as the upsert below would decide.
    const newestByTag = new Map<string, TagState>();
    for (const value of values) {
      if (!Number.isFinite(value.ts)) continue;
      const seen = newestByTag.get(value.tag);
      if (!seen || seen.ts <= value.ts) newestByTag.set(value.tag, value);
    }
    if (newestByTag.size === 0) return Promise.resolve();
    return guard(() =>
      this.db.transaction(async (tx) => {
        for (const batch of chunks([...newestByTag.values()], ROWS_PER_STATEMENT)) {
          await tx.execute(sql`
            insert into ${tagLatest} (tag, value, ts, quality, source, reason)
            select * from unnest(
              ${sql.param(batch.map((value) => value.tag))}::text[],
              ${sql.param(batch.map((value) => JSON.stringify(storableScalar(value.value))))}::jsonb[],
              ${sql.param(batch.map((value) => Math.round(value.ts)))}::int8[],
              ${sql.param(batch.map((value) => QUALITY_RANK[value.quality] ?? QUALITY_RANK.bad))}::int2[],
              ${sql.param(batch.map((value) => value.source))}::text[],
              ${sql.param(batch.map((value) => value.reason ?? null))}::text[]
            )
            on conflict (tag) do update set
              value = excluded.value,
              ts = excluded.ts,
              quality = excluded.quality,
              source = excluded.source,
              reason = excluded.reason
            where ${tagLatest.ts} <= excluded.ts`);
        }
      }),
    );
  }

  loadLatest(): Promise<TagState[]> {
    return guard(async () => {
      const rows = await this.db.select().from(tagLatest).orderBy(asc(tagLatest.tag));
      return rows.map((row) => ({
        tag: row.tag,
        value: (row.value ?? null) as TagScalar,
        ts: Number(row.ts),
        quality: QUALITIES[row.quality] ?? 'bad',
        source: row.source,
        ...(isValueReason(row.reason) ? { reason: row.reason } : {}),
      }));
    });
  }

  ping(): Promise<void> {
    const timeoutMs = this.options.pingTimeoutMs ?? 5_000;
    let timer: NodeJS.Timeout | undefined;
    const answered = guard(async () => {
      await this.db.execute(sql`select 1`);
    });
    const timedOut = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new OperationalError('database', `the database is unavailable: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    // The statement left behind ends by the driver's own timeouts; its failure is already reported here.
    answered.catch(() => undefined);
    return Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
  }

  async close(): Promise<void> {
    if (this.options.closeDatabase) await this.database.close();
  }

  /** A transaction that writes `scripts`; see the note at the top about the lock. */
  private writeScripts<T>(work: (tx: SqlDatabase) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(SCRIPT_WRITE_LOCK))})`);
      return work(tx);
    });
  }

  /**
   * The checks inside the transaction explain conflicts in the common case; this catches what only
   * the unique indexes saw (a writer that bypassed the lock) and explains it the same way.
   */
  private async withConflictsExplained<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (isAppError(error) || sqlStateOf(error) !== '23505') throw error;
      const violation = driverErrorOf(error) as { constraint?: string; detail?: string };
      if (violation.constraint === 'scripts_name_live') {
        const name = /=\((.*)\) already exists/.exec(violation.detail ?? '')?.[1] ?? '';
        throw nameConflict(name);
      }
      if (violation.constraint === 'script_outputs_pkey') {
        const tag = /=\((.*)\) already exists/.exec(violation.detail ?? '')?.[1] ?? '';
        const [owner] = await this.db
          .select({ id: scripts.id, name: scripts.name })
          .from(scriptOutputs)
          .innerJoin(scripts, eq(scripts.id, scriptOutputs.scriptId))
          .where(eq(scriptOutputs.tag, tag));
        throw outputConflict(tag, owner?.name ?? 'another script', owner?.id);
      }
      throw error;
    }
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

function nextRevision() {
  return sql`nextval('script_revision_seq')`;
}

function outputTagsOf(draft: ScriptDraft): string[] {
  return [...new Set(draft.outputs.map((output) => output.tag))];
}

async function assertNameFree(tx: SqlDatabase, name: string, exceptId: string | null): Promise<void> {
  const [holder] = await tx
    .select({ id: scripts.id })
    .from(scripts)
    .where(and(eq(scripts.name, name), isNull(scripts.deletedAt), exceptId === null ? undefined : ne(scripts.id, exceptId)))
    .limit(1);
  if (holder) throw nameConflict(name);
}

async function assertOutputsFree(tx: SqlDatabase, tags: string[], exceptId: string | null): Promise<void> {
  if (tags.length === 0) return;
  const [taken] = await tx
    .select({ tag: scriptOutputs.tag, id: scripts.id, name: scripts.name })
    .from(scriptOutputs)
    .innerJoin(scripts, eq(scripts.id, scriptOutputs.scriptId))
    .where(and(inArray(scriptOutputs.tag, tags), exceptId === null ? undefined : ne(scriptOutputs.scriptId, exceptId)))
    .orderBy(asc(scriptOutputs.tag))
    .limit(1);
  if (taken) throw outputConflict(taken.tag, taken.name, taken.id);
}

async function insertOutputs(tx: SqlDatabase, scriptId: string, tags: string[]): Promise<void> {
  for (const batch of chunks(tags, ROWS_PER_STATEMENT)) {
    await tx.insert(scriptOutputs).values(batch.map((tag) => ({ tag, scriptId })));
  }
}

/** The version row of a create or update, in its transaction: the whole draft as saved, who, when. */
async function insertVersion(tx: SqlDatabase, row: ScriptRow, author: ChangeAuthor | undefined, message: string | undefined): Promise<void> {
  await tx.insert(scriptVersions).values({
    scriptId: row.id,
    version: row.version,
    definition: row.definition,
    savedAt: row.updatedAt,
    savedBy: author?.by ?? null,
    message: message ?? null,
  });
}

function messageDetail(message: string | undefined): { message?: string } {
  return message === undefined ? {} : { message };
}

function assertStorableMessage(message: string | undefined): void {
  if (message !== undefined && HAS_UNSTORABLE.test(message)) {
    throw new UserError('VALIDATION_FAILED', 'message contains a character that cannot be saved (a NUL character or an unpaired surrogate)', { path: 'message' });
  }
}

function nameConflict(name: string): UserError {
  return new UserError('CONFLICT', `a script named '${name}' already exists`, { name });
}

function outputConflict(tag: string, ownerName: string, ownerId: string | undefined): UserError {
  return new UserError('CONFLICT', `output tag '${tag}' is already produced by script '${ownerName}'`, {
    tag,
    script: ownerName,
    ...(ownerId ? { scriptId: ownerId } : {}),
  });
}

function toStoredScript(row: ScriptRow): StoredScript {
  return {
    id: row.id,
    definition: row.definition as ScriptDraft,
    version: row.version,
    state: row.state,
    lastError: (row.lastError ?? null) as Diagnostic | null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    revision: Number(row.revision),
    deleted: row.deletedAt !== null,
    createdBy: row.createdBy ?? null,
    updatedBy: row.updatedBy ?? null,
  };
}

/** The audit entry of a script change, in the change's transaction (security.md). */
function auditScript(tx: SqlDatabase, author: ChangeAuthor, action: AuditAction, row: ScriptRow, details: Record<string, unknown>): Promise<void> {
  return insertAuditEntry(
    tx,
    {
      actor: author.actor,
      action,
      target: { type: 'script', id: row.id, name: row.name },
      version: row.version,
      details,
      requestId: author.requestId,
      ...(author.ip === undefined ? {} : { ip: author.ip }),
    },
    new Date(),
  );
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

// PostgreSQL text and jsonb cannot hold NUL, and jsonb refuses unpaired UTF-16 surrogates.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const HAS_UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A script definition is the user's own text: refuse it with a path rather than alter it. */
function assertStorable(draft: ScriptDraft): void {
  const path = unstorablePath(draft, '');
  if (path !== null) {
    throw new UserError(
      'VALIDATION_FAILED',
      `${path || 'the script'} contains a character that cannot be saved (a NUL character or an unpaired surrogate)`,
      { path },
    );
  }
}

function unstorablePath(value: unknown, path: string): string | null {
  if (typeof value === 'string') return HAS_UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const found = unstorablePath(value[index], `${path}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const found = unstorablePath(item, path ? `${path}.${key}` : key);
      if (found !== null) return found;
    }
  }
  return null;
}

/** Values from the plant and messages we generate are stored with U+FFFD in place of the unstorable. */
function storableScalar(value: TagScalar): TagScalar {
  if (typeof value === 'string') return value.replace(UNSTORABLE, '\ufffd');
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value ?? null;
}

function storableJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.replace(UNSTORABLE, '\ufffd') : item))) as T;
}
