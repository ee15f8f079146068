import type { ScriptDraft } from '../model/script-schema';
import type { ShadowReport } from '../model/shadow';

/**
 * Where shadow runs are kept (changes.md): at most one per script, with the candidate draft, and the
 * last report of the engine running it — so a web process shows what a worker's shadow does, and a
 * worker knows which shadows to run. One adapter over the SQL database (PGlite or PostgreSQL).
 */

export interface StoredShadow {
  shadowId: string;
  scriptId: string;
  /** The candidate's version: the script's next version. */
  version: number;
  definition: ScriptDraft;
  startedAt: Date;
  startedBy: { id: string; name: string } | null;
  report: ShadowReport | null;
  reportAt: Date | null;
}

export type NewShadow = Omit<StoredShadow, 'report' | 'reportAt'>;

export interface ShadowStore {
  /** Starts the script's shadow, replacing the one it had. */
  put(shadow: NewShadow): Promise<void>;
  get(scriptId: string): Promise<StoredShadow | null>;
  list(): Promise<StoredShadow[]>;
  /** Ends the script's shadow (only `shadowId` when given); false when there was none. */
  remove(scriptId: string, shadowId?: string): Promise<boolean>;
  /** Saves the engine's report of the run `shadowId` (ignored once that run has ended or been replaced). */
  saveReport(scriptId: string, shadowId: string, report: ShadowReport, at: Date): Promise<void>;
}
