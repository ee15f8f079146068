import { scrypt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { users } from '../../db/schema';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import type { Role } from '../model/role';
import { silentLogger } from '../support/logger';
import { bootstrapIdentities } from './bootstrap-identities';
import { createToken } from './create-token';
import { createUser } from './create-user';
import { deleteUser } from './delete-user';
import { getMe } from './get-me';
import type { Identity } from './identity';
import { listAudit } from './list-audit';
import { listTokens } from './list-tokens';
import { login, WRONG_CREDENTIALS } from './login';
import { LoginThrottle } from './login-throttle';
import { logout } from './logout';
import { createPasswordHasher, type ScryptParams } from './password-hash';
import { resolveIdentity } from './resolve-identity';
import { revokeToken } from './revoke-token';
import { hashSecret } from './secrets';
import type { SecurityPorts } from './security-ports';
import { setupAdministrator } from './setup-administrator';
import { setupCodeFileIn } from './setup-code';
import { updateUser } from './update-user';
import { rejectionOf } from '../adapters/store/contract-support';

/**
 * The sign-in, user, token and audit use cases over the real SQL adapter (PGlite in memory), with
 * an injected clock. Tests that need an empty database call resetUsers(); the others use usernames
 * of their own.
 */

const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const MINUTE = 60_000;
const context = { requestId: 'req-1', ip: '10.0.0.9' };

let database: DatabaseHandle;
let ports: SecurityPorts;
let now = Date.parse('2030-01-01T08:00:00Z');
let derivations = 0;
let folder: string;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder });
  folder = mkdtempSync(path.join(os.tmpdir(), 'security-use-cases-'));
  const params: ScryptParams = { ln: 10, r: 8, p: 1 };
  // scrypt, counted: how much hashing work each sign-in does.
  const counting = createPasswordHasher(params, (password, salt, used, length) => {
    derivations += 1;
    return new Promise((resolve, reject) =>
      scrypt(password, salt, length, { N: 2 ** used.ln, r: used.r, p: used.p }, (error, key) => (error ? reject(error) : resolve(key))),
    );
  });
  ports = {
    identities: new SqlIdentityStore(database, { now: () => now }),
    passwords: counting,
    throttle: new LoginThrottle({ now: () => now }),
    now: () => now,
    log: silentLogger,
    sessionIdleMs: 480 * MINUTE,
    authEnabled: true,
  };
});

afterAll(async () => {
  await database?.close();
  rmSync(folder, { recursive: true, force: true });
});


async function resetUsers(): Promise<void> {
  await database.db.delete(users);
}

let sequence = 0;
const unique = (label: string) => `${label}${++sequence}`;
const PASSWORD = 'a long enough password';

/** A user with a session, as a signed-in request would be resolved, and the session's cookie value. */
async function signedIn(role: Role, username = unique(role)): Promise<Identity & { sessionId: string }> {
  const admin: Identity = { user: { id: 'x', username: 'system', displayName: '', role: 'admin', source: 'local', disabled: false, createdAt: '', lastLoginAt: null }, role: 'admin', via: 'session' };
  await createUser(ports, admin, { username, role, password: PASSWORD }, context);
  const { sessionId } = await login(ports, { username, password: PASSWORD }, { requestId: 'r', ip: `10.1.${sequence}.1` });
  return { ...(await resolveIdentity(ports, { sessionId })), sessionId };
}

const auditOf = async (targetId: string) => (await ports.identities.listAudit({ targetId, limit: 100 })).entries;

