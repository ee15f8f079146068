import type { TagMeta } from '../model/tag-meta';

/**
 * Where the metadata of raw tags lives (description, unit, normal range lo/hi): the same database as
 * the scripts (PGlite or PostgreSQL), one table. An unreachable database is an OperationalError
 * naming "database", as for the ScriptStore.
 */
export interface TagMetaStore {
  /** Every stored entry, by tag. */
  listMeta(): Promise<TagMeta[]>;
  getMeta(tag: string): Promise<TagMeta | null>;
  /** Replaces the tag's entry (all four fields) and gives back what is stored. */
  putMeta(meta: TagMeta): Promise<TagMeta>;
  /** Stores entries for tags that have none; keeps an entry a user has set. Returns how many were added. */
  seedMeta(entries: readonly TagMeta[]): Promise<number>;
  /**
   * Removes a tag from what the database keeps about it: its metadata and its row of the restart
   * snapshot (history is left to its retention). False when there was neither.
   */
  forgetTag(tag: string): Promise<boolean>;
}
