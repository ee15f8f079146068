import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, TEST_ADMIN, type RunningApp } from '../helpers/app-process';

/**
 * R9 of the quality bar, over real HTTP against the built app: every documented /api operation
 * without credentials, with a revoked and an expired token, as a disabled user (token and session),
 * with each role below the one it needs, forged cross-site, and 20 wrong passwords in a row. Each is
 * answered 401/403/429 in the envelope and nothing else, nothing changes, and each refusal is in the
 * audit trail. The operations come from the app's own /api/openapi.json, so an operation added later
 * is covered without touching this file. The requests carry real ids and bodies that would change
 * something if they got through.
 */

interface DocumentedOperation {
  operationId: string;
  method: string;
  path: string;
  /** The role the operation needs (x-required-role), or public. */
  role: string;
}

const PASSWORD = 'a password long enough';
let app: RunningApp;
let operations: DocumentedOperation[];
const ids = { script: '', tag: 'R9.INPUT', viewer: '', editor: '', adminToken: '' };
const credentials = {} as Record<'revoked' | 'expired' | 'disabledToken' | 'viewerToken' | 'editorToken' | 'viewerCookie' | 'editorCookie' | 'disabledCookie', string>;
const refusedRequestIds: string[] = [];

const draft = (calcCode: string) => ({
  name: 'r9_guarded',
  inputs: [{ tag: ids.tag, alias: 'x' }],
  calcCode,
  outputs: [{ tag: 'R9.OUTPUT', variable: 'y' }],
});

/** A body that would change something if the request were let through. */
function bodyFor(operationId: string): unknown {
  switch (operationId) {
    case 'createScript':
      return { ...draft('const y = x;'), name: 'r9_intruder' };
    case 'updateScript':
      return draft('const y = -1;');
    case 'publishValues':
      return [{ tag: ids.tag, value: 666 }];
    case 'setTagMeta':
      return { unit: 'hacked', description: 'hacked' };
    case 'createUser':
      return { username: 'intruder', role: 'admin', password: 'intruder password' };
    case 'updateUser':
      return { role: 'admin', disabled: false, displayName: 'hacked' };
    case 'createToken':
      return { name: 'intruder', role: 'admin' };
    default:
      return {};
  }
}

function pathFor(operation: DocumentedOperation): string {
  return operation.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === 'tag') return encodeURIComponent(ids.tag);
    if (name === 'version') return '1';
    if (name !== 'id') return 'x';
    if (operation.path.startsWith('/api/scripts')) return ids.script;
    if (operation.path.startsWith('/api/users')) return ids.editor;
    if (operation.path.startsWith('/api/tokens')) return ids.adminToken;
    return 'no-such-id';
  });
}

/** Sends `operation` with exactly these headers (no test token added), and checks the refusal. */
async function refused(operation: DocumentedOperation, headers: Record<string, string>, status: number, body: unknown = bodyFor(operation.operationId)) {
  const hasBody = !['GET', 'DELETE'].includes(operation.method);
  const response = await fetch(`${app.url}${pathFor(operation)}`, {
    method: operation.method,
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...headers },
    body: hasBody ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
  });
  const text = await response.text();
  const label = `${operation.method} ${operation.path} with ${JSON.stringify(Object.keys(headers))}`;
  expect(response.status, `${label}: ${text}`).toBe(status);
  const answer = JSON.parse(text) as { error: { code: string; message: string } };
  expect(Object.keys(answer), label).toEqual(['error']); // the envelope, never the data
  expect(answer.error.code).toBe(status === 401 ? 'UNAUTHORIZED' : status === 403 ? 'FORBIDDEN' : 'RATE_LIMITED');
  expect(answer.error.message.length).toBeGreaterThan(10);
  refusedRequestIds.push(response.headers.get('x-request-id')!);
  return answer.error;
}

async function signIn(username: string, password: string, headers: Record<string, string> = {}) {
  return fetch(`${app.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ username, password }) });
}

async function cookieOf(username: string, password = PASSWORD): Promise<string> {
  const answer = await signIn(username, password);
  expect(answer.status, await answer.clone().text()).toBe(200);
  return (answer.headers.get('set-cookie') ?? '').split(';')[0];
}

async function tokenOf(cookie: string, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const answer = await fetch(`${app.url}/api/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify(body) });
  expect(answer.status, await answer.clone().text()).toBe(201);
  return (await answer.json()) as { id: string; token: string };
}