describe('first start', () => {
  beforeEach(resetUsers);

  it('creates ADMIN_USERNAME with ADMIN_PASSWORD when no user exists, once, audited as the system', async () => {
    const file = setupCodeFileIn(path.join(folder, 'a'));
    const settings = { adminUsername: 'chief', adminPassword: PASSWORD, HOST: '0.0.0.0', setupCodeFile: file };
    expect(await bootstrapIdentities(ports, settings)).toEqual({ kind: 'admin-created', username: 'chief' });
    const chief = await ports.identities.findUserByUsername('chief');
    expect(chief).toMatchObject({ role: 'admin', source: 'local', disabled: false });
    expect(chief?.passwordHash).toMatch(/^\$scrypt\$/);
    expect(await auditOf(chief?.id ?? '')).toMatchObject([{ action: 'user.create', actor: { type: 'system' }, details: { via: 'ADMIN_PASSWORD' } }]);

    await file.write('LEFT-OVER');
    expect(await bootstrapIdentities(ports, { ...settings, adminPassword: 'another long password' })).toEqual({ kind: 'users-exist' });
    expect(await ports.identities.countUsers()).toBe(1);
    expect(await file.read()).toBeNull();
  });

  it('refuses a short ADMIN_PASSWORD, naming the variables', async () => {
    const file = setupCodeFileIn(path.join(folder, 'b'));
    await expect(bootstrapIdentities(ports, { adminUsername: 'admin', adminPassword: 'short', HOST: '127.0.0.1', setupCodeFile: file })).rejects.toThrow(
      /ADMIN_USERNAME\/ADMIN_PASSWORD: the password has 5 characters; use at least 12/,
    );
    expect(await ports.identities.countUsers()).toBe(0);
  });

  it('on loopback waits for the setup page without a code', async () => {
    const file = setupCodeFileIn(path.join(folder, 'c'));
    expect(await bootstrapIdentities(ports, { adminUsername: 'admin', adminPassword: undefined, HOST: '127.0.0.1', setupCodeFile: file })).toEqual({
      kind: 'awaiting-setup',
      setupCodeRequired: false,
    });
    expect(await file.read()).toBeNull();
    const user = await setupAdministrator({ ...ports, setupCode: { required: false, file } }, { username: 'first', password: PASSWORD }, context);
    expect(user).toMatchObject({ username: 'first', displayName: 'first', role: 'admin', source: 'local', disabled: false, lastLoginAt: null });
    expect(user).not.toHaveProperty('passwordHash');
  });

  it('elsewhere writes a one-time setup code, kept across restarts, asked by setup and removed once used; then 409', async () => {
    const file = setupCodeFileIn(path.join(folder, 'd'));
    const settings = { adminUsername: 'admin', adminPassword: undefined, HOST: '0.0.0.0', setupCodeFile: file };
    expect(await bootstrapIdentities(ports, settings)).toEqual({ kind: 'awaiting-setup', setupCodeRequired: true });
    const code = await file.read();
    expect(code).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){3}$/);
    await bootstrapIdentities(ports, settings);
    expect(await file.read()).toBe(code);

    const setupPorts = { ...ports, setupCode: { required: true, file } };
    const missing = await rejectionOf(setupAdministrator(setupPorts, { username: 'boss', password: PASSWORD }, context));
    expect(missing.code).toBe('FORBIDDEN');
    expect(missing.message).toContain(file.location);
    const wrong = await rejectionOf(setupAdministrator(setupPorts, { username: 'boss', password: PASSWORD, setupCode: 'AAAA-BBBB-CCCC-DDDD' }, context));
    expect(wrong.message).toMatch(/setup code is wrong/);
    expect(await ports.identities.countUsers()).toBe(0);

    const boss = await setupAdministrator(setupPorts, { username: 'boss', password: PASSWORD, setupCode: code?.toLowerCase() }, context);
    expect(boss.role).toBe('admin');
    expect(await file.read()).toBeNull();
    expect(await auditOf(boss.id)).toMatchObject([{ action: 'user.create', actor: { type: 'user', id: boss.id, name: 'boss' }, details: { via: 'setup' } }]);

    const again = await rejectionOf(setupAdministrator({ ...ports, setupCode: { required: false, file } }, { username: 'second', password: PASSWORD }, context));
    expect(again.code).toBe('CONFLICT');
  });
});

