import { notFound, UserError } from '../model/errors';
import { roleAtLeast } from '../model/role';
import type { UpdateUserBody, User } from '../model/user';
import type { UserChanges } from '../ports/identity-store';
import { actorOf, requestFields, toUser, type Identity } from './identity';
import { assertNotLastAdmin } from './last-admin';
import type { RequestContext, SecurityPorts } from './security-ports';

/**
 * `PATCH /api/users/{id}`: an admin changes anything; a user changes their own display name and
 * password. Changing one's own password needs `currentPassword` (an admin's too: a session left open
 * must not be enough to take the account). A new password ends the user's other sessions (all of
 * them when an admin sets it for someone else): whoever knew the old one is signed out. An OIDC user
 * has no local password. The last enabled admin cannot be demoted or disabled (409).
 */
export async function updateUser(
  ports: Pick<SecurityPorts, 'identities' | 'passwords' | 'now' | 'log'>,
  identity: Identity,
  id: string,
  body: UpdateUserBody,
  context: RequestContext,
): Promise<User> {
  const isAdmin = roleAtLeast(identity.role, 'admin');
  const isSelf = identity.user.id === id;
  if (!isAdmin && !isSelf) throw new UserError('FORBIDDEN', 'changing another user needs the admin role');
  if (!isAdmin && (body.role !== undefined || body.disabled !== undefined)) {
    throw new UserError('FORBIDDEN', 'changing a role or disabling a user needs the admin role; you may change your display name and password');
  }
  const target = await ports.identities.getUser(id);
  if (!target) throw notFound('user', id);

  let passwordHash: string | undefined;
  if (body.password !== undefined) {
    if (target.source !== 'local' || target.passwordHash === null) {
      throw new UserError('VALIDATION_FAILED', `'${target.username}' signs in through single sign-on and has no password here`, { field: 'password' });
    }
    if (isSelf) {
      if (body.currentPassword === undefined) {
        throw new UserError('VALIDATION_FAILED', 'currentPassword is needed to change your own password', { field: 'currentPassword' });
      }
      if (!(await ports.passwords.verify(body.currentPassword, target.passwordHash))) {
        throw new UserError('FORBIDDEN', 'the current password is wrong: your password was not changed', { field: 'currentPassword' });
      }
    }
    passwordHash = await ports.passwords.hash(body.password);
  }

  const updated = await ports.identities.change(async (tx) => {
    const current = await tx.getUser(id);
    if (!current) throw notFound('user', id);
    if (body.role !== undefined && body.role !== 'admin') await assertNotLastAdmin(tx, current, 'demoted');
    if (body.disabled === true) await assertNotLastAdmin(tx, current, 'disabled');

    const changes: UserChanges = {};
    const changed: Record<string, unknown> = {};
    for (const field of ['displayName', 'role', 'disabled'] as const) {
      const value = body[field];
      if (value === undefined || value === current[field]) continue;
      Object.assign(changes, { [field]: value });
      changed[field] = { from: current[field], to: value };
    }
    if (passwordHash !== undefined) {
      changes.passwordHash = passwordHash;
      changed.password = 'changed';
    }
    const user = await tx.updateUser(id, changes);
    if (!user) throw notFound('user', id);
    if (passwordHash !== undefined) changed.sessionsEnded = await tx.deleteSessionsOf(id, isSelf ? identity.sessionIdHash : undefined);
    if (Object.keys(changed).length > 0) {
      await tx.audit({
        actor: actorOf(identity),
        action: 'user.update',
        target: { type: 'user', id: user.id, name: user.username },
        details: { changes: changed },
        ...requestFields(context),
      });
    }
    return user;
  });
  return toUser(updated);
}
