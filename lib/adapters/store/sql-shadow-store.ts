import { and, eq, sql } from 'drizzle-orm';
import { shadowRuns } from '../../../db/schema';
import type { ScriptDraft } from '../../model/script-schema';
import type { ShadowReport } from '../../model/shadow';
import type { NewShadow, ShadowStore, StoredShadow } from '../../ports/shadow-store';
import { translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

/** The ShadowStore over PGlite or PostgreSQL, table shadow_runs. */
export class SqlShadowStore implements ShadowStore {
  private readonly db: SqlDatabase;

  constructor(database: DatabaseHandle) {
    this.db = database.db;
  }

  put(shadow: NewShadow): Promise<void> {
    return guard(async () => {
      const values = {
        shadowId: shadow.shadowId,
        version: shadow.version,
        definition: shadow.definition,
        startedAt: shadow.startedAt,
        startedBy: shadow.startedBy,
        report: null,
        reportAt: null,
      };
      await this.db
        .insert(shadowRuns)
        .values({ scriptId: shadow.scriptId, ...values })
        .onConflictDoUpdate({ target: shadowRuns.scriptId, set: values });
    });
  }

  get(scriptId: string): Promise<StoredShadow | null> {
    return guard(async () => {
      const [row] = await this.db.select().from(shadowRuns).where(eq(shadowRuns.scriptId, scriptId));
      return row ? toStoredShadow(row) : null;
    });
  }

  list(): Promise<StoredShadow[]> {
    return guard(async () => (await this.db.select().from(shadowRuns).orderBy(sql`${shadowRuns.scriptId} collate "C"`)).map(toStoredShadow));
  }

  remove(scriptId: string, shadowId?: string): Promise<boolean> {
    return guard(async () => {
      const which = shadowId === undefined ? eq(shadowRuns.scriptId, scriptId) : and(eq(shadowRuns.scriptId, scriptId), eq(shadowRuns.shadowId, shadowId));
      return (await this.db.delete(shadowRuns).where(which).returning({ scriptId: shadowRuns.scriptId })).length > 0;
    });
  }

  saveReport(scriptId: string, shadowId: string, report: ShadowReport, at: Date): Promise<void> {
    return guard(async () => {
      await this.db
        .update(shadowRuns)
        .set({ report, reportAt: at })
        .where(and(eq(shadowRuns.scriptId, scriptId), eq(shadowRuns.shadowId, shadowId)));
    });
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

function toStoredShadow(row: typeof shadowRuns.$inferSelect): StoredShadow {
  return {
    shadowId: row.shadowId,
    scriptId: row.scriptId,
    version: row.version,
    definition: row.definition as ScriptDraft,
    startedAt: row.startedAt,
    startedBy: row.startedBy ?? null,
    report: (row.report as ShadowReport | null) ?? null,
    reportAt: row.reportAt,
  };
}
