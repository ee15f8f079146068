import { compileScript, type CompiledScript } from '../compiler/compile-script';
import { hasErrors } from '../model/diagnostic';
import { findCycle, type GraphScript } from '../compiler/dependency-graph';
import { UserError } from '../model/errors';
import type { StoredScript } from '../ports/script-store';
import type { ScriptDraft } from '../model/script-schema';
import type { ScriptPorts } from './script-ports';

/**
 * What registering needs before anything changes: the script compiles (422 with the diagnostics
 * otherwise) and joining the registered scripts makes no dependency cycle (409 naming them).
 * Returns the compiled program, which the engine loads as it is (a script is compiled once).
 */
export async function checkRegistrable(services: Pick<ScriptPorts, 'store'>, script: StoredScript): Promise<CompiledScript> {
  const program = compiledOrThrow(script.definition);
  const registered = (await services.store.list()).filter((other) => other.id !== script.id && other.state !== 'unregistered');
  const cycle = findCycle([...registered.map(graphOf), graphOf(script)]);
  if (cycle) throw cycleConflict(cycle);
  return program;
}

/** The compiled program of a draft that is to run in an engine; 422 SCRIPT_INVALID with the diagnostics otherwise. */
export function compiledOrThrow(definition: ScriptDraft): CompiledScript {
  const compiled = compileScript(definition);
  if (!compiled.program || hasErrors(compiled.diagnostics)) {
    const first = compiled.diagnostics.find((diagnostic) => diagnostic.severity === 'error');
    throw new UserError('SCRIPT_INVALID', `script '${definition.name}' does not compile: ${first?.message}`, {
      diagnostics: compiled.diagnostics,
    });
  }
  return compiled.program;
}

export function cycleConflict(cycle: string[]): UserError {
  return new UserError('CONFLICT', `registering would create a dependency cycle: ${cycle.join(' → ')}`, { cycle });
}

function graphOf(script: StoredScript): GraphScript {
  return {
    id: script.id,
    name: script.definition.name,
    inputTags: script.definition.inputs.map((input) => input.tag),
    outputTags: script.definition.outputs.map((output) => output.tag),
  };
}
