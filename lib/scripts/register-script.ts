import { UserError } from '../model/errors';
import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { checkRegistrable, cycleConflict } from './check-registrable';
import { checkTests } from './check-tests';
import { describeScript } from './describe-script';
import { getStoredScriptOrThrow } from './get-script';
import type { Script } from '../model/script';
import { toEngineSpec } from '../engine-host/to-engine-spec';

/**
 * Registers a saved script: checked (it compiles, makes no cycle, passes its regression tests unless
 * `force`, which is audited), marked registered in the database, and loaded into the local engine
 * (its initCode runs). If the engine refuses it, the database is put back as it was.
 * A separate worker process picks the change up from the database (see follow-script-changes.ts).
 */
export async function registerScript(
  services: Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log' | 'runTests'>,
  id: string,
  author?: ChangeAuthor,
  options: { force?: boolean } = {},
): Promise<Script> {
  const stored = await getStoredScriptOrThrow(services, id);
  const program = await checkRegistrable(services, stored);
  const forced = await checkTests(services, stored.definition, options.force ?? false);
  const previousState = stored.state;
  const saved = await services.store.setState(id, 'registered', null, author && { ...author, action: 'script.register', details: forced });
  if (!saved) throw new UserError('NOT_FOUND', `script '${id}' was not found`, { id });
  if (services.engine) {
    const outcome = await services.engine.register(toEngineSpec(saved, program));
    if (!outcome.ok) {
      await services.store.setState(id, previousState === 'registered' ? 'unregistered' : previousState, stored.lastError);
      if (outcome.reason === 'cycle') throw cycleConflict(outcome.cycle);
      const first = outcome.diagnostics.find((diagnostic) => diagnostic.severity === 'error') ?? outcome.diagnostics[0];
      throw new UserError('SCRIPT_INVALID', `script '${saved.definition.name}' could not be started: ${first?.message}`, {
        diagnostics: outcome.diagnostics,
      });
    }
    services.log.info({ scriptId: id, version: saved.version }, 'script registered');
  }
  return describeScript(saved, await services.scriptActivity());
}
