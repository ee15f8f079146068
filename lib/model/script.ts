import type { Diagnostic } from './diagnostic';
import type { ScriptDraft } from './script-schema';

/** A saved script as the API returns it (api.md `Script`). */

export type ScriptState = 'unregistered' | 'registered' | 'quarantined';

export interface ScriptStatus {
  state: ScriptState;
  lastError: Diagnostic | null;
  lastRunAt: string | null;
  evaluations: number;
  errors: number;
  avgMicros: number;
  /** Inputs never seen yet (the script waits for them); not in api.md's minimum, added for the IDE. */
  missingInputs?: string[];
  /** When a quarantined script is evaluated again (QUARANTINE_RETRY_MS); null when none is planned. */
  retryAt?: string | null;
  /** The version the engine runs (changes.md); null when not registered. */
  runningVersion?: number | null;
  /** WORKER_MODE=partitioned: why the script's static state could not move to the worker running it (it ran its initCode instead). */
  stateNotice?: string;
}

export interface Script extends ScriptDraft {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  status: ScriptStatus;
  /** Who created the script and who changed it last (security.md); null when unknown. */
  createdBy?: { id: string; name: string } | null;
  updatedBy?: { id: string; name: string } | null;
}
