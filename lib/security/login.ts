import { UserError } from '../model/errors';
import type { LoginBody, User } from '../model/user';
import { usernameProblem } from '../model/user';
import type { StoredUser } from '../ports/identity-store';
import { requestFields, toUser } from './identity';
import { hashSecret, newSessionId } from './secrets';
import type { RequestContext, SecurityPorts } from './security-ports';

export const WRONG_CREDENTIALS = 'the username or password is wrong: check both (passwords are case-sensitive) and try again';

/**
 * `POST /api/auth/login`. A wrong username and a wrong password get the same answer after about the
 * same work (an unknown user is checked against a dummy hash, both write an audit entry). The
 * throttle is asked first: while it refuses, the password is not even checked.
 * Answers the user and the new session id for the cookie (only its hash is stored).
 */
export async function login(
  ports: Pick<SecurityPorts, 'identities' | 'passwords' | 'throttle' | 'now' | 'log'>,
  body: LoginBody,
  context: RequestContext,
): Promise<{ user: User; sessionId: string }> {
  const { identities, passwords, throttle } = ports;
  const username = body.username;
  // What the audit entry may show of a name that failed: no NUL or lone surrogate (the database refuses them).
  const shown = username.slice(0, 64).replace(/[\u0000\ud800-\udfff]/g, '\ufffd');
  const failed = (reason: string, user: StoredUser | null, details: Record<string, unknown> = {}) =>
    identities.change((tx) =>
      tx.audit({
        actor: { type: 'user', id: user?.id ?? null, name: shown },
        action: 'auth.login_failed',
        target: { type: 'user', id: user?.id ?? null, name: user?.username ?? shown },
        details: { reason, ...details },
        ...requestFields(context),
      }),
    );

  const verdict = throttle.check(username, context.ip);
  if (!verdict.allowed) {
    await failed('rate-limited', null, { limitedBy: verdict.limitedBy });
    const who = verdict.limitedBy === 'username' ? `for '${shown}'` : 'from your address';
    throw new UserError('RATE_LIMITED', `too many failed sign-ins ${who}: try again in ${verdict.retryAfterSeconds} seconds`, {
      retryAfterSeconds: verdict.retryAfterSeconds,
    });
  }

  const user = usernameProblem(username) === null ? await identities.findUserByUsername(username) : null;
  const good = user?.passwordHash ? await passwords.verify(body.password, user.passwordHash) : await passwords.verifyDummy(body.password);
  if (!user || !good) {
    throttle.recordFailure(username, context.ip);
    await failed('wrong-credentials', user);
    throw new UserError('UNAUTHORIZED', WRONG_CREDENTIALS);
  }
  if (user.disabled) {
    await failed('disabled', user);
    throw new UserError('UNAUTHORIZED', `the account '${user.username}' is disabled: ask an administrator to enable it`);
  }
  throttle.recordSuccess(username);

  const rehash = passwords.needsRehash(user.passwordHash as string) ? await passwords.hash(body.password) : undefined;
  const sessionId = newSessionId();
  const at = new Date(ports.now());
  const signedIn = await identities.change(async (tx) => {
    await tx.createSession(hashSecret(sessionId), user.id, at);
    const updated = await tx.updateUser(user.id, { lastLoginAt: at, ...(rehash ? { passwordHash: rehash } : {}) });
    await tx.audit({
      actor: { type: 'user', id: user.id, name: user.username },
      action: 'auth.login',
      target: { type: 'user', id: user.id, name: user.username },
      details: { method: 'password' },
      ...requestFields(context),
    });
    return updated ?? user;
  });
  ports.log.info({ userId: user.id, username: user.username }, 'signed in');
  return { user: toUser(signedIn), sessionId };
}
