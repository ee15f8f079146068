import type { CompiledScript } from '../compiler/compile-script';
import type { EngineScriptSpec } from '../ports/engine';
import type { StoredScript } from '../ports/script-store';

/** `program`: the definition already compiled by the caller (the engine then trusts it and does not compile again). */
export function toEngineSpec(stored: StoredScript, program?: CompiledScript): EngineScriptSpec {
  return { id: stored.id, name: stored.definition.name, version: stored.version, definition: stored.definition, program };
}
