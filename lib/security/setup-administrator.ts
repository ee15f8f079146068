import { UserError } from '../model/errors';
import type { SetupBody, User } from '../model/user';
import { requestFields, toUser } from './identity';
import type { RequestContext, SecurityPorts, SetupPorts } from './security-ports';
import { setupCodeMatches } from './setup-code';

/**
 * `POST /api/auth/setup`: creates the first administrator, once. When HOST is not loopback the
 * one-time setup code (log and DATA_DIR/setup-code) must be given; it is removed once used.
 * Any existing user makes this a CONFLICT, checked inside the transaction so two browsers racing
 * on a fresh install cannot both win.
 */
export async function setupAdministrator(
  ports: Pick<SecurityPorts, 'identities' | 'passwords' | 'now' | 'log'> & SetupPorts,
  body: SetupBody,
  context: RequestContext,
): Promise<User> {
  const alreadySetUp = () =>
    new UserError('CONFLICT', 'the administrator already exists: sign in instead (an administrator can create more users)');
  if ((await ports.identities.countUsers()) > 0) throw alreadySetUp();
  if (ports.setupCode.required) {
    const expected = await ports.setupCode.file.read();
    if (expected === null || body.setupCode === undefined || !setupCodeMatches(body.setupCode, expected)) {
      throw new UserError(
        'FORBIDDEN',
        `the setup code is ${body.setupCode === undefined ? 'missing' : 'wrong'}: copy it from the server's log or from ${ports.setupCode.file.location}`,
        { field: 'setupCode' },
      );
    }
  }
  const passwordHash = await ports.passwords.hash(body.password);
  const created = await ports.identities.change(async (tx) => {
    if ((await tx.countUsers()) > 0) throw alreadySetUp();
    const user = await tx.createUser({
      username: body.username,
      displayName: body.displayName ?? body.username,
      role: 'admin',
      source: 'local',
      passwordHash,
      externalId: null,
      createdAt: new Date(ports.now()),
    });
    await tx.audit({
      actor: { type: 'user', id: user.id, name: user.username },
      action: 'user.create',
      target: { type: 'user', id: user.id, name: user.username },
      details: { via: 'setup', role: 'admin' },
      ...requestFields(context),
    });
    return user;
  });
  await ports.setupCode.file.remove();
  ports.log.info({ userId: created.id, username: created.username }, 'administrator created through the setup page');
  return toUser(created);
}
