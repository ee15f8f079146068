import type { CreateUserBody, User } from '../model/user';
import { actorOf, requestFields, toUser, type Identity } from './identity';
import type { RequestContext, SecurityPorts } from './security-ports';

/** `POST /api/users` (admin): a local user. A taken username (any case) is a CONFLICT. */
export async function createUser(
  ports: Pick<SecurityPorts, 'identities' | 'passwords' | 'now' | 'log'>,
  identity: Identity,
  body: CreateUserBody,
  context: RequestContext,
): Promise<User> {
  const passwordHash = await ports.passwords.hash(body.password);
  const created = await ports.identities.change(async (tx) => {
    const user = await tx.createUser({
      username: body.username,
      displayName: body.displayName ?? body.username,
      role: body.role,
      source: 'local',
      passwordHash,
      externalId: null,
      createdAt: new Date(ports.now()),
    });
    await tx.audit({
      actor: actorOf(identity),
      action: 'user.create',
      target: { type: 'user', id: user.id, name: user.username },
      details: { role: user.role, displayName: user.displayName },
      ...requestFields(context),
    });
    return user;
  });
  ports.log.info({ userId: created.id, username: created.username, by: identity.user.username }, 'user created');
  return toUser(created);
}