/** What must not change: scripts, users, tokens, the guarded tag's metadata and history. */
async function snapshot() {
  const scripts = await callApi(app.url, 'GET', '/api/scripts');
  const users = await callApi(app.url, 'GET', '/api/users');
  const tokens = await callApi(app.url, 'GET', '/api/tokens');
  const tag = await callApi(app.url, 'GET', `/api/tags/${encodeURIComponent(ids.tag)}`);
  const history = await callApi(app.url, 'GET', `/api/tags/${encodeURIComponent(ids.tag)}/history?from=2000-01-01T00:00:00Z`);
  return {
    scripts: scripts.json,
    users: users.json.users.map(({ lastLoginAt: _, ...user }: Record<string, unknown>) => user),
    tokens: tokens.json.tokens.map(({ lastUsedAt: _, ...token }: Record<string, unknown>) => token),
    tag: tag.json,
    history: history.json,
  };
}

let before: Awaited<ReturnType<typeof snapshot>>;

beforeAll(async () => {
  app = await startApp();
  const document = (await (await fetch(`${app.url}/api/openapi.json`)).json()) as {
    paths: Record<string, Record<string, { operationId: string; 'x-required-role'?: string }>>;
  };
  operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      operationId: operation.operationId,
      method: method.toUpperCase(),
      path,
      role: operation['x-required-role'] ?? 'public',
    })),
  );

  expect((await callApi(app.url, 'POST', '/api/values', [{ tag: ids.tag, value: 1 }])).status).toBe(202);
  const created = await callApi(app.url, 'POST', '/api/scripts', draft('const y = x * 2;'));
  expect(created.status, created.text).toBe(201);
  ids.script = created.json.id;
  expect((await callApi(app.url, 'POST', `/api/scripts/${ids.script}/register`)).status).toBe(200);
  for (const [username, role] of [['r9viewer', 'viewer'], ['r9editor', 'editor'], ['r9gone', 'editor']] as const) {
    const user = await callApi(app.url, 'POST', '/api/users', { username, role, password: PASSWORD });
    expect(user.status, user.text).toBe(201);
    if (username === 'r9viewer') ids.viewer = user.json.id;
    if (username === 'r9editor') ids.editor = user.json.id;
  }
  const adminCookie = await cookieOf(TEST_ADMIN.username, TEST_ADMIN.password);
  const guarded = await tokenOf(adminCookie, { name: 'r9 guarded' });
  ids.adminToken = guarded.id;
  credentials.viewerToken = (await tokenOf(adminCookie, { name: 'r9 as viewer', role: 'viewer' })).token;
  credentials.editorToken = (await tokenOf(adminCookie, { name: 'r9 as editor', role: 'editor' })).token;
  const revoked = await tokenOf(adminCookie, { name: 'r9 revoked' });
  expect((await callApi(app.url, 'DELETE', `/api/tokens/${revoked.id}`)).status).toBe(204);
  credentials.revoked = revoked.token;
  credentials.expired = (await tokenOf(adminCookie, { name: 'r9 expiring', expiresAt: new Date(Date.now() + 2_000).toISOString() })).token;
  credentials.viewerCookie = await cookieOf('r9viewer');
  credentials.editorCookie = await cookieOf('r9editor');
  credentials.disabledCookie = await cookieOf('r9gone');
  credentials.disabledToken = (await tokenOf(credentials.disabledCookie, { name: 'r9 of a leaver' })).token;
  const gone = (await callApi(app.url, 'GET', '/api/users')).json.users.find((user: { username: string }) => user.username === 'r9gone');
  expect((await callApi(app.url, 'PATCH', `/api/users/${gone.id}`, { disabled: true })).status).toBe(200);
  // The expiring token was good until now; wait for it to expire.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  before = await snapshot();
}, 180_000);

afterAll(async () => {
  await app?.stop();
});

const protectedOnes = () => operations.filter((operation) => operation.role !== 'public');

