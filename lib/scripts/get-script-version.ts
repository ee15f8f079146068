import { notFound, UserError } from '../model/errors';
import type { ScriptDraft } from '../model/script-schema';
import type { ScriptPorts } from './script-ports';

export interface ScriptVersionSummary {
  version: number;
  savedAt: string;
  savedBy: { id: string; name: string } | null;
  message: string | null;
}

export interface ScriptVersion extends ScriptVersionSummary {
  script: ScriptDraft;
  /** The script has been deleted (its versions stay readable). */
  deleted: boolean;
}

/** One saved version of a script, also of a deleted one (changes.md). 404 for an unknown script or version. */
export async function getScriptVersion(services: Pick<ScriptPorts, 'store'>, id: string, version: number): Promise<ScriptVersion> {
  const answer = await services.store.getVersion(id, version);
  if (!answer) throw notFound('script', id);
  if (!answer.found) throw versionNotFound(null, id, version, answer.latest);
  const { definition, savedAt, ...rest } = answer.found;
  return { ...rest, savedAt: savedAt.toISOString(), script: definition, deleted: answer.deleted };
}

export function versionNotFound(name: string | null, id: string, version: number, latest: number): UserError {
  return new UserError(
    'NOT_FOUND',
    `script ${name === null ? `'${id}'` : `'${name}'`} has no version ${version}: its versions are 1 to ${latest} (GET /api/scripts/${id}/versions lists them)`,
    { id, version, latest },
  );
}
