import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import type { Script } from '../model/script';
import type { ScriptDraft } from '../model/script-schema';

/** Saves a new script, unregistered. Name and output tags must be free (409 otherwise). */
export async function createScript(services: Pick<ScriptPorts, 'store' | 'scriptActivity'>, draft: ScriptDraft, author?: ChangeAuthor): Promise<Script> {
  const stored = await services.store.create(draft, author);
  return describeScript(stored, await services.scriptActivity());
}
