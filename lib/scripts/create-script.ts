import type { ChangeAuthor } from '../model/audit';
import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import type { Script } from '../model/script';
import type { ScriptDraft } from '../model/script-schema';

/** Saves a new script, unregistered, as its version 1 (with the optional message). Name and output tags must be free (409 otherwise). */
export async function createScript(
  services: Pick<ScriptPorts, 'store' | 'scriptActivity'>,
  draft: ScriptDraft,
  author?: ChangeAuthor,
  options: { message?: string } = {},
): Promise<Script> {
  const stored = await services.store.create(draft, author, options);
  return describeScript(stored, await services.scriptActivity());
}
