import { notFound, UserError } from '../model/errors';
import { roleAtLeast } from '../model/role';
import { actorOf, requestFields, type Identity } from './identity';
import type { RequestContext, SecurityPorts } from './security-ports';

/** `DELETE /api/tokens/{id}`: its owner or an admin revokes it at once. Revoking twice is harmless (audited once). */
export async function revokeToken(
  ports: Pick<SecurityPorts, 'identities' | 'now'>,
  identity: Identity,
  id: string,
  context: RequestContext,
): Promise<void> {
  await ports.identities.change(async (tx) => {
    const token = await tx.getToken(id);
    if (!token) throw notFound('token', id);
    if (token.owner.id !== identity.user.id && !roleAtLeast(identity.role, 'admin')) {
      throw new UserError('FORBIDDEN', `the token '${token.name}' belongs to ${token.owner.username}: only its owner or an admin may revoke it`);
    }
    if (token.revokedAt) return;
    await tx.revokeToken(id, new Date(ports.now()));
    await tx.audit({
      actor: actorOf(identity),
      action: 'token.revoke',
      target: { type: 'token', id, name: token.name },
      details: { owner: token.owner.username },
      ...requestFields(context),
    });
  });
}
