import type { ScriptPorts } from './script-ports';
import { describeScript } from './describe-script';
import type { Script } from '../model/script';

export async function listScripts(services: Pick<ScriptPorts, 'store' | 'scriptActivity'>): Promise<Script[]> {
  const [stored, activity] = await Promise.all([services.store.list(), services.scriptActivity()]);
  return stored.map((script) => describeScript(script, activity));
}