describe('signing in', () => {
  it('signs in with a session: the cookie id is stored hashed, lastLoginAt set, auth.login audited', async () => {
    const me = await signedIn('editor', unique('jane'));
    const { user, sessionId } = await login(ports, { username: me.user.username.toUpperCase(), password: PASSWORD }, context);
    expect(user).toMatchObject({ id: me.user.id, lastLoginAt: new Date(now).toISOString() });
    expect(await ports.identities.findSession(sessionId)).toBeNull();
    expect(await ports.identities.findSession(hashSecret(sessionId))).toMatchObject({ userId: me.user.id });
    const identity = await resolveIdentity(ports, { sessionId });
    expect(identity).toMatchObject({ user: { id: me.user.id }, role: 'editor', via: 'session' });
    expect(getMe(identity)).toEqual({ user: identity.user, via: 'session' });
    expect((await auditOf(me.user.id)).filter((entry) => entry.action === 'auth.login')).toHaveLength(2);
  });

  it('answers a wrong username and a wrong password alike, after the same work, and audits both', async () => {
    const me = await signedIn('viewer', unique('typo'));
    derivations = 0;
    const wrongUser = await rejectionOf(login(ports, { username: unique('nobody'), password: PASSWORD }, context));
    const forUnknown = derivations;
    derivations = 0;
    const wrongPassword = await rejectionOf(login(ports, { username: me.user.username, password: 'not the password' }, context));
    expect(derivations).toBe(forUnknown);
    expect(forUnknown).toBe(1);
    for (const error of [wrongUser, wrongPassword]) {
      expect(error.code).toBe('UNAUTHORIZED');
      expect(error.message).toBe(WRONG_CREDENTIALS);
    }
    expect(await auditOf(me.user.id)).toContainEqual(expect.objectContaining({ action: 'auth.login_failed', details: { reason: 'wrong-credentials' }, ip: '10.0.0.9' }));
  });

  it('after 5 failures refuses the username with RATE_LIMITED and Retry-After, even with the good password, until the window passes', async () => {
    const me = await signedIn('viewer', unique('brute'));
    for (let index = 0; index < 5; index++) {
      expect((await rejectionOf(login(ports, { username: me.user.username, password: `guess number ${index}` }, { requestId: 'r', ip: `192.0.2.${index}` }))).code).toBe('UNAUTHORIZED');
    }
    derivations = 0;
    const limited = await rejectionOf(login(ports, { username: me.user.username, password: PASSWORD }, context));
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.status).toBe(429);
    expect(limited.details).toEqual({ retryAfterSeconds: 900 });
    expect(limited.message).toMatch(/try again in 900 seconds/);
    expect(derivations).toBe(0);
    const refusals = (await ports.identities.listAudit({ action: 'auth.login_failed', actor: me.user.username, limit: 10 })).entries;
    expect(refusals[0]).toMatchObject({ details: { reason: 'rate-limited', limitedBy: 'username' } });

    now += 15 * MINUTE;
    await expect(login(ports, { username: me.user.username, password: PASSWORD }, context)).resolves.toMatchObject({ user: { id: me.user.id } });
  });

  it('ends sessions after SESSION_IDLE_MINUTES without use, and keeps a used one alive', async () => {
    const me = await signedIn('viewer');
    const { sessionId } = await login(ports, { username: me.user.username, password: PASSWORD }, context);
    now += 479 * MINUTE;
    await resolveIdentity(ports, { sessionId });
    now += 479 * MINUTE;
    await expect(resolveIdentity(ports, { sessionId })).resolves.toMatchObject({ via: 'session' });
    now += 480 * MINUTE;
    const idle = await rejectionOf(resolveIdentity(ports, { sessionId }));
    expect(idle.code).toBe('UNAUTHORIZED');
    expect(idle.message).toMatch(/sign in again/);
  });

  it('signs out: the session stops working, auth.logout audited', async () => {
    const me = await signedIn('viewer');
    await logout(ports, me, context);
    expect((await rejectionOf(resolveIdentity(ports, { sessionId: me.sessionId }))).code).toBe('UNAUTHORIZED');
    expect((await auditOf(me.user.id)).map((entry) => entry.action)).toContain('auth.logout');
  });

  it('refuses a request without credentials, and lets everyone in as the built-in admin with AUTH=off', async () => {
    const none = await rejectionOf(resolveIdentity(ports, {}));
    expect(none.code).toBe('UNAUTHORIZED');
    expect(none.message).toMatch(/Authorization: Bearer/);
    const off = await resolveIdentity({ ...ports, authEnabled: false }, {});
    expect(off).toMatchObject({ role: 'admin', via: 'auth-off', user: { username: 'admin' } });
    expect(getMe(off).via).toBe('session');
  });

  it('a disabled user cannot sign in, and their sessions and tokens stop at once', async () => {
    const admin = await signedIn('admin');
    const me = await signedIn('editor');
    const { token } = await createToken(ports, me, { name: 'ci' }, context);
    await expect(resolveIdentity(ports, { bearerToken: token })).resolves.toMatchObject({ via: 'token' });
    await updateUser(ports, admin, me.user.id, { disabled: true }, context);

    for (const credentials of [{ sessionId: me.sessionId }, { bearerToken: token }]) {
      const refused = await rejectionOf(resolveIdentity(ports, credentials));
      expect(refused.code).toBe('UNAUTHORIZED');
      expect(refused.message).toMatch(/disabled/);
    }
    const signIn = await rejectionOf(login(ports, { username: me.user.username, password: PASSWORD }, context));
    expect(signIn.code).toBe('UNAUTHORIZED');
    expect(signIn.message).toMatch(/disabled: ask an administrator/);
    const wrong = await rejectionOf(login(ports, { username: me.user.username, password: 'not the password' }, context));
    expect(wrong.message).toBe(WRONG_CREDENTIALS);
  });
});

