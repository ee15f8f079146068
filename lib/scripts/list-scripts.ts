import type { AppServices } from '../runtime/services';
import { describeScript } from './describe-script';
import type { Script } from './script';

export async function listScripts(services: Pick<AppServices, 'store' | 'scriptActivity'>): Promise<Script[]> {
  const [stored, activity] = await Promise.all([services.store.list(), services.scriptActivity()]);
  return stored.map((script) => describeScript(script, activity));
}
