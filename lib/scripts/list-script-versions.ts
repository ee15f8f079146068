import { notFound } from '../model/errors';
import type { ScriptPorts } from './script-ports';
import type { ScriptVersionSummary } from './get-script-version';

/** Every saved version of a script, newest first; also of a deleted script (`deleted: true`). 404 for an unknown id. */
export async function listScriptVersions(services: Pick<ScriptPorts, 'store'>, id: string): Promise<{ versions: ScriptVersionSummary[]; deleted: boolean }> {
  const answer = await services.store.listVersions(id);
  if (!answer) throw notFound('script', id);
  return { versions: answer.versions.map((entry) => ({ ...entry, savedAt: entry.savedAt.toISOString() })), deleted: answer.deleted };
}