describe('API tokens', () => {
  it('shows the secret once, keeps only its SHA-256, authenticates with it and records its last use', async () => {
    const me = await signedIn('editor');
    const created = await createToken(ports, me, { name: 'historian', expiresAt: new Date(now + 60 * MINUTE).toISOString() }, context);
    expect(created).toMatchObject({ name: 'historian', role: 'editor', owner: { id: me.user.id, username: me.user.username }, revoked: false, lastUsedAt: null });
    expect(created.token).toMatch(/^ss_[A-Za-z0-9_-]{43}$/);
    const stored = await ports.identities.findTokenBySecretHash(hashSecret(created.token));
    expect(stored?.id).toBe(created.id);
    expect(JSON.stringify(await listTokens(ports, me))).not.toContain(created.token);

    const identity = await resolveIdentity(ports, { bearerToken: created.token, sessionId: me.sessionId });
    expect(identity).toMatchObject({ via: 'token', role: 'editor', token: { id: created.id, name: 'historian' }, user: { id: me.user.id } });
    expect(getMe(identity).via).toBe('token');
    expect((await ports.identities.getToken(created.id))?.lastUsedAt?.getTime()).toBe(now);
    expect(await auditOf(created.id)).toMatchObject([{ action: 'token.create', actor: { type: 'user', id: me.user.id } }]);

    now += 61 * MINUTE;
    const expired = await rejectionOf(resolveIdentity(ports, { bearerToken: created.token }));
    expect(expired.code).toBe('UNAUTHORIZED');
    expect(expired.message).toMatch(/'historian' expired/);
  });

  it('refuses unknown and revoked tokens; a token acting is audited as the token beside its owner', async () => {
    const me = await signedIn('editor');
    const unknown = await rejectionOf(resolveIdentity(ports, { bearerToken: `ss_${'A'.repeat(43)}` }));
    expect(unknown.message).toMatch(/unknown/);
    const created = await createToken(ports, me, { name: 'ci', role: 'viewer' }, context);
    const asToken = await resolveIdentity(ports, { bearerToken: created.token });
    const second = await createToken(ports, asToken, { name: 'from-ci' }, context);
    expect(second.role).toBe('viewer');
    expect(await auditOf(second.id)).toMatchObject([{ actor: { type: 'token', id: me.user.id, name: me.user.username, token: { id: created.id, name: 'ci' } } }]);

    await revokeToken(ports, me, created.id, context);
    await revokeToken(ports, me, created.id, context);
    const revoked = await rejectionOf(resolveIdentity(ports, { bearerToken: created.token }));
    expect(revoked.message).toMatch(/'ci' was revoked/);
    expect((await auditOf(created.id)).map((entry) => entry.action)).toEqual(['token.revoke', 'token.create']);
    expect((await listTokens(ports, me)).tokens.find((token) => token.id === created.id)?.revoked).toBe(true);
  });

  it('refuses a role above the creator\'s with FORBIDDEN, and an expiry in the past', async () => {
    const me = await signedIn('editor');
    const above = await rejectionOf(createToken(ports, me, { name: 'too much', role: 'admin' }, context));
    expect(above.code).toBe('FORBIDDEN');
    expect(above.message).toMatch(/you are editor, the token asks for admin/);
    const past = await rejectionOf(createToken(ports, me, { name: 'old', expiresAt: new Date(now - 1000).toISOString() }, context));
    expect(past.code).toBe('VALIDATION_FAILED');
    expect((await listTokens(ports, me)).tokens).toEqual([]);
  });

  it('acts with the lower of its role and its owner\'s current role', async () => {
    const admin = await signedIn('admin');
    const me = await signedIn('editor');
    const { token } = await createToken(ports, me, { name: 'ci' }, context);
    await updateUser(ports, admin, me.user.id, { role: 'viewer' }, context);
    expect((await resolveIdentity(ports, { bearerToken: token })).role).toBe('viewer');
  });

  it('lists own tokens for an editor and every token for an admin; only the owner or an admin revokes', async () => {
    const admin = await signedIn('admin');
    const alice = await signedIn('editor');
    const bob = await signedIn('editor');
    const alices = await createToken(ports, alice, { name: 'alice-ci' }, context);
    const bobs = await createToken(ports, bob, { name: 'bob-ci' }, context);
    expect((await listTokens(ports, alice)).tokens.map((token) => token.id)).toEqual([alices.id]);
    expect((await listTokens(ports, admin)).tokens.map((token) => token.id)).toEqual(expect.arrayContaining([alices.id, bobs.id]));

    const notYours = await rejectionOf(revokeToken(ports, alice, bobs.id, context));
    expect(notYours.code).toBe('FORBIDDEN');
    expect(notYours.message).toMatch(/belongs to/);
    await revokeToken(ports, admin, bobs.id, context);
    expect((await ports.identities.getToken(bobs.id))?.revokedAt).not.toBeNull();
    expect((await rejectionOf(revokeToken(ports, admin, 'no-such-token', context))).code).toBe('NOT_FOUND');
  });
});

