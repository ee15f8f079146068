import type { User } from '../model/user';
import { toUser } from './identity';
import type { SecurityPorts } from './security-ports';

/** `GET /api/users` (admin): every user, by username. */
export async function listUsers(ports: Pick<SecurityPorts, 'identities'>): Promise<{ users: User[] }> {
  return { users: (await ports.identities.listUsers()).map(toUser) };
}
