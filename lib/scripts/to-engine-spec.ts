import type { EngineScriptSpec } from '../ports/engine';
import type { StoredScript } from '../ports/script-store';

export function toEngineSpec(stored: StoredScript): EngineScriptSpec {
  return { id: stored.id, name: stored.definition.name, version: stored.version, definition: stored.definition };
}
