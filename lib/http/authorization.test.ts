import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import { ROLES, type Role } from '../model/role';
import { createToken } from '../security/create-token';
import { createUser } from '../security/create-user';
import { toUser, type Identity } from '../security/identity';
import { LoginThrottle } from '../security/login-throttle';
import { createPasswordHasher } from '../security/password-hash';
import { RefusalBudget } from '../security/record-refusal';
import { setupCodeFileIn } from '../security/setup-code';
import { silentLogger } from '../support/logger';
import { OPERATIONS } from './api-operations';
import { CLIENT_IP_HEADER, SESSION_COOKIE } from './authenticate-request';
import { createApiHandler, type ApiHandler } from './handle-api-request';
import type { ApiServices, Operation } from './operation';
import { buildOpenApiDocument } from './openapi';

/**
 * Roles, sign-in and cross-site refusal through the real request handler over an embedded database
 * (security.md). No use case behind a refused request runs: the services object has nothing but the
 * security ports, so an operation that got through would fail differently (500, not 401/403).
 */

const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const PASSWORD = 'correct horse battery staple';
const BASE = 'http://127.0.0.1:3000';

let database: DatabaseHandle;
let identities: SqlIdentityStore;
let api: ApiHandler;
let folder: string;
let now = Date.now();
const tokens = {} as Record<Role, string>;
let adminId: string;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder });
  folder = mkdtempSync(path.join(os.tmpdir(), 'authorization-'));
  identities = new SqlIdentityStore(database, { now: () => now });
  const services = {
    identities,
    passwords: createPasswordHasher({ ln: 10, r: 8, p: 1 }),
    throttle: new LoginThrottle({ now: () => now }),
    now: () => now,
    log: silentLogger,
    sessionIdleMs: 60 * 60_000,
    authEnabled: true,
    setupCode: { required: false, file: setupCodeFileIn(folder) },
    config: { BODY_LIMIT_BYTES: 1024 * 1024, METRICS_TOKEN: 'metrics-secret' },
    metrics: { text: async () => 'evaluations_total 0\n', contentType: 'text/plain' },
  } as unknown as ApiServices;
  api = createApiHandler(services);
  const stored = await identities.change((tx) =>
    tx.createUser({ username: 'root', displayName: 'Root', role: 'admin', source: 'local', passwordHash: null, externalId: null, createdAt: new Date(now) }),
  );
  adminId = stored.id;
  const admin: Identity = { user: toUser(stored), role: 'admin', via: 'session' };
  for (const role of ROLES) tokens[role] = (await createToken(services, admin, { name: `${role} token`, role }, { requestId: 't' })).token;
  await createUser(services, admin, { username: 'alice', role: 'editor', password: PASSWORD }, { requestId: 't' });
}, 180_000);

