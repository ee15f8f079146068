import { UserError } from '../model/errors';
import { lowerRole } from '../model/role';
import { BUILTIN_ADMIN } from './auth-mode';
import { toUser, type Identity } from './identity';
import { hashSecret, looksLikeApiToken, looksLikeSessionId } from './secrets';
import type { SecurityPorts } from './security-ports';

/** Writes of the idle clock and of a token's last use are spared within this interval. */
export const TOUCH_INTERVAL_MS = 60_000;

export const NOT_SIGNED_IN =
  'sign in first: this needs a signed-in user (session cookie) or an API token (Authorization: Bearer ss_…)';

/**
 * Who a request is, from its bearer token or its session cookie's id (a token wins when both are
 * given). An unknown, revoked or expired token, an unknown or idle session, and a disabled user (at
 * once, whatever their sessions and tokens) are all UNAUTHORIZED. With AUTH=off everyone is the
 * built-in admin.
 */
export async function resolveIdentity(
  ports: Pick<SecurityPorts, 'identities' | 'now' | 'sessionIdleMs' | 'authEnabled'>,
  credentials: { bearerToken?: string | null; sessionId?: string | null },
): Promise<Identity> {
  if (!ports.authEnabled) return { user: BUILTIN_ADMIN, role: 'admin', via: 'auth-off' };
  if (credentials.bearerToken) return fromToken(ports, credentials.bearerToken);
  if (credentials.sessionId) return fromSession(ports, credentials.sessionId);
  throw new UserError('UNAUTHORIZED', NOT_SIGNED_IN);
}

async function fromToken(ports: Pick<SecurityPorts, 'identities' | 'now'>, secret: string): Promise<Identity> {
  const refused = (why: string) => new UserError('UNAUTHORIZED', `the API token ${why}: create a new one under Users and tokens`);
  if (!looksLikeApiToken(secret)) throw refused('is not one this server issued (tokens start with ss_)');
  const token = await ports.identities.findTokenBySecretHash(hashSecret(secret));
  if (!token) throw refused('is unknown');
  const now = ports.now();
  if (token.revokedAt) throw refused(`'${token.name}' was revoked`);
  if (token.expiresAt && token.expiresAt.getTime() <= now) throw refused(`'${token.name}' expired at ${token.expiresAt.toISOString()}`);
  const owner = await ports.identities.getUser(token.owner.id);
  if (!owner) throw refused('is unknown');
  if (owner.disabled) throw new UserError('UNAUTHORIZED', `the account '${owner.username}' that owns this token is disabled: ask an administrator`);
  if (!token.lastUsedAt || now - token.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) await ports.identities.touchToken(token.id, new Date(now));
  return { user: toUser(owner), role: lowerRole(token.role, owner.role), via: 'token', token: { id: token.id, name: token.name } };
}

async function fromSession(ports: Pick<SecurityPorts, 'identities' | 'now' | 'sessionIdleMs'>, sessionId: string): Promise<Identity> {
  const expired = new UserError('UNAUTHORIZED', 'your session has ended (signed out, or idle for too long): sign in again');
  if (!looksLikeSessionId(sessionId)) throw expired;
  const idHash = hashSecret(sessionId);
  const session = await ports.identities.findSession(idHash);
  if (!session) throw expired;
  const now = ports.now();
  if (now - session.lastSeenAt.getTime() >= ports.sessionIdleMs) throw expired;
  const user = await ports.identities.getUser(session.userId);
  if (!user) throw expired;
  if (user.disabled) throw new UserError('UNAUTHORIZED', `the account '${user.username}' is disabled: ask an administrator to enable it`);
  if (now - session.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) await ports.identities.touchSession(idHash, new Date(now));
  return { user: toUser(user), role: user.role, via: 'session', sessionIdHash: idHash };
}
