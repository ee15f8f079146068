import type { AuditActor, ChangeAuthor } from '../model/audit';
import type { Role } from '../model/role';
import type { Token } from '../model/token';
import type { User } from '../model/user';
import type { StoredToken, StoredUser } from '../ports/identity-store';

/** Who is making a request, once resolved from a session cookie or a bearer token. */
export interface Identity {
  user: User;
  /** What the request may do: the user's role, or for a token the lower of its role and its owner's. */
  role: Role;
  via: 'session' | 'token' | 'auth-off';
  /** The token, when the request came with one. */
  token?: { id: string; name: string };
  /** The stored hash of the session id, when the request came with a session cookie. */
  sessionIdHash?: string;
}

export function toUser(stored: StoredUser): User {
  return {
    id: stored.id,
    username: stored.username,
    displayName: stored.displayName,
    role: stored.role,
    source: stored.source,
    disabled: stored.disabled,
    createdAt: stored.createdAt.toISOString(),
    lastLoginAt: stored.lastLoginAt?.toISOString() ?? null,
  };
}

export function toToken(stored: StoredToken): Token {
  return {
    id: stored.id,
    name: stored.name,
    role: stored.role,
    owner: stored.owner,
    createdAt: stored.createdAt.toISOString(),
    expiresAt: stored.expiresAt?.toISOString() ?? null,
    lastUsedAt: stored.lastUsedAt?.toISOString() ?? null,
    revoked: stored.revokedAt !== null,
  };
}

/** The `actor` of an audit entry: the username, and for a token the token beside it. */
export function actorOf(identity: Identity): AuditActor {
  if (identity.token) return { type: 'token', id: identity.user.id, name: identity.user.username, token: identity.token };
  return { type: 'user', id: identity.user.id, name: identity.user.username };
}

/** Who made a change, as scripts carry it in `createdBy`/`updatedBy`. */
export function changedByOf(identity: Identity): { id: string; name: string } {
  return { id: identity.user.id, name: identity.user.username };
}

/** Who makes a change through a request: the script store records it with the change. */
export function authorOf(identity: Identity | null, context: { requestId: string; ip?: string }): ChangeAuthor | undefined {
  if (!identity) return undefined;
  return { actor: actorOf(identity), by: changedByOf(identity), ...requestFields(context) };
}

/** The request's part of an audit entry: its id, and the client's address when known. */
export function requestFields(context: { requestId: string; ip?: string }): { requestId: string; ip?: string } {
  return context.ip === undefined ? { requestId: context.requestId } : { requestId: context.requestId, ip: context.ip };
}
