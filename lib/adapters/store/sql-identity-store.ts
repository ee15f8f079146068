import { randomUUID } from 'node:crypto';
import { and, desc, eq, gte, like, lt, ne, or, sql, type SQL } from 'drizzle-orm';
import { apiTokens, auditEntries, sessions, users } from '../../../db/schema';
import type { AuditActor, AuditEntry, AuditPage, AuditQuery, NewAuditEntry } from '../../model/audit';
import { isAppError, UserError } from '../../model/errors';
import type {
  IdentityStore,
  IdentityTransaction,
  NewToken,
  NewUser,
  StoredSession,
  StoredToken,
  StoredUser,
  UserChanges,
} from '../../ports/identity-store';
import { driverErrorOf, sqlStateOf, translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

/**
 * The IdentityStore over PGlite or PostgreSQL. Every change runs in a transaction that first takes
 * a transaction-scoped advisory lock, so identity changes are serialised: two administrators
 * demoting the last two admins at the same moment cannot both see "another admin remains".
 */

const IDENTITY_WRITE_LOCK = 7_203_311_844;

export interface SqlIdentityStoreOptions {
  /** Close the database with the store. Leave false when other stores share the handle. */
  closeDatabase?: boolean;
  /** The clock of audit entries; default Date.now. */
  now?: () => number;
}

export class SqlIdentityStore implements IdentityStore {
  readonly kind: 'embedded' | 'postgres';
  private readonly reader: SqlIdentityTransaction;
  private readonly now: () => number;

  constructor(
    private readonly database: DatabaseHandle,
    private readonly options: SqlIdentityStoreOptions = {},
  ) {
    this.kind = database.kind;
    this.now = options.now ?? Date.now;
    this.reader = new SqlIdentityTransaction(database.db, this.now);
  }

  change<T>(work: (tx: IdentityTransaction) => Promise<T>): Promise<T> {
    return guard(() =>
      this.database.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${sql.raw(String(IDENTITY_WRITE_LOCK))})`);
        return work(new SqlIdentityTransaction(tx, this.now));
      }),
    );
  }

  countUsers = () => guard(() => this.reader.countUsers());
  countEnabledAdmins = () => guard(() => this.reader.countEnabledAdmins());
  listUsers = () => guard(() => this.reader.listUsers());
  getUser = (id: string) => guard(() => this.reader.getUser(id));
  findUserByUsername = (username: string) => guard(() => this.reader.findUserByUsername(username));
  findUserByExternalId = (externalId: string) => guard(() => this.reader.findUserByExternalId(externalId));
  listTokens = (ownerId?: string) => guard(() => this.reader.listTokens(ownerId));
  getToken = (id: string) => guard(() => this.reader.getToken(id));
  findTokenBySecretHash = (secretHash: string) => guard(() => this.reader.findTokenBySecretHash(secretHash));
  findSession = (idHash: string) => guard(() => this.reader.findSession(idHash));
  listAudit = (query: AuditQuery) => guard(() => this.reader.listAudit(query));

  touchSession(idHash: string, at: Date): Promise<void> {
    return guard(async () => {
      await this.database.db.update(sessions).set({ lastSeenAt: at }).where(eq(sessions.idHash, idHash));
    });
  }

  touchToken(id: string, at: Date): Promise<void> {
    return guard(async () => {
      await this.database.db.update(apiTokens).set({ lastUsedAt: at }).where(eq(apiTokens.id, id));
    });
  }

  deleteIdleSessions(before: Date): Promise<number> {
    return guard(async () => {
      const removed = await this.database.db.delete(sessions).where(lt(sessions.lastSeenAt, before)).returning({ idHash: sessions.idHash });
      return removed.length;
    });
  }

  async close(): Promise<void> {
    if (this.options.closeDatabase) await this.database.close();
  }
}

/**
 * Appends an audit entry with the given database handle or transaction: other stores (scripts,
 * backfills) call it inside their own transaction so that a change and its entry commit together.
 */
export async function insertAuditEntry(tx: SqlDatabase, entry: NewAuditEntry, at: Date): Promise<void> {
  await tx.insert(auditEntries).values({
    at,
    actorType: entry.actor.type,
    actorId: entry.actor.id,
    actorName: entry.actor.name,
    actorToken: entry.actor.token ?? null,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    targetName: entry.target.name,
    version: entry.version ?? null,
    details: entry.details,
    ip: entry.ip ?? null,
    requestId: entry.requestId,
  });
}

class SqlIdentityTransaction implements IdentityTransaction {
  constructor(
    private readonly db: SqlDatabase,
    private readonly now: () => number,
  ) {}

  async countUsers(): Promise<number> {
    const [row] = await this.db.select({ count: sql<number>`count(*)::int` }).from(users);
    return Number(row.count);
  }

  async countEnabledAdmins(): Promise<number> {
    const [row] = await this.db
      .select({ count: sql<number>`count(*)::int` })
      .from(users)
      .where(and(eq(users.role, 'admin'), eq(users.disabled, false)));
    return Number(row.count);
  }

  async listUsers(): Promise<StoredUser[]> {
    const rows = await this.db.select().from(users).orderBy(sql`lower(${users.username}) collate "C"`);
    return rows.map(toStoredUser);
  }

  async getUser(id: string): Promise<StoredUser | null> {
    const [row] = await this.db.select().from(users).where(eq(users.id, id));
    return row ? toStoredUser(row) : null;
  }

  async findUserByUsername(username: string): Promise<StoredUser | null> {
    const [row] = await this.db.select().from(users).where(sql`lower(${users.username}) = lower(${username})`);
    return row ? toStoredUser(row) : null;
  }

  async findUserByExternalId(externalId: string): Promise<StoredUser | null> {
    const [row] = await this.db.select().from(users).where(eq(users.externalId, externalId));
    return row ? toStoredUser(row) : null;
  }

  async listTokens(ownerId?: string): Promise<StoredToken[]> {
    const rows = await this.tokenQuery(ownerId === undefined ? undefined : eq(apiTokens.ownerId, ownerId)).orderBy(
      desc(apiTokens.createdAt),
      desc(apiTokens.id),
    );
    return rows.map(toStoredToken);
  }

  async getToken(id: string): Promise<StoredToken | null> {
    const [row] = await this.tokenQuery(eq(apiTokens.id, id));
    return row ? toStoredToken(row) : null;
  }

  async findTokenBySecretHash(secretHash: string): Promise<StoredToken | null> {
    const [row] = await this.tokenQuery(eq(apiTokens.secretHash, secretHash));
    return row ? toStoredToken(row) : null;
  }

  async findSession(idHash: string): Promise<StoredSession | null> {
    const [row] = await this.db
      .select({ userId: sessions.userId, createdAt: sessions.createdAt, lastSeenAt: sessions.lastSeenAt })
      .from(sessions)
      .where(eq(sessions.idHash, idHash));
    return row ?? null;
  }

  async listAudit(query: AuditQuery): Promise<AuditPage> {
    const conditions: SQL[] = [];
    if (query.actor !== undefined) conditions.push(or(eq(auditEntries.actorId, query.actor), eq(auditEntries.actorName, query.actor)) as SQL);
    if (query.action !== undefined) {
      conditions.push(
        query.action.endsWith('.*') ? like(auditEntries.action, `${query.action.slice(0, -1)}%`) : eq(auditEntries.action, query.action),
      );
    }
    if (query.targetType !== undefined) conditions.push(eq(auditEntries.targetType, query.targetType));
    if (query.targetId !== undefined) conditions.push(eq(auditEntries.targetId, query.targetId));
    if (query.from !== undefined) conditions.push(gte(auditEntries.at, new Date(query.from)));
    if (query.to !== undefined) conditions.push(lt(auditEntries.at, new Date(query.to)));
    if (query.cursor !== undefined) conditions.push(lt(auditEntries.seq, Number(query.cursor)));
    const rows = await this.db
      .select()
      .from(auditEntries)
      .where(and(...conditions))
      .orderBy(desc(auditEntries.seq))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    return {
      entries: page.map(toAuditEntry),
      nextCursor: rows.length > query.limit ? String(page[page.length - 1].seq) : null,
    };
  }

  async createUser(user: NewUser): Promise<StoredUser> {
    try {
      const [row] = await this.db
        .insert(users)
        .values({ id: randomUUID(), ...user })
        .returning();
      return toStoredUser(row);
    } catch (error) {
      if (!isAppError(error) && sqlStateOf(error) === '23505') throw duplicateUser(user, driverErrorOf(error));
      throw error;
    }
  }

  async updateUser(id: string, changes: UserChanges): Promise<StoredUser | null> {
    if (Object.keys(changes).length === 0) return this.getUser(id);
    const [row] = await this.db.update(users).set(changes).where(eq(users.id, id)).returning();
    return row ? toStoredUser(row) : null;
  }

  async deleteUser(id: string): Promise<boolean> {
    const removed = await this.db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
    return removed.length > 0;
  }

  async createToken(token: NewToken): Promise<StoredToken> {
    const id = randomUUID();
    await this.db.insert(apiTokens).values({ id, ...token });
    const created = await this.getToken(id);
    if (!created) throw new UserError('NOT_FOUND', `the owner '${token.ownerId}' of the new token does not exist`, { ownerId: token.ownerId });
    return created;
  }

  async revokeToken(id: string, at: Date): Promise<StoredToken | null> {
    await this.db
      .update(apiTokens)
      .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${at.toISOString()}::timestamptz)` })
      .where(eq(apiTokens.id, id));
    return this.getToken(id);
  }

  async createSession(idHash: string, userId: string, at: Date): Promise<void> {
    await this.db.insert(sessions).values({ idHash, userId, createdAt: at, lastSeenAt: at });
  }

  async deleteSession(idHash: string): Promise<boolean> {
    const removed = await this.db.delete(sessions).where(eq(sessions.idHash, idHash)).returning({ idHash: sessions.idHash });
    return removed.length > 0;
  }

  async deleteSessionsOf(userId: string, keep?: string): Promise<number> {
    const others = keep === undefined ? eq(sessions.userId, userId) : and(eq(sessions.userId, userId), ne(sessions.idHash, keep));
    const removed = await this.db.delete(sessions).where(others).returning({ idHash: sessions.idHash });
    return removed.length;
  }

  audit(entry: NewAuditEntry): Promise<void> {
    return insertAuditEntry(this.db, entry, new Date(this.now()));
  }

  private tokenQuery(where: SQL | undefined) {
    return this.db
      .select({ token: apiTokens, ownerUsername: users.username })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.ownerId))
      .where(where)
      .$dynamic();
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}

