import { and, asc, desc, eq, gt, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import { jobs } from '../../../db/schema';
import type { JobProgress, StoredJob } from '../../model/job';
import type { JobAuthor, JobQuery, JobStore } from '../../ports/job-store';
import { insertAuditEntry } from './sql-identity-store';
import { translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

const ACTIVE = ['queued', 'running'] as const;
const DEFAULT_LIST_LIMIT = 200;

/** The JobStore over PGlite or PostgreSQL, table jobs. */
export class SqlJobStore implements JobStore {
  private readonly db: SqlDatabase;

  constructor(database: DatabaseHandle) {
    this.db = database.db;
  }

  create(job: StoredJob, author: JobAuthor | null): Promise<{ ok: true; job: StoredJob } | { ok: false; overlapping: StoredJob }> {
    return this.guard(() =>
      this.db.transaction(async (tx) => {
        // One start at a time per script: two overlapping requests cannot both pass the check.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`jobs:${job.scriptId}`}))`);
        const [overlapping] = await tx
          .select()
          .from(jobs)
          .where(and(eq(jobs.scriptId, job.scriptId), inArray(jobs.state, [...ACTIVE]), lt(jobs.from, job.to), gt(jobs.to, job.from)))
          .limit(1);
        if (overlapping) return { ok: false as const, overlapping: toStoredJob(overlapping) };
        const [row] = await tx.insert(jobs).values(job).returning();
        if (author) await auditJob(tx, author, 'backfill.start', row);
        return { ok: true as const, job: toStoredJob(row) };
      }),
    );
  }

  get(id: string): Promise<StoredJob | null> {
    return this.guard(async () => {
      const [row] = await this.db.select().from(jobs).where(eq(jobs.id, id));
      return row ? toStoredJob(row) : null;
    });
  }

  list(query: JobQuery): Promise<StoredJob[]> {
    return this.guard(async () => {
      const where: SQL[] = [];
      if (query.scriptId !== undefined) where.push(eq(jobs.scriptId, query.scriptId));
      if (query.state !== undefined) where.push(eq(jobs.state, query.state));
      const rows = await this.db
        .select()
        .from(jobs)
        .where(where.length > 0 ? and(...where) : undefined)
        .orderBy(desc(jobs.createdAt), desc(jobs.id))
        .limit(query.limit ?? DEFAULT_LIST_LIMIT);
      return rows.map(toStoredJob);
    });
  }

  cancel(id: string, at: Date, author: JobAuthor | null): Promise<StoredJob | null> {
    return this.guard(() =>
      this.db.transaction(async (tx) => {
        const [row] = await tx
          .update(jobs)
          .set({ state: 'cancelled', finishedAt: at })
          .where(and(eq(jobs.id, id), inArray(jobs.state, [...ACTIVE])))
          .returning();
        if (!row) {
          const [current] = await tx.select().from(jobs).where(eq(jobs.id, id));
          return current ? toStoredJob(current) : null;
        }
        if (author) await auditJob(tx, author, 'backfill.cancel', row);
        return toStoredJob(row);
      }),
    );
  }

  claim(now: Date, staleBefore: Date): Promise<StoredJob | null> {
    return this.guard(() =>
      this.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext('jobs:claim'))`);
        const [candidate] = await tx
          .select({ id: jobs.id })
          .from(jobs)
          .where(or(eq(jobs.state, 'queued'), and(eq(jobs.state, 'running'), lt(jobs.heartbeatAt, staleBefore))))
          .orderBy(asc(jobs.createdAt), asc(jobs.id))
          .limit(1);
        if (!candidate) return null;
        const [row] = await tx
          .update(jobs)
          .set({ state: 'running', heartbeatAt: now, startedAt: sql`coalesce(${jobs.startedAt}, ${now})` })
          .where(eq(jobs.id, candidate.id))
          .returning();
        return row ? toStoredJob(row) : null;
      }),
    );
  }

  saveProgress(id: string, progress: JobProgress, now: Date): Promise<boolean> {
    return this.guard(async () => {
      const rows = await this.db
        .update(jobs)
        .set({ progress, heartbeatAt: now })
        .where(and(eq(jobs.id, id), eq(jobs.state, 'running')))
        .returning({ id: jobs.id });
      if (rows.length > 0) return true;
      // Cancelled meanwhile: what was written is still reported.
      await this.db.update(jobs).set({ progress }).where(eq(jobs.id, id));
      return false;
    });
  }

  finish(id: string, state: 'done' | 'failed', progress: JobProgress, error: string | null, at: Date): Promise<void> {
    return this.guard(async () => {
      const rows = await this.db
        .update(jobs)
        .set({ state, progress, error, finishedAt: at, heartbeatAt: at })
        .where(and(eq(jobs.id, id), eq(jobs.state, 'running')))
        .returning({ id: jobs.id });
      if (rows.length === 0) await this.db.update(jobs).set({ progress }).where(eq(jobs.id, id));
    });
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateDatabaseError(error);
    }
  }
}

function auditJob(tx: SqlDatabase, author: JobAuthor, action: 'backfill.start' | 'backfill.cancel', row: typeof jobs.$inferSelect): Promise<void> {
  return insertAuditEntry(
    tx,
    {
      actor: author.actor,
      action,
      target: { type: 'script', id: row.scriptId, name: author.scriptName },
      version: row.version,
      details: { jobId: row.id, from: new Date(row.from).toISOString(), to: new Date(row.to).toISOString(), mode: row.mode },
      requestId: author.requestId,
      ...(author.ip === undefined ? {} : { ip: author.ip }),
    },
    new Date(),
  );
}

function toStoredJob(row: typeof jobs.$inferSelect): StoredJob {
  return {
    id: row.id,
    kind: row.kind,
    scriptId: row.scriptId,
    version: row.version,
    from: row.from,
    to: row.to,
    mode: row.mode,
    state: row.state,
    progress: row.progress as JobProgress,
    warnings: row.warnings,
    createdAt: row.createdAt,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    heartbeatAt: row.heartbeatAt,
    error: row.error,
    createdBy: row.createdBy ?? null,
  };
}
