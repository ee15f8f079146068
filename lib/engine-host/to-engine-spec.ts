import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import type { EngineScriptSpec } from '../ports/engine';
import type { StoredScript } from '../ports/script-store';

/** `program`: the definition already compiled by the caller (the engine then trusts it and does not compile again). */
export function toEngineSpec(stored: StoredScript, program?: CompiledScript): EngineScriptSpec {
  // Regression tests are not evaluated by the engine: they stay out of what crosses to its thread.
  const { tests: _tests, ...definition } = stored.definition;
  return { id: stored.id, name: stored.definition.name, version: stored.version, definition, program };
}

/**
 * The spec of a stored script an engine loads at start (or a worker on learning of it): as
 * `toEngineSpec`, and quarantined again when failing runs had quarantined it (`resumesQuarantine`).
 * Registering through the API never uses this: registering again ends a quarantine.
 */
export function toLoadedEngineSpec(stored: StoredScript): EngineScriptSpec {
  const spec = toEngineSpec(stored);
  if (resumesQuarantine(stored) && stored.lastError) spec.resumeQuarantine = { lastError: stored.lastError };
  return spec;
}

/** Errors of a run (an engine quarantined the script), as opposed to a script that could not start. */
const RUN_FAILURES: ReadonlySet<Diagnostic['kind']> = new Set(['runtime', 'timeout', 'memory', 'output']);

/**
 * A stored script an engine quarantined after failing runs: loaded at start (quarantined, retried
 * after QUARANTINE_RETRY_MS) so that a restart does not end its retries. A script quarantined because
 * it could not start (syntax, definition, cycle) stays out until it is fixed and registered again.
 */
export function resumesQuarantine(stored: StoredScript): boolean {
  return !stored.deleted && stored.state === 'quarantined' && stored.lastError !== null && RUN_FAILURES.has(stored.lastError.kind);
}