describe('R9: access refused', () => {
  it('covers every documented operation, each with its role', () => {
    expect(protectedOnes().length).toBeGreaterThan(25);
    for (const operation of protectedOnes()) expect(['viewer', 'editor', 'admin'], operation.operationId).toContain(operation.role);
  });

  it('answers 401 to every protected operation without credentials, with a revoked or an expired token, and as a disabled user', async () => {
    const ways: Array<[string, Record<string, string>, RegExp]> = [
      ['nothing', {}, /sign in first/],
      ['a revoked token', { authorization: `Bearer ${credentials.revoked}` }, /revoked/],
      ['an expired token', { authorization: `Bearer ${credentials.expired}` }, /expired/],
      ['a token of a disabled user', { authorization: `Bearer ${credentials.disabledToken}` }, /disabled/],
      ['a session of a disabled user', { cookie: credentials.disabledCookie }, /disabled/],
      ['a made-up token', { authorization: `Bearer ss_${'A'.repeat(43)}` }, /unknown/],
    ];
    for (const operation of protectedOnes()) {
      for (const [, headers, why] of ways) expect((await refused(operation, headers, 401)).message).toMatch(why);
    }
  }, 120_000);

  it('answers 403 to each role below the one an operation needs, by token and by session, naming the role', async () => {
    const below: Record<string, Array<Record<string, string>>> = {
      editor: [{ authorization: `Bearer ${credentials.viewerToken}` }, { cookie: credentials.viewerCookie }],
      admin: [{ authorization: `Bearer ${credentials.editorToken}` }, { cookie: credentials.editorCookie }, { authorization: `Bearer ${credentials.viewerToken}` }],
    };
    let checked = 0;
    for (const operation of protectedOnes()) {
      for (const headers of below[operation.role] ?? []) {
        expect((await refused(operation, headers, 403)).message).toContain(`needs the ${operation.role} role`);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
    // Allowed to a viewer in general, refused for what it asks: another user's role, the whole audit trail.
    const updateUser = operations.find((operation) => operation.operationId === 'updateUser')!;
    expect((await refused(updateUser, { authorization: `Bearer ${credentials.viewerToken}` }, 403)).message).toMatch(/admin role/);
    const audit = operations.find((operation) => operation.operationId === 'listAudit')!;
    expect((await refused(audit, { cookie: credentials.viewerCookie }, 403)).message).toMatch(/targetType=script/);
  }, 120_000);

  it('refuses forged cross-site changes made with the session cookie (another origin, a form, text/plain)', async () => {
    const changing = protectedOnes().filter((operation) => operation.method !== 'GET' && operation.role !== 'admin');
    expect(changing.length).toBeGreaterThan(8);
    for (const operation of changing) {
      const cookie = credentials.editorCookie;
      expect((await refused(operation, { cookie, origin: 'https://evil.example' }, 403)).message).toMatch(/cross-site/);
      if (operation.method === 'DELETE') continue; // no body to disguise
      expect((await refused(operation, { cookie, 'content-type': 'application/x-www-form-urlencoded' }, 403, 'a=1')).message).toMatch(/cross-site/);
      expect((await refused(operation, { cookie, 'content-type': 'text/plain' }, 403)).message).toMatch(/cross-site/);
    }
    const forgedLogin = await signIn('r9editor', PASSWORD, { origin: 'https://evil.example' });
    expect(forgedLogin.status).toBe(403);
    expect(forgedLogin.headers.get('set-cookie')).toBeNull();
    refusedRequestIds.push(forgedLogin.headers.get('x-request-id')!);
  }, 120_000);

  it('answers 20 wrong passwords in a row with 401, then 429 and Retry-After — and then refuses the right one too', async () => {
    const statuses: number[] = [];
    const failedIds: string[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const answer = await signIn('r9viewer', `wrong password number ${attempt}`);
      statuses.push(answer.status);
      failedIds.push(answer.headers.get('x-request-id')!);
      const body = (await answer.json()) as { error: { code: string } };
      expect(Object.keys(body)).toEqual(['error']);
      if (answer.status === 429) expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(answer.headers.get('set-cookie')).toBeNull();
    }
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    const right = await signIn('r9viewer', PASSWORD);
    expect(right.status).toBe(429);
    expect(right.headers.get('set-cookie')).toBeNull();

    const failures = await allEntries('auth.login_failed');
    const recorded = new Set(failures.map((entry) => entry.requestId));
    expect(failedIds.filter((id) => !recorded.has(id))).toEqual([]);
  }, 120_000);

  it('changed nothing, and recorded every refusal in the audit trail with who and why', async () => {
    expect(await snapshot()).toEqual(before);
    expect(refusedRequestIds.length).toBeGreaterThan(200);
    const entries = await allEntries('auth.refused');
    const recorded = new Map(entries.map((entry) => [entry.requestId, entry]));
    expect(refusedRequestIds.filter((id) => !recorded.has(id))).toEqual([]);
    const sample = recorded.get(refusedRequestIds[0])!;
    expect(sample).toMatchObject({ actor: { type: 'user', id: null, name: 'anonymous' }, ip: '127.0.0.1', details: { status: 401, code: 'UNAUTHORIZED' } });
    expect(entries.some((entry) => entry.actor.name === 'r9gone' && entry.details.reason.includes('disabled'))).toBe(true);
  }, 60_000);
});

interface Entry {
  requestId: string;
  actor: { type: string; id: string | null; name: string };
  details: { reason: string } & Record<string, unknown>;
}

/** Every audit entry of `action`, through the cursor. */
async function allEntries(action: string): Promise<Entry[]> {
  const entries: Entry[] = [];
  let cursor: string | null = null;
  do {
    const page = await callApi(app.url, 'GET', `/api/audit?action=${action}&limit=500${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status, page.text).toBe(200);
    entries.push(...page.json.entries);
    cursor = page.json.nextCursor;
  } while (cursor);
  return entries;
}
