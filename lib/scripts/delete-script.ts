import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { getStoredScriptOrThrow } from './get-script';

/** Unregisters (stops computing) and deletes a script; its name and output tags become free. */
export async function deleteScript(services: Pick<ScriptPorts, 'store' | 'engine' | 'log' | 'shadowStore'>, id: string, author?: ChangeAuthor): Promise<void> {
  await getStoredScriptOrThrow(services, id);
  await services.shadowStore?.remove(id);
  await services.engine?.unregister(id, 'deleted');
  await services.store.delete(id, author);
  services.log.info({ scriptId: id }, 'script deleted');
}
