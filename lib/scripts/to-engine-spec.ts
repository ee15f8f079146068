import type { EngineScriptSpec } from '../engine/engine';
import type { StoredScript } from '../ports/script-store';

export function toEngineSpec(stored: StoredScript): EngineScriptSpec {
  return { id: stored.id, name: stored.definition.name, version: stored.version, definition: stored.definition };
}
