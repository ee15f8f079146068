import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import { getStoredScriptOrThrow } from './get-script';
import type { Script } from '../model/script';

/** Stops computing a script without deleting it; its shadow run, if any, ends. */
export async function unregisterScript(
  services: Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log' | 'shadowStore'>,
  id: string,
  author?: ChangeAuthor,
): Promise<Script> {
  await getStoredScriptOrThrow(services, id);
  await services.shadowStore?.remove(id); // a shadow runs beside a registered version only
  const saved = await services.store.setState(id, 'unregistered', null, author && { ...author, action: 'script.unregister' });
  await services.engine?.unregister(id, 'unregistered');
  services.log.info({ scriptId: id }, 'script unregistered');
  return describeScript(saved!, await services.scriptActivity());
}