afterAll(async () => {
  await database?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A request to `operation` with made-up path parameters and a JSON body (never read when refused). */
function call(operation: Operation<any, any, any>, headers: Record<string, string> = {}) {
  const params: Record<string, string> = {};
  const url = operation.path.replace(/\{(\w+)\}/g, (_, name: string) => (params[name] = `x-${name}`));
  const hasBody = operation.method !== 'GET' && operation.method !== 'DELETE';
  const request = new Request(`${BASE}${url}`, {
    method: operation.method,
    headers: { host: '127.0.0.1:3000', ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    body: hasBody ? '{}' : undefined,
  });
  return api.handle(operation.id, request, params);
}

async function envelopeOf(response: Response) {
  const body = (await response.json()) as { error: { code: string; message: string; details: object } };
  expect(Object.keys(body)).toEqual(['error']);
  return body.error;
}

const ROLE_BELOW: Record<string, Role | null> = { viewer: null, editor: 'viewer', admin: 'editor' };

describe('the operations table', () => {
  it('declares a role for every operation, public only for health, metrics and sign-in', () => {
    const publicOnes = OPERATIONS.filter((operation) => operation.role === 'public').map((operation) => operation.path);
    expect(publicOnes.sort()).toEqual([
      '/api/auth/login',
      '/api/auth/logout',
      '/api/auth/oidc/callback',
      '/api/auth/oidc/start',
      '/api/auth/setup',
      '/api/auth/setup',
      '/api/health',
      '/api/metrics',
    ]);
    for (const operation of OPERATIONS) expect(['public', ...ROLES], operation.id).toContain(operation.role);
  });

  it('refuses every protected operation without an identity (401) and with the role below the one it needs (403)', async () => {
    const protectedOnes = OPERATIONS.filter((operation) => operation.role !== 'public');
    expect(protectedOnes.length).toBeGreaterThan(25);
    for (const operation of protectedOnes) {
      const anonymous = await call(operation);
      expect(anonymous.status, `${operation.id} without credentials`).toBe(401);
      expect((await envelopeOf(anonymous)).code).toBe('UNAUTHORIZED');
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);

      const below = ROLE_BELOW[operation.role];
      if (below === null) continue;
      const refused = await call(operation, { authorization: `Bearer ${tokens[below]}` });
      expect(refused.status, `${operation.id} as ${below}`).toBe(403);
      const error = await envelopeOf(refused);
      expect(error.code).toBe('FORBIDDEN');
      expect(error.message).toContain(`needs the ${operation.role} role`);
    }
  });

  it('has no operation that updates or deletes an audit entry', () => {
    const audit = OPERATIONS.filter((operation) => operation.path.startsWith('/api/audit'));
    expect(audit.map((operation) => `${operation.method} ${operation.path}`)).toEqual(['GET /api/audit']);
  });

  it('lets the needed role through (the use case runs and answers)', async () => {
    const listUsers = OPERATIONS.find((operation) => operation.id === 'listUsers')!;
    const answer = await call(listUsers, { authorization: `Bearer ${tokens.admin}` });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { users: Array<{ username: string }> }).users.map((user) => user.username)).toContain('root');
  });

  it('protects metrics with METRICS_TOKEN when it is set', async () => {
    const metrics = OPERATIONS.find((operation) => operation.id === 'metrics')!;
    expect((await call(metrics)).status).toBe(401);
    expect((await call(metrics, { authorization: `Bearer ${tokens.admin}` })).status).toBe(401);
    const allowed = await call(metrics, { authorization: 'Bearer metrics-secret' });
    expect(allowed.status).toBe(200);
    expect(await allowed.text()).toContain('evaluations_total');
  });
});

const byId = (id: string) => OPERATIONS.find((operation) => operation.id === id)!;

async function signIn(username: string, password: string, extra: Record<string, string> = {}) {
  return api.handle(
    'login',
    new Request(`${BASE}/api/auth/login`, {
      method: 'POST',
      headers: { host: '127.0.0.1:3000', 'content-type': 'application/json', [CLIENT_IP_HEADER]: '10.1.1.1', ...extra },
      body: JSON.stringify({ username, password }),
    }),
  );
}

