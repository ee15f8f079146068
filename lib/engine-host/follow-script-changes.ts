import { quarantineAudit } from '../model/audit';
import { messageOf } from '../model/errors';
import { cycleDiagnostic } from '../model/diagnostic-messages';
import type { EngineHost } from '../ports/engine';
import type { Logger } from '../support/logger';
import { ThrottledWarning } from '../support/throttled-warning';
import type { ScriptStore, StoredScript } from '../ports/script-store';
import { resumesQuarantine, toLoadedEngineSpec } from './to-engine-spec';

/**
 * A worker process learns of scripts saved, registered, unregistered, updated or deleted through the
 * web by polling the database for changes (every script change takes a new revision). Polling every
 * 500 ms keeps the delay under a second and survives database restarts without any extra machinery.
 */
export function followScriptChanges(deps: { store: ScriptStore; engine: EngineHost; log: Logger; intervalMs?: number }) {
  let revision = 0;
  const loaded = new Map<string, number>(); // script id → version running in the engine
  const resumed = new Map<string, number>(); // script id → version loaded quarantined once
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;
  const warning = new ThrottledWarning(10_000);

  async function apply(script: StoredScript): Promise<void> {
    // A script quarantined by the engine stays loaded there: the engine retries it (QUARANTINE_RETRY_MS).
    // One quarantined by failing runs before this process started is loaded quarantined (its retries
    // go on) — once per version: if it cannot even start, it stays out.
    const resume = !loaded.has(script.id) && resumesQuarantine(script) && resumed.get(script.id) !== script.version;
    if (resume) resumed.set(script.id, script.version);
    const shouldRun = !script.deleted && (script.state === 'registered' || (script.state === 'quarantined' && loaded.has(script.id)) || resume);
    if (!shouldRun) {
      if (loaded.delete(script.id)) {
        // The engine publishes its outputs null/bad with the reason (on the active worker: a
        // standby runs no ticks and drops them).
        await deps.engine.unregister(script.id, script.deleted ? 'deleted' : 'unregistered');
        deps.log.info({ scriptId: script.id }, 'script stopped (changed through the web)');
      }
      return;
    }
    if (loaded.get(script.id) === script.version) return;
    const outcome = await deps.engine.register(toLoadedEngineSpec(script));
    if (outcome.ok) {
      loaded.set(script.id, script.version);
      deps.log.info({ scriptId: script.id, version: script.version }, 'script loaded');
      return;
    }
    const error =
      outcome.reason === 'cycle'
        ? cycleDiagnostic(outcome.cycle)
        : outcome.diagnostics[0];
    deps.log.warn({ scriptId: script.id, error: error.message }, 'script could not start; quarantined');
    await deps.store.setState(script.id, 'quarantined', error, quarantineAudit(error, 'could not start'));
  }

  async function poll(): Promise<void> {
    try {
      const changes = await deps.store.changesSince(revision);
      for (const script of changes) {
        await apply(script);
        revision = Math.max(revision, script.revision);
      }
    } catch (error) {
      if (warning.admit() !== undefined) deps.log.warn(`cannot read script changes (scripts keep running as they are): ${messageOf(error)}`);
    }
  }

  return {
    async start(): Promise<void> {
      await poll();
      timer = setInterval(() => {
        polling ??= poll().finally(() => {
          polling = null;
        });
      }, deps.intervalMs ?? 500);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await polling;
    },
  };
}
