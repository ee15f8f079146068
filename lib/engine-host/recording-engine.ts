import type { EngineHost, EngineScriptSpec } from '../ports/engine';

/**
 * An engine that only records what it was asked to load (`specs`), for the use cases' tests: a
 * use case's decisions are checked without evaluating anything. Every pass is empty.
 */
export function recordingEngine(): EngineHost & { specs: EngineScriptSpec[] } {
  const specs: EngineScriptSpec[] = [];
  const emptyPass = async () => ({ outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [] });
  return {
    specs,
    register: async (spec) => {
      specs.push(spec);
      return { ok: true };
    },
    unregister: async () => true,
    ingest: emptyPass,
    tick: emptyPass,
    statuses: async () => [],
    restore: async () => undefined,
    startShadow: async () => ({ ok: true }),
    stopShadow: async () => false,
    shadowStatuses: async () => [],
    close: async () => undefined,
  };
}
