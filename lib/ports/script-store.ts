import type { AuditAction, ChangeAuthor } from '../model/audit';
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
  /** Who created it and changed it last (absent or null before sign-in existed, and in test doubles). */
  createdBy?: { id: string; name: string } | null;
  updatedBy?: { id: string; name: string } | null;
}

/** One saved version of a script (changes.md): immutable, kept when the script is deleted. */
export interface StoredVersion {
  version: number;
  savedAt: Date;
  /** Who saved it; null when unknown (before sign-in existed, tools). */
  savedBy: { id: string; name: string } | null;
  message: string | null;
  definition: ScriptDraft;
}

export type StoredVersionSummary = Omit<StoredVersion, 'definition'>;

/** What a save records beside the draft: the version's message, and for an update the audit action and extra details. */
export interface SaveOptions {
  message?: string;
  /** `script.rollback` for a rollback (default `script.update`); only with an author. */
  action?: Extract<AuditAction, 'script.update' | 'script.rollback'>;
  /** Merged into the audit entry's details (e.g. `rolledBackTo`, `force`). */
  details?: Record<string, unknown>;
}

export interface ScriptStats {
  scriptId: string;
  evaluations: number;
  errors: number;
  avgMicros: number;
  lastRunAt: Date | null;
  /** The next retry of a quarantined script (the engine's), null when none is planned. */
  retryAt?: Date | null;
  /** WORKER_MODE=partitioned: why its static state could not move to this worker (null: none). */
  stateNotice?: string | null;
}

export interface ScriptStore {
  readonly kind: 'embedded' | 'postgres';

  /** Scripts not deleted, by name. */
  list(): Promise<StoredScript[]>;
  get(id: string): Promise<StoredScript | null>;
  /**
   * Throws CONFLICT for a duplicate name or an output tag another script produces. With an `author`
   * the change carries `createdBy`/`updatedBy` and its audit entry (script.create, script.update with
   * the changed fields and a diff of the code, script.delete) is written in the same transaction.
   */
  create(draft: ScriptDraft, author?: ChangeAuthor, options?: SaveOptions): Promise<StoredScript>;
  /** Version + 1. Null when the script does not exist. Same conflicts as create. */
  update(id: string, draft: ScriptDraft, author?: ChangeAuthor, options?: SaveOptions): Promise<StoredScript | null>;
  /**
   * Every create and update also stores its version (the whole draft, who, when, the message) in
   * the same transaction. Newest first; also for a deleted script (`deleted: true`); null when no
   * script ever had this id.
   */
  listVersions(id: string): Promise<{ deleted: boolean; versions: StoredVersionSummary[] } | null>;
  /** One version; `found` null when the script exists (or existed) but has no such version. */
  getVersion(id: string, version: number): Promise<{ deleted: boolean; latest: number; found: StoredVersion | null } | null>;
  /** Marks the script deleted (its name and output tags become free). False when unknown. */
  delete(id: string, author?: ChangeAuthor): Promise<boolean>;
  /** With `audit`, its entry (script.register, script.unregister, script.quarantine) is written in the same transaction. */
  setState(
    id: string,
    state: ScriptState,
    lastError: Diagnostic | null,
    audit?: ChangeAuthor & { action: AuditAction; details?: Record<string, unknown> },
  ): Promise<StoredScript | null>;

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
