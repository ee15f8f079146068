import type { ChangeAuthor } from '../model/audit';
import type { Script } from '../model/script';
import type { ScriptPorts } from './script-ports';
import { getStoredScriptOrThrow } from './get-script';
import { versionNotFound } from './get-script-version';
import { updateScript } from './update-script';

export interface RollbackRequest {
  version: number;
  message?: string;
}

/**
 * Rolls a script back (changes.md): a new version (latest + 1) whose content equals version n,
 * saved, checked and hot-swapped exactly as an update (a registered script must compile and pass
 * the restored version's tests unless `force`), audited as `script.rollback` with the version
 * restored. Without a message, the version says which one it restores.
 */
export async function rollbackScript(
  services: Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log' | 'runTests'>,
  id: string,
  request: RollbackRequest,
  author?: ChangeAuthor,
  options: { force?: boolean } = {},
): Promise<Script> {
  const current = await getStoredScriptOrThrow(services, id);
  const target = await services.store.getVersion(id, request.version);
  if (!target?.found) throw versionNotFound(current.definition.name, id, request.version, target?.latest ?? current.version);
  return updateScript(services, id, target.found.definition, author, {
    message: request.message ?? `rolled back to version ${request.version}`,
    action: 'script.rollback',
    details: { restoredVersion: request.version, fromVersion: current.version },
    force: options.force,
  });
}
