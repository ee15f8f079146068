import type { AuditPage, AuditQuery, NewAuditEntry } from '../model/audit';
import type { Role } from '../model/role';
import type { UserSource } from '../model/user';

/**
 * Where users, API tokens, sign-in sessions and the audit trail live (security.md). One adapter over
 * the SQL database (PGlite or PostgreSQL), contract-tested on both.
 *
 * Changes go through `change(work)`: one database transaction, serialised with every other identity
 * change, in which the use case both changes and audits (`tx.audit(entry)`). A change that fails
 * leaves no entry, and an entry cannot exist without its change. Nothing here updates or deletes an
 * audit entry. A duplicate username is a UserError CONFLICT; an unreachable database an
 * OperationalError naming "database".
 */

export interface StoredUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  source: UserSource;
  passwordHash: string | null;
  externalId: string | null;
  disabled: boolean;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface StoredToken {
  id: string;
  name: string;
  role: Role;
  owner: { id: string; username: string };
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface StoredSession {
  userId: string;
  createdAt: Date;
  lastSeenAt: Date;
}

export interface NewUser {
  username: string;
  displayName: string;
  role: Role;
  source: UserSource;
  passwordHash: string | null;
  externalId: string | null;
  createdAt: Date;
}

export interface UserChanges {
  displayName?: string;
  role?: Role;
  disabled?: boolean;
  passwordHash?: string;
  lastLoginAt?: Date;
}

export interface NewToken {
  name: string;
  role: Role;
  ownerId: string;
  secretHash: string;
  createdAt: Date;
  expiresAt: Date | null;
}

/** Reads, and the writes that need no audit entry (sign-in bookkeeping). */
export interface IdentityReader {
  countUsers(): Promise<number>;
  /** Enabled users with the admin role. */
  countEnabledAdmins(): Promise<number>;
  listUsers(): Promise<StoredUser[]>;
  getUser(id: string): Promise<StoredUser | null>;
  /** Without regard to case. */
  findUserByUsername(username: string): Promise<StoredUser | null>;
  findUserByExternalId(externalId: string): Promise<StoredUser | null>;

  /** Every token (revoked ones included), or only those of `ownerId`; newest first. */
  listTokens(ownerId?: string): Promise<StoredToken[]>;
  getToken(id: string): Promise<StoredToken | null>;
  findTokenBySecretHash(secretHash: string): Promise<StoredToken | null>;

  findSession(idHash: string): Promise<StoredSession | null>;

  listAudit(query: AuditQuery): Promise<AuditPage>;
}

/** What a use case may do inside `change`. */
export interface IdentityTransaction extends IdentityReader {
  createUser(user: NewUser): Promise<StoredUser>;
  /** Null when the user does not exist. */
  updateUser(id: string, changes: UserChanges): Promise<StoredUser | null>;
  /** Deletes the user with their tokens and sessions. False when unknown. */
  deleteUser(id: string): Promise<boolean>;
  createToken(token: NewToken): Promise<StoredToken>;
  /** Marks the token revoked at `at` (kept, listed as revoked). Null when unknown; an already revoked token keeps its time. */
  revokeToken(id: string, at: Date): Promise<StoredToken | null>;
  createSession(idHash: string, userId: string, at: Date): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of `userId` except the one whose hash is `keep` (a password change); how many. */
  deleteSessionsOf(userId: string, keep?: string): Promise<number>;
  /** Appends an entry to the audit trail, in this transaction. */
  audit(entry: NewAuditEntry): Promise<void>;
}

export interface IdentityStore extends IdentityReader {
  readonly kind: 'embedded' | 'postgres';
  /** Runs `work` in one transaction; throws what it throws after rolling everything back. */
  change<T>(work: (tx: IdentityTransaction) => Promise<T>): Promise<T>;

  /** Bookkeeping outside any change, never audited: the session's idle clock, a token's last use. */
  touchSession(idHash: string, at: Date): Promise<void>;
  touchToken(id: string, at: Date): Promise<void>;
  /** Removes sessions idle since before `before`; how many. */
  deleteIdleSessions(before: Date): Promise<number>;
  close(): Promise<void>;
}