function cookieValue(response: Response): string {
  const header = response.headers.get('set-cookie') ?? '';
  return new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(header)?.[1] ?? '';
}

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict cookie with the idle expiry; Secure only over HTTPS', async () => {
    const answer = await signIn('alice', PASSWORD);
    expect(answer.status).toBe(200);
    const cookie = answer.headers.get('set-cookie')!;
    expect(cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43,}; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600$`));
    const secure = await signIn('alice', PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(secure.headers.get('set-cookie')).toMatch(/; Secure$/);

    const me = await call(byId('me'), { cookie: `${SESSION_COOKIE}=${cookieValue(answer)}` });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { username: 'alice', role: 'editor' }, via: 'session' });
  });

  it('ends the session at sign-out and clears the cookie', async () => {
    const session = cookieValue(await signIn('alice', PASSWORD));
    const out = await call(byId('logout'), { cookie: `${SESSION_COOKIE}=${session}` });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    expect((await call(byId('me'), { cookie: `${SESSION_COOKIE}=${session}` })).status).toBe(401);
  });

  it('refuses a wrong user and a wrong password with the same 401', async () => {
    const wrongPassword = await envelopeOf(await signIn('alice', 'not the password at all'));
    const wrongUser = await envelopeOf(await signIn('nobody-here', PASSWORD));
    expect(wrongPassword.code).toBe('UNAUTHORIZED');
    expect(wrongUser).toEqual(wrongPassword);
  });

  it('answers a username the database cannot hold (NUL) with the same 401, audited', async () => {
    const answer = await signIn('ad\u0000min', PASSWORD);
    expect(answer.status).toBe(401);
    expect((await envelopeOf(answer)).code).toBe('UNAUTHORIZED');
  });

  it('answers 429 with Retry-After after 5 failures for one username, even to the right password', async () => {
    await createUser(
      { identities, passwords: createPasswordHasher({ ln: 10, r: 8, p: 1 }), now: () => now, log: silentLogger },
      { user: toUser((await identities.getUser(adminId))!), role: 'admin', via: 'session' },
      { username: 'bob', role: 'viewer', password: PASSWORD },
      { requestId: 't' },
    );
    for (let attempt = 0; attempt < 5; attempt++) expect((await signIn('bob', 'wrong password!!')).status).toBe(401);
    const limited = await signIn('bob', PASSWORD);
    expect(limited.status).toBe(429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect((await envelopeOf(limited)).code).toBe('RATE_LIMITED');
    now += 16 * 60_000;
    expect((await signIn('bob', PASSWORD)).status).toBe(200);
  });

  it('stops the sessions and tokens of a disabled user at once', async () => {
    const stored = await identities.change((tx) =>
      tx.createUser({ username: 'carol', displayName: 'Carol', role: 'editor', source: 'local', passwordHash: null, externalId: null, createdAt: new Date(now) }),
    );
    const carol: Identity = { user: toUser(stored), role: 'editor', via: 'session' };
    const services = { identities, now: () => now, log: silentLogger };
    const { token } = await createToken(services, carol, { name: 'carol ci' }, { requestId: 't' });
    expect((await call(byId('listScripts'), { authorization: `Bearer ${token}` })).status).not.toBe(401);
    await identities.change((tx) => tx.updateUser(stored.id, { disabled: true }));
    const refused = await call(byId('listScripts'), { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(401);
    expect((await envelopeOf(refused)).message).toMatch(/disabled/);
  });

  it('refuses a revoked and an expired token', async () => {
    const root: Identity = { user: toUser((await identities.getUser(adminId))!), role: 'admin', via: 'session' };
    const services = { identities, now: () => now, log: silentLogger };
    const revoked = await createToken(services, root, { name: 'to revoke' }, { requestId: 't' });
    await identities.change((tx) => tx.revokeToken(revoked.id, new Date(now)));
    const expiring = await createToken(services, root, { name: 'short', expiresAt: new Date(now + 60_000).toISOString() }, { requestId: 't' });
    expect((await call(byId('listUsers'), { authorization: `Bearer ${expiring.token}` })).status).toBe(200);
    now += 2 * 60_000;
    for (const secret of [revoked.token, expiring.token]) {
      const answer = await call(byId('listUsers'), { authorization: `Bearer ${secret}` });
      expect(answer.status).toBe(401);
      expect((await envelopeOf(answer)).message).toMatch(/revoked|expired/);
    }
  });
});

describe('cross-site requests', () => {
  it('refuses a cookie-authenticated change sent as a form or from another origin, but not the same change with a token', async () => {
    const session = cookieValue(await signIn('alice', PASSWORD));
    const cookie = `${SESSION_COOKIE}=${session}`;
    const post = (headers: Record<string, string>, body = '{"name":"ci"}') =>
      api.handle('createToken', new Request(`${BASE}/api/tokens`, { method: 'POST', headers: { host: '127.0.0.1:3000', ...headers }, body }));

    const form = await post({ cookie, 'content-type': 'application/x-www-form-urlencoded' }, 'name=ci');
    expect(form.status).toBe(403);
    expect((await envelopeOf(form)).message).toMatch(/cross-site request refused.*application\/json/);
    const foreign = await post({ cookie, 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await envelopeOf(foreign)).message).toMatch(/evil\.example/);
    const textPlain = await post({ cookie, 'content-type': 'text/plain' });
    expect(textPlain.status).toBe(403);

    const sameSite = await post({ cookie, 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' });
    expect(sameSite.status).toBe(201);
    const withToken = await post({ authorization: `Bearer ${tokens.editor}`, 'content-type': 'application/json', origin: 'https://evil.example' });
    expect(withToken.status).toBe(201);
  });

  it('refuses a forged sign-in from another origin', async () => {
    const answer = await signIn('alice', PASSWORD, { origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
    expect(answer.headers.get('set-cookie')).toBeNull();
  });
});

describe('the OpenAPI document', () => {
  it('declares the cookie and bearer schemes and every protected operation’s 401 and 403', () => {
    const document = buildOpenApiDocument('test') as {
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
      paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, unknown> }>>;
    };
    expect(document.components.securitySchemes.sessionCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: SESSION_COOKIE });
    expect(document.components.securitySchemes.bearerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const operation of OPERATIONS) {
      const documented = document.paths[operation.path][operation.method.toLowerCase()];
      if (operation.role === 'public') {
        if (operation.id !== 'metrics') expect(documented.security, operation.id).toEqual([]);
        continue;
      }
      expect(documented.security, operation.id).toEqual([{ sessionCookie: [] }, { bearerToken: [] }]);
      expect(Object.keys(documented.responses), operation.id).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});

describe('the record of refusals (R9)', () => {
  const refusalsOf = async (requestId: string) =>
    (await identities.listAudit({ action: 'auth.refused', limit: 500 })).entries.filter((entry) => entry.requestId === requestId);
  const idOf = (response: Response) => response.headers.get('x-request-id')!;

  it('records a call without credentials, with a revoked token, below its role and cross-site — each with who and why', async () => {
    const anonymous = await call(byId('listUsers'), { [CLIENT_IP_HEADER]: '10.9.9.9' });
    expect(anonymous.status).toBe(401);
    const [entry] = await refusalsOf(idOf(anonymous));
    expect(entry).toMatchObject({
      actor: { type: 'user', id: null, name: 'anonymous' },
      target: { type: 'operation', id: 'listUsers', name: 'GET /api/users' },
      details: { status: 401, code: 'UNAUTHORIZED', method: 'GET', path: '/api/users' },
      ip: '10.9.9.9',
    });

    const root: Identity = { user: toUser((await identities.getUser(adminId))!), role: 'admin', via: 'session' };
    const revoked = await createToken({ identities, now: () => now, log: silentLogger }, root, { name: 'old ci' }, { requestId: 't' });
    await identities.change((tx) => tx.revokeToken(revoked.id, new Date(now)));
    const withRevoked = await call(byId('listScripts'), { authorization: `Bearer ${revoked.token}` });
    expect(withRevoked.status).toBe(401);
    expect((await refusalsOf(idOf(withRevoked)))[0]).toMatchObject({
      actor: { type: 'token', id: adminId, name: 'root', token: { id: revoked.id, name: 'old ci' } },
      details: { reason: expect.stringMatching(/revoked/) },
    });

    const below = await call(byId('createUser'), { authorization: `Bearer ${tokens.editor}` });
    expect(below.status).toBe(403);
    expect((await refusalsOf(idOf(below)))[0]).toMatchObject({
      actor: { type: 'token', name: 'root', token: { name: 'editor token' } },
      details: { status: 403, code: 'FORBIDDEN', reason: expect.stringMatching(/needs the admin role/) },
    });

    const session = cookieValue(await signIn('alice', PASSWORD));
    const forged = await api.handle(
      'createToken',
      new Request(`${BASE}/api/tokens`, {
        method: 'POST',
        headers: { host: '127.0.0.1:3000', cookie: `${SESSION_COOKIE}=${session}`, 'content-type': 'application/json', origin: 'https://evil.example' },
        body: '{"name":"x"}',
      }),
    );
    expect(forged.status).toBe(403);
    expect((await refusalsOf(idOf(forged)))[0]).toMatchObject({ actor: { type: 'user', name: 'alice' }, details: { reason: expect.stringMatching(/evil\.example/) } });
  });

  it('does not record a failed sign-in twice (it is auth.login_failed)', async () => {
    const failed = await signIn('alice', 'certainly not the password');
    expect(failed.status).toBe(401);
    expect(await refusalsOf(idOf(failed))).toEqual([]);
    const logged = (await identities.listAudit({ action: 'auth.login_failed', limit: 500 })).entries.filter((entry) => entry.requestId === idOf(failed));
    expect(logged).toHaveLength(1);
  });

  it('tells the IDE whether the browser is signed in through the public status, refusing nothing', async () => {
    const status = async (headers: Record<string, string>) => (await (await call(byId('setupStatus'), headers)).json()) as { signedIn: boolean };
    expect((await status({})).signedIn).toBe(false);
    expect((await status({ cookie: `${SESSION_COOKIE}=${'x'.repeat(43)}` })).signedIn).toBe(false);
    expect((await status({ cookie: `${SESSION_COOKIE}=${cookieValue(await signIn('alice', PASSWORD))}` })).signedIn).toBe(true);
  });
});

describe('the refusal budget', () => {
  it('records the first refusals of an address each minute, says when it stops, and starts again the next minute', () => {
    let clock = 0;
    const budget = new RefusalBudget({ perMinute: 3, now: () => clock });
    expect([budget.take('a'), budget.take('a'), budget.take('a'), budget.take('a'), budget.take('b')]).toEqual(['record', 'record', 'last', 'skip', 'record']);
    clock = 60_000;
    expect(budget.take('a')).toBe('record');
  });

  it('forgets the oldest address past its bound', () => {
    const budget = new RefusalBudget({ perMinute: 2, maxAddresses: 2, now: () => 0 });
    expect([budget.take('a'), budget.take('a')]).toEqual(['record', 'last']);
    budget.take('b');
    budget.take('c'); // 'a' is forgotten
    expect(budget.take('a')).toBe('record');
  });
});
