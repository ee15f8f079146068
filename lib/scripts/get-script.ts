import { notFound } from '../model/errors';
import type { StoredScript } from '../ports/script-store';
import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import type { Script } from '../model/script';

export async function getStoredScriptOrThrow(services: Pick<ScriptPorts, 'store'>, id: string): Promise<StoredScript> {
  const stored = await services.store.get(id);
  if (!stored || stored.deleted) throw notFound('script', id);
  return stored;
}

export async function getScript(services: Pick<ScriptPorts, 'store' | 'scriptActivity'>, id: string): Promise<Script> {
  const stored = await getStoredScriptOrThrow(services, id);
  return describeScript(stored, await services.scriptActivity());
}