function duplicateUser(user: NewUser, cause: unknown): UserError {
  const constraint = (cause as { constraint?: string } | null)?.constraint;
  if (constraint === 'users_external_id') {
    return new UserError('CONFLICT', `a user already signs in with this external identity`, { field: 'externalId' });
  }
  return new UserError('CONFLICT', `the username '${user.username}' is taken (usernames are compared without regard to case): choose another`, {
    field: 'username',
    username: user.username,
  });
}

type UserRow = typeof users.$inferSelect;
type TokenRow = { token: typeof apiTokens.$inferSelect; ownerUsername: string };
type AuditRow = typeof auditEntries.$inferSelect;

function toStoredUser(row: UserRow): StoredUser {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    role: row.role,
    source: row.source,
    passwordHash: row.passwordHash,
    externalId: row.externalId,
    disabled: row.disabled,
    createdAt: row.createdAt,
    lastLoginAt: row.lastLoginAt,
  };
}

function toStoredToken({ token, ownerUsername }: TokenRow): StoredToken {
  return {
    id: token.id,
    name: token.name,
    role: token.role,
    owner: { id: token.ownerId, username: ownerUsername },
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    revokedAt: token.revokedAt,
  };
}

function toAuditEntry(row: AuditRow): AuditEntry {
  const actor: AuditActor = { type: row.actorType, id: row.actorId, name: row.actorName };
  if (row.actorToken) actor.token = row.actorToken as { id: string; name: string };
  const entry: AuditEntry = {
    id: String(row.seq),
    at: row.at.toISOString(),
    actor,
    action: row.action as AuditEntry['action'],
    target: { type: row.targetType, id: row.targetId, name: row.targetName },
    details: row.details as Record<string, unknown>,
    requestId: row.requestId,
  };
  if (row.version !== null) entry.version = row.version;
  if (row.ip !== null) entry.ip = row.ip;
  return entry;
}