describe('users', () => {
  beforeEach(resetUsers);

  it('creates users (a taken username in any case is a CONFLICT, leaving no audit entry) and lists them', async () => {
    const admin = await signedIn('admin', 'root');
    const before = (await ports.identities.listAudit({ action: 'user.create', limit: 500 })).entries.length;
    const error = await rejectionOf(createUser(ports, admin, { username: 'ROOT', role: 'viewer', password: PASSWORD }, context));
    expect(error.code).toBe('CONFLICT');
    expect((await ports.identities.listAudit({ action: 'user.create', limit: 500 })).entries).toHaveLength(before);
    const jane = await createUser(ports, admin, { username: 'jane', displayName: 'Jane Kim', role: 'editor', password: PASSWORD }, context);
    expect(jane).toMatchObject({ username: 'jane', displayName: 'Jane Kim', role: 'editor', source: 'local' });
    const { users: all } = await import('./list-users').then(({ listUsers }) => listUsers(ports));
    expect(all.map((user) => user.username)).toEqual(['jane', 'root']);
    expect(JSON.stringify(all)).not.toContain('scrypt');
  });

  it('lets a user change their own display name and password (with the current one), nothing else', async () => {
    const admin = await signedIn('admin');
    const me = await signedIn('editor');
    const other = await signedIn('viewer');
    expect(await updateUser(ports, me, me.user.id, { displayName: 'Me Myself' }, context)).toMatchObject({ displayName: 'Me Myself' });
    expect((await rejectionOf(updateUser(ports, me, me.user.id, { role: 'admin' }, context))).code).toBe('FORBIDDEN');
    expect((await rejectionOf(updateUser(ports, me, other.user.id, { displayName: 'x' }, context))).message).toMatch(/needs the admin role/);
    expect((await rejectionOf(updateUser(ports, me, me.user.id, { password: 'a brand new password' }, context))).message).toMatch(/currentPassword is needed/);
    const wrong = await rejectionOf(updateUser(ports, me, me.user.id, { password: 'a brand new password', currentPassword: 'not it at all' }, context));
    expect(wrong.code).toBe('FORBIDDEN');
    // A second device (or whoever learnt the old password) is signed out; the session that changed it stays.
    const elsewhere = (await login(ports, { username: me.user.username, password: PASSWORD }, context)).sessionId;
    await updateUser(ports, me, me.user.id, { password: 'a brand new password', currentPassword: PASSWORD }, context);
    await expect(resolveIdentity(ports, { sessionId: elsewhere })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(resolveIdentity(ports, { sessionId: me.sessionId })).resolves.toMatchObject({ user: { id: me.user.id } });
    await expect(login(ports, { username: me.user.username, password: 'a brand new password' }, context)).resolves.toBeTruthy();

    // An admin sets another user's password without theirs: every session of that user ends.
    await updateUser(ports, admin, other.user.id, { password: 'set by the admin' }, context);
    await expect(resolveIdentity(ports, { sessionId: other.sessionId })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(login(ports, { username: other.user.username, password: 'set by the admin' }, context)).resolves.toBeTruthy();
    const changes = (await auditOf(me.user.id)).filter((entry) => entry.action === 'user.update').map((entry) => entry.details);
    expect(changes).toEqual([
      { changes: { password: 'changed', sessionsEnded: 1 } },
      { changes: { displayName: { from: me.user.username, to: 'Me Myself' } } },
    ]);
  });

  it('never demotes, disables or deletes the last enabled admin (409), but does once another admin exists', async () => {
    const admin = await signedIn('admin');
    for (const [body, what] of [[{ role: 'editor' as const }, 'demoted'], [{ disabled: true }, 'disabled']] as const) {
      const error = await rejectionOf(updateUser(ports, admin, admin.user.id, body, context));
      expect(error.code).toBe('CONFLICT');
      expect(error.message).toContain(`last enabled administrator and cannot be ${what}`);
    }
    const deleted = await rejectionOf(deleteUser(ports, admin, admin.user.id, context));
    expect(deleted.code).toBe('CONFLICT');
    expect(await auditOf(admin.user.id)).not.toContainEqual(expect.objectContaining({ action: 'user.update' }));

    const second = await signedIn('admin');
    await updateUser(ports, second, admin.user.id, { role: 'editor' }, context);
    const last = await rejectionOf(deleteUser(ports, second, second.user.id, context));
    expect(last.code).toBe('CONFLICT');
    await deleteUser(ports, second, admin.user.id, context);
    expect(await ports.identities.getUser(admin.user.id)).toBeNull();
    expect((await auditOf(admin.user.id)).map((entry) => entry.action).slice(0, 2)).toEqual(['user.delete', 'user.update']);
    expect((await rejectionOf(deleteUser(ports, second, admin.user.id, context))).code).toBe('NOT_FOUND');
  });
});

describe('the audit trail', () => {
  it('shows the whole trail to an admin and only the scripts\' history below admin', async () => {
    const viewer = await signedIn('viewer');
    const admin = await signedIn('admin');
    const refused = await rejectionOf(listAudit(ports, viewer, { limit: 100 }));
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toMatch(/targetType=script/);
    await expect(listAudit(ports, viewer, { targetType: 'script', limit: 100 })).resolves.toMatchObject({ entries: expect.any(Array) });
    const page = await listAudit(ports, admin, { limit: 2 });
    expect(page.entries).toHaveLength(2);
    expect(page.nextCursor).not.toBeNull();
  });
});
