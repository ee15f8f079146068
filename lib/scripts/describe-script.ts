import type { ScriptRuntimeStatus } from '../ports/engine';
import type { ScriptStats, StoredScript } from '../ports/script-store';
import type { ScriptActivity } from './script-ports';
import type { Script } from '../model/script';

/** A stored script with its live status, as the API answers it. */
export function describeScript(stored: StoredScript, activity: ScriptActivity): Script {
  const runtime: ScriptRuntimeStatus | undefined = activity.runtime.get(stored.id);
  const stats: ScriptStats | undefined = activity.stats.get(stored.id);
  const quarantinedLive = runtime?.state === 'quarantined' && stored.state === 'registered';
  // A retry succeeded in this process before the database heard of it: registered again.
  const recoveredLive = stored.state === 'quarantined' && runtime !== undefined && runtime.state !== 'quarantined';
  const state = quarantinedLive ? 'quarantined' : recoveredLive ? 'registered' : stored.state;
  const lastRunAt = runtime?.lastRunAt ?? stats?.lastRunAt?.getTime() ?? null;
  return {
    ...stored.definition,
    id: stored.id,
    version: stored.version,
    createdAt: stored.createdAt.toISOString(),
    updatedAt: stored.updatedAt.toISOString(),
    createdBy: stored.createdBy ?? null,
    updatedBy: stored.updatedBy ?? null,
    status: {
      state,
      lastError: stored.state === 'unregistered' ? stored.lastError : (runtime?.lastError ?? stored.lastError),
      lastRunAt: lastRunAt === null ? null : new Date(lastRunAt).toISOString(),
      evaluations: runtime?.evaluations ?? stats?.evaluations ?? 0,
      errors: runtime?.errors ?? stats?.errors ?? 0,
      avgMicros: round(runtime?.avgMicros ?? stats?.avgMicros ?? 0),
      ...(runtime && runtime.missingInputs.length > 0 ? { missingInputs: runtime.missingInputs } : {}),
      retryAt: state === 'quarantined' ? retryAtOf(runtime, stats) : null,
      // The version the engine runs: its own word when it runs here, else the stored one (a worker follows it).
      runningVersion: stored.state === 'unregistered' ? null : (runtime?.version ?? stored.version),
      ...(stateNoticeOf(runtime, stats) ? { stateNotice: stateNoticeOf(runtime, stats) } : {}),
    },
  };
}

/** The engine's next retry: from this process's engine, else as the engine's process last stored it (web + worker). */
function retryAtOf(runtime: ScriptRuntimeStatus | undefined, stats: ScriptStats | undefined): string | null {
  if (runtime) return runtime.retryAt === null ? null : new Date(runtime.retryAt).toISOString();
  return stats?.retryAt ? stats.retryAt.toISOString() : null;
}

/** From this process's engine, else as the worker running the script last stored it. */
function stateNoticeOf(runtime: ScriptRuntimeStatus | undefined, stats: ScriptStats | undefined): string | undefined {
  return (runtime ? runtime.stateNotice : stats?.stateNotice) ?? undefined;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
