import { eq, sql } from 'drizzle-orm';
import { tagLatest, tagMeta } from '../../../db/schema';
import type { TagMeta } from '../../model/tag-meta';
import type { TagMetaStore } from '../../ports/tag-meta-store';
import { translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

/** The TagMetaStore over PGlite or PostgreSQL (both drizzle PgDatabases), table tag_meta. */
export class SqlTagMetaStore implements TagMetaStore {
  private readonly db: SqlDatabase;

  constructor(database: DatabaseHandle) {
    this.db = database.db;
  }

  listMeta(): Promise<TagMeta[]> {
    return guard(async () => {
      const rows = await this.db.select().from(tagMeta).orderBy(sql`${tagMeta.tag} collate "C"`);
      return rows.map(toTagMeta);
    });
  }

  getMeta(tag: string): Promise<TagMeta | null> {
    return guard(async () => {
      const [row] = await this.db.select().from(tagMeta).where(eq(tagMeta.tag, tag));
      return row ? toTagMeta(row) : null;
    });
  }

  putMeta(meta: TagMeta): Promise<TagMeta> {
    return guard(async () => {
      const values = { description: meta.description, unit: meta.unit, lo: meta.lo, hi: meta.hi, updatedAt: sql`now()` };
      const [row] = await this.db
        .insert(tagMeta)
        .values({ tag: meta.tag, ...values })
        .onConflictDoUpdate({ target: tagMeta.tag, set: values })
        .returning();
      return toTagMeta(row);
    });
  }

  seedMeta(entries: readonly TagMeta[]): Promise<number> {
    if (entries.length === 0) return Promise.resolve(0);
    return guard(async () => {
      const rows = await this.db
        .insert(tagMeta)
        .values(entries.map(({ tag, description, unit, lo, hi }) => ({ tag, description, unit, lo, hi })))
        .onConflictDoNothing({ target: tagMeta.tag })
        .returning({ tag: tagMeta.tag });
      return rows.length;
    });
  }

  forgetTag(tag: string): Promise<boolean> {
    return guard(() =>
      this.db.transaction(async (tx) => {
        const meta = await tx.delete(tagMeta).where(eq(tagMeta.tag, tag)).returning({ tag: tagMeta.tag });
        const latest = await tx.delete(tagLatest).where(eq(tagLatest.tag, tag)).returning({ tag: tagLatest.tag });
        return meta.length + latest.length > 0;
      }),
    );
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

function toTagMeta(row: typeof tagMeta.$inferSelect): TagMeta {
  return { tag: row.tag, description: row.description, unit: row.unit, lo: row.lo, hi: row.hi };
}
