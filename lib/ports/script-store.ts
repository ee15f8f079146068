import type { Diagnostic } from '../model/diagnostic';
import type { ScriptState } from '../model/script';
import type { ScriptDraft } from '../model/script-schema';
import type { TagState } from '../model/tag-value';

/**
 * Where scripts, their registration state and the restart snapshot live. One schema, one migration
 * folder; adapters for the embedded database (PGlite) and PostgreSQL.
 *
 * Errors: a duplicate name or an output tag owned by another script is a UserError CONFLICT (the
 * database enforces both); an unreachable database is an OperationalError naming "database".
 */

export interface StoredScript {
  id: string;
  definition: ScriptDraft;
  version: number;
  state: ScriptState;
  lastError: Diagnostic | null;
  createdAt: Date;
  updatedAt: Date;
  /** Increases with every change of any script (create, update, state change, delete). */
  revision: number;
  deleted: boolean;
}

export interface ScriptStats {
  scriptId: string;
  evaluations: number;
  errors: number;
  avgMicros: number;
  lastRunAt: Date | null;
  /** The next retry of a quarantined script (the engine's), null when none is planned. */
  retryAt?: Date | null;
}

export interface ScriptStore {
  readonly kind: 'embedded' | 'postgres';

  /** Scripts not deleted, by name. */
  list(): Promise<StoredScript[]>;
  get(id: string): Promise<StoredScript | null>;
  /** Throws CONFLICT for a duplicate name or an output tag another script produces. */
  create(draft: ScriptDraft): Promise<StoredScript>;
  /** Version + 1. Null when the script does not exist. Same conflicts as create. */
  update(id: string, draft: ScriptDraft): Promise<StoredScript | null>;
  /** Marks the script deleted (its name and output tags become free). False when unknown. */
  delete(id: string): Promise<boolean>;
  setState(id: string, state: ScriptState, lastError: Diagnostic | null): Promise<StoredScript | null>;

  /** Every change (deletions included) with a revision above `revision`, in revision order. */
  changesSince(revision: number): Promise<StoredScript[]>;

  saveStats(stats: ScriptStats[]): Promise<void>;
  loadStats(): Promise<ScriptStats[]>;

  /** The restart snapshot: latest value of every tag (raw and computed). Upsert, newer ts wins. */
  saveLatest(values: TagState[]): Promise<void>;
  loadLatest(): Promise<TagState[]>;

  /** Resolves when the database answers; throws OperationalError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
