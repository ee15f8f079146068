import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import { getStoredScriptOrThrow } from './get-script';
import type { Script } from '../model/script';

/** Stops computing a script without deleting it. */
export async function unregisterScript(services: Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log'>, id: string, author?: ChangeAuthor): Promise<Script> {
  await getStoredScriptOrThrow(services, id);
  const saved = await services.store.setState(id, 'unregistered', null, author && { ...author, action: 'script.unregister' });
  await services.engine?.unregister(id, 'unregistered');
  services.log.info({ scriptId: id }, 'script unregistered');
  return describeScript(saved!, await services.scriptActivity());
}
