import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import type { ScriptDraft } from '../model/script-schema';
import type { OutputValue, TagState, TagValue } from '../model/tag-value';

/** Why a script stopped, as its outputs say (messages.md `reason`). */
export type StopReason = 'unregistered' | 'deleted';

/**
 * The engine as the rest of a process sees it. The engine itself runs in a worker thread
 * (lib/engine, served by workers/engine-thread.ts); its host proxy on the main thread
 * (lib/engine-host/threaded-engine.ts) implements this port.
 */
export interface EngineHost {
  register(spec: EngineScriptSpec): Promise<RegisterOutcome>;
  /**
   * Stops a script; its outputs are published null/bad with `reason` (default 'unregistered') in the
   * result of the engine's next pass or tick.
   */
  unregister(id: string, reason?: StopReason): Promise<boolean>;
  /**
   * `replay`: some of these values may already be held by the engine (a redelivery of a batch whose
   * pass or publication failed after the engine took them): held values trigger their scripts all the
   * same instead of being skipped as duplicates (which would lose their outputs).
   */
  ingest(values: TagValue[], options?: { replay?: boolean }): Promise<PassResult>;
  tick(now: number): Promise<PassResult>;
  statuses(): Promise<ScriptRuntimeStatus[]>;
  restore(states: TagState[]): Promise<void>;
  /** Starts (or replaces) the shadow run of a registered script (changes.md); its outputs come in `PassResult.shadow`. */
  startShadow(spec: ShadowSpec): Promise<RegisterOutcome>;
  /** False when the script had no shadow. */
  stopShadow(scriptId: string): Promise<boolean>;
  shadowStatuses(): Promise<ShadowStatus[]>;
  /**
   * Scale-out: the static variables of the loaded scripts (`ids`; all when absent), only those
   * evaluated since the last capture when `changedOnly`.
   */
  captureState?(options: { ids?: string[]; changedOnly?: boolean }): Promise<CapturedScriptState[]>;
  /** Scale-out: drops scripts whose group moved to another worker, publishing nothing. */
  unload?(ids: string[]): Promise<void>;
  close(): Promise<void>;
}

/** A candidate version run beside a registered script (changes.md "Shadow runs"). */
export interface ShadowSpec {
  /** The shadow run's own id (a new one each time one starts). */
  shadowId: string;
  scriptId: string;
  name: string;
  /** The version the candidate would get if promoted. */
  version: number;
  definition: ScriptDraft;
  program?: CompiledScript;
}

/** A candidate's runtime state, under its script's id. */
export type ShadowStatus = ScriptRuntimeStatus & { shadowId: string };

export interface EngineScriptSpec {
  id: string;
  name: string;
  version: number;
  definition: ScriptDraft;
  /**
   * `definition` compiled by the caller, which has already checked it (registering through the API):
   * the engine loads it as it is instead of compiling the script a second time. Absent (a worker
   * loading scripts from the database), the engine compiles the definition itself.
   */
  program?: CompiledScript;
  /**
   * The script was quarantined by an engine before this one started (the process restarted): it is
   * loaded quarantined, its retry `QUARANTINE_RETRY_MS` from now, instead of being forgotten.
   */
  resumeQuarantine?: { lastError: Diagnostic };
  /**
   * Scale-out (scale-out.md): static variables saved by the engine that ran the script before
   * (another worker, or this one before a regrouping), put back after its initCode ran. `notice`
   * instead: the previous engine could not save them (they do not serialise), so initCode starts over.
   */
  restoreState?: SavedStaticState | { notice: string };
}

/** A script's static variables as JSON, saved from one engine for another (scale-out.md). */
export interface SavedStaticState {
  vars: Record<string, unknown>;
  /** Variables holding undefined (JSON has none). */
  undef: string[];
}

/** What captureState gives for one script: its version and static variables, or why they do not serialise. */
export interface CapturedScriptState {
  id: string;
  version: number;
  state: SavedStaticState | { notice: string };
}

export type RegisterOutcome =
  | { ok: true }
  | { ok: false; reason: 'invalid'; diagnostics: Diagnostic[] }
  | { ok: false; reason: 'cycle'; cycle: string[] };

export interface ScriptRuntimeStatus {
  id: string;
  version: number;
  state: 'running' | 'waiting' | 'quarantined';
  evaluations: number;
  errors: number;
  consecutiveFailures: number;
  avgMicros: number;
  lastRunAt: number | null;
  lastError: Diagnostic | null;
  missingInputs: string[];
  /** When a quarantined script is evaluated again (epoch ms); null when not quarantined or retries are off. */
  retryAt: number | null;
  /** Scale-out: why the script's static state could not be carried to this worker (it ran its initCode instead). */
  stateNotice?: string;
}

export interface PassResult {
  outputs: OutputValue[];
  evaluations: number;
  failures: number;
  /** Values older than the one held: kept in history, did not trigger. */
  older: number;
  /** Redeliveries of the value already held: ignored. */
  duplicates: number;
  quarantined: Array<{ id: string; error: Diagnostic }>;
  /** Quarantined scripts whose retry succeeded: their quarantine is over (absent: none). */
  recovered?: string[];
  /** The shadow runs' pass on the same values (changes.md), when any runs: never published. */
  shadow?: ShadowPass;
  /**
   * A tick's result: until when (wall clock, ms; Infinity: nothing scheduled) another tick would do
   * nothing unless something else reaches the engine first; absent: unknown, tick as usual.
   */
  idleUntil?: number;
}

/**
 * What the candidates of shadow runs computed in a pass: outputs named by their script (lineage
 * with the candidate's version), and their failures, by script id. Kept apart from the live outputs.
 */
export interface ShadowPass {
  outputs: OutputValue[];
  evaluations: number;
  failures: number;
  quarantined: Array<{ id: string; error: Diagnostic }>;
  recovered: string[];
}

