import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, TEST_ADMIN, tokenFor, type RunningApp } from '../helpers/app-process';

/**
 * Sign-in in the built app (security.md): the first start with ADMIN_PASSWORD or a setup code,
 * AUTH=off only on loopback, tokens and sessions over real HTTP, the audit trail of script changes.
 */

let app: RunningApp | null = null;
afterEach(async () => {
  await app?.stop();
  app = null;
});

const draft = (name: string) => ({ name, inputs: [{ tag: 'SIGNIN.X', alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: `SIGNIN.${name}`, variable: 'y' }] });

describe('sign-in in the running app', () => {
  it('creates the administrator from ADMIN_PASSWORD, refuses anonymous calls and audits script changes with their author', async () => {
    app = await startApp();
    const anonymous = await fetch(`${app.url}/api/scripts`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    expect((await fetch(`${app.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${app.url}/api/openapi.json`)).status).toBe(200);

    const created = await callApi(app.url, 'POST', '/api/scripts', draft('audited_one'));
    expect(created.status, created.text).toBe(201);
    expect(created.json.createdBy).toMatchObject({ name: TEST_ADMIN.username });
    const updated = await callApi(app.url, 'PUT', `/api/scripts/${created.json.id}`, { ...draft('audited_one'), calcCode: 'const y = x * 3;' });
    expect(updated.status, updated.text).toBe(200);
    const audit = await callApi(app.url, 'GET', `/api/audit?targetType=script&targetId=${created.json.id}`);
    expect(audit.status, audit.text).toBe(200);
    expect(audit.json.entries.map((entry: { action: string }) => entry.action)).toEqual(['script.update', 'script.create']);
    expect(audit.json.entries[0]).toMatchObject({ actor: { type: 'token', name: TEST_ADMIN.username }, version: 2, ip: '127.0.0.1' });
    expect(audit.json.entries[0].details.diff.calcCode).toContain('+const y = x * 3;');

    // Registering and unregistering are audited with the script; posted values by their count only.
    expect((await callApi(app.url, 'POST', `/api/scripts/${created.json.id}/register`)).status).toBe(200);
    expect((await callApi(app.url, 'POST', `/api/scripts/${created.json.id}/unregister`)).status).toBe(200);
    const lifecycle = await callApi(app.url, 'GET', `/api/audit?targetType=script&targetId=${created.json.id}&limit=2`);
    expect(lifecycle.json.entries.map((entry: { action: string }) => entry.action)).toEqual(['script.unregister', 'script.register']);
    const posted = await callApi(app.url, 'POST', '/api/values', [
      { tag: 'SIGNIN.X', value: 1.5 },
      { tag: 'SIGNIN.X', value: 2.5 },
    ]);
    expect(posted.status, posted.text).toBe(202);
    const valuesEntry = (await callApi(app.url, 'GET', '/api/audit?action=values.post&limit=1')).json.entries[0];
    expect(valuesEntry).toMatchObject({ action: 'values.post', actor: { name: TEST_ADMIN.username }, details: { count: 2 }, requestId: posted.headers.get('x-request-id') });
    expect(JSON.stringify(valuesEntry)).not.toContain('2.5');

    // The same token, revoked, stops at once.
    const token = (await tokenFor(app.url))!;
    const tokens = await callApi(app.url, 'GET', '/api/tokens');
    const mine = tokens.json.tokens.find((entry: { revoked: boolean }) => !entry.revoked);
    expect((await callApi(app.url, 'DELETE', `/api/tokens/${mine.id}`)).status).toBe(204);
    const refused = await callApi(app.url, 'GET', '/api/scripts', undefined, { authorization: `Bearer ${token}` });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toMatch(/revoked/);
  }, 120_000);

  it('asks for the one-time setup code when HOST is not loopback, and only once', async () => {
    app = await startApp({ env: { HOST: '0.0.0.0', ADMIN_PASSWORD: '' } });
    const codeFile = path.join(app.dataDir, 'setup-code');
    expect(existsSync(codeFile)).toBe(true);
    const code = readFileSync(codeFile, 'utf8').trim();
    expect(app.output()).toContain(code);
    const status = await callApi(app.url, 'GET', '/api/auth/setup');
    expect(status.json).toMatchObject({ needed: true, setupCodeRequired: true });

    const body = { username: 'chief', password: 'a long enough password' };
    const withoutCode = await callApi(app.url, 'POST', '/api/auth/setup', body);
    expect(withoutCode.status).toBe(403);
    expect(withoutCode.json.error.message).toMatch(/setup code is missing/);
    const withCode = await callApi(app.url, 'POST', '/api/auth/setup', { ...body, setupCode: code });
    expect(withCode.status, withCode.text).toBe(201);
    expect(withCode.json).toMatchObject({ username: 'chief', role: 'admin' });
    expect(existsSync(codeFile)).toBe(false);
    expect((await callApi(app.url, 'POST', '/api/auth/setup', { ...body, setupCode: code })).status).toBe(409);

    const login = await fetch(`${app.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/^ss_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
  }, 120_000);

  it('refuses to start with AUTH=off when HOST is not loopback, naming both variables', async () => {
    app = await startApp({ env: { HOST: '0.0.0.0', AUTH: 'off' }, waitForHealth: false });
    const code = app.process.exitCode ?? (await new Promise<number | null>((resolve) => app!.process.once('exit', resolve)));
    expect(code).not.toBe(0);
    expect(app.output()).toMatch(/AUTH=off.*HOST=0\.0\.0\.0/);
  }, 60_000);

  it('acts as the built-in administrator with AUTH=off on loopback, with a warning', async () => {
    app = await startApp({ env: { AUTH: 'off' } });
    expect((await fetch(`${app.url}/api/scripts`)).status).toBe(200);
    expect(app.output()).toContain('AUTH=off');
  }, 60_000);
});
