import { notFound } from '../model/errors';
import { actorOf, requestFields, type Identity } from './identity';
import { assertNotLastAdmin } from './last-admin';
import type { RequestContext, SecurityPorts } from './security-ports';

/** `DELETE /api/users/{id}` (admin): the user, their sessions and tokens. The last enabled admin stays (409). */
export async function deleteUser(
  ports: Pick<SecurityPorts, 'identities' | 'log'>,
  identity: Identity,
  id: string,
  context: RequestContext,
): Promise<void> {
  await ports.identities.change(async (tx) => {
    const target = await tx.getUser(id);
    if (!target) throw notFound('user', id);
    await assertNotLastAdmin(tx, target, 'deleted');
    await tx.deleteUser(id);
    await tx.audit({
      actor: actorOf(identity),
      action: 'user.delete',
      target: { type: 'user', id, name: target.username },
      details: { role: target.role },
      ...requestFields(context),
    });
  });
  ports.log.info({ userId: id, by: identity.user.username }, 'user deleted');
}
