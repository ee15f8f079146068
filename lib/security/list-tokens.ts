import { roleAtLeast } from '../model/role';
import type { Token } from '../model/token';
import { toToken, type Identity } from './identity';
import type { SecurityPorts } from './security-ports';

/** `GET /api/tokens`: an admin sees every token, anyone else their own. Never a secret. */
export async function listTokens(ports: Pick<SecurityPorts, 'identities'>, identity: Identity): Promise<{ tokens: Token[] }> {
  const owner = roleAtLeast(identity.role, 'admin') ? undefined : identity.user.id;
  return { tokens: (await ports.identities.listTokens(owner)).map(toToken) };
}
