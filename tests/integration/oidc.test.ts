import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';
import { CookieJar, signInThroughProvider } from '../helpers/oidc-browser';
import { oidcEnv, startOidcProvider, type TestOidcProvider } from '../helpers/oidc-provider';

/**
 * Single sign-on against a real OpenID provider (oidc-provider on a loopback port, started here):
 * the whole authorization code flow with PKCE, driven over HTTP as a browser would, into the built app.
 */

interface AuditEntry {
  action: string;
  actor: { name: string };
  target: { id: string | null; name: string | null };
  details: Record<string, any>;
}

async function auditOf(app: RunningApp, query: string): Promise<AuditEntry[]> {
  const answer = await callApi(app.url, 'GET', `/api/audit?${query}`);
  expect(answer.status, answer.text).toBe(200);
  return answer.json.entries;
}

async function me(app: RunningApp, jar: CookieJar) {
  return callApi(app.url, 'GET', '/api/auth/me', undefined, { authorization: '', cookie: `ss_session=${jar.get('ss_session')}` });
}

describe('single sign-on through a real OpenID provider', () => {
  let provider: TestOidcProvider;
  let app: RunningApp;

  beforeAll(async () => {
    provider = await startOidcProvider();
    app = await startApp({ env: oidcEnv(provider, 'basic') });
    provider.serve([`${app.url}/api/auth/oidc/callback`]);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
    await provider?.stop();
  });

  it('offers the provider on the sign-in page', async () => {
    const status = await callApi(app.url, 'GET', '/api/auth/setup');
    expect(status.json).toMatchObject({ oidc: { name: 'Test SSO' } });
    const start = await fetch(`${app.url}/api/auth/oidc/start`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get('location')!);
    expect(to.origin).toBe(provider.issuer);
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${app.url}/api/auth/oidc/callback`);
    for (const parameter of ['code_challenge', 'state', 'nonce']) expect(to.searchParams.get(parameter)).toBeTruthy();
    expect(start.headers.get('set-cookie')).toMatch(/^ss_oidc=[^;]+; Path=\/api\/auth\/oidc; HttpOnly; SameSite=Lax; Max-Age=600$/);
  });

  it('creates the user at the first sign-in with the mapped role, updates it at the next, and audits both', async () => {
    provider.accounts.set('alice', { name: 'Alice Kim', email: 'alice@plant.example', groups: ['operators', 'process-eng'] });
    const first = await signInThroughProvider(app.url, 'alice');
    expect(first.status, first.body).toBe(200);
    expect(first.body).toContain('<meta http-equiv="refresh" content="0;url=/">');
    expect(first.sessionSetCookie).toMatch(/^ss_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=28800$/);
    const signedIn = await me(app, first.jar);
    expect(signedIn.status, signedIn.text).toBe(200);
    expect(signedIn.json).toMatchObject({ via: 'session', user: { username: 'alice', displayName: 'Alice Kim', role: 'editor', source: 'oidc', disabled: false } });
    const id = signedIn.json.user.id as string;

    const created = await auditOf(app, `targetType=user&targetId=${id}`);
    expect(created.map((entry) => entry.action)).toEqual(['auth.login', 'user.create']);
    expect(created[0]).toMatchObject({ actor: { name: 'alice' }, details: { method: 'oidc', issuer: provider.issuer, role: 'editor' } });
    expect(created[1].details).toMatchObject({ source: 'oidc', externalId: `${provider.issuer}#alice`, role: 'editor' });

    // The directory moves Alice to the administrators: her role follows at the next sign-in.
    provider.accounts.set('alice', { name: 'Alice Kim', groups: ['plant-admins'] });
    const second = await signInThroughProvider(app.url, 'alice');
    expect(second.status, second.body).toBe(200);
    const again = await me(app, second.jar);
    expect(again.json.user).toMatchObject({ id, username: 'alice', role: 'admin' });
    const users = await callApi(app.url, 'GET', '/api/users');
    expect(users.json.users.filter((user: { username: string }) => user.username.startsWith('alice'))).toHaveLength(1);
    const updated = await auditOf(app, `targetType=user&targetId=${id}&action=user.update`);
    expect(updated[0].details).toMatchObject({ changes: { role: { from: 'editor', to: 'admin' } } });
  });

  it('gives the default role when no group maps, and a free username when the name is taken', async () => {
    provider.accounts.set('admin', { name: 'Someone called admin at the provider', groups: ['visitors'] });
    const outcome = await signInThroughProvider(app.url, 'admin');
    expect(outcome.status, outcome.body).toBe(200);
    const signedIn = await me(app, outcome.jar);
    // The local administrator keeps 'admin': signing in elsewhere never takes over a local account.
    expect(signedIn.json.user).toMatchObject({ username: 'admin-2', role: 'viewer', source: 'oidc' });
  });

  it('refuses a disabled user, and audits the refusal', async () => {
    provider.accounts.set('bob', { groups: ['process-eng'] });
    const first = await signInThroughProvider(app.url, 'bob');
    expect(first.status, first.body).toBe(200);
    const bob = (await me(app, first.jar)).json.user;
    const disabled = await callApi(app.url, 'PATCH', `/api/users/${bob.id}`, { disabled: true });
    expect(disabled.status, disabled.text).toBe(200);

    const refused = await signInThroughProvider(app.url, 'bob');
    expect(refused.status).toBe(302);
    expect(refused.sessionSetCookie).toBeNull();
    const message = new URL(refused.location!, app.url).searchParams.get('signInError');
    expect(message).toBe("the account 'bob' is disabled: ask an administrator to enable it");
    const entries = await auditOf(app, `targetType=user&targetId=${bob.id}&action=auth.login_failed`);
    expect(entries[0]).toMatchObject({ actor: { name: 'bob' }, details: { method: 'oidc', reason: 'disabled' } });
  });

  it('refuses an answer whose state is not the one this browser started with, a sign-in cancelled at the provider, and a callback without a sign-in under way', async () => {
    provider.accounts.set('carol', { groups: ['plant-admins'] });
    const forged = await signInThroughProvider(app.url, 'carol', {
      tamper: (callback) => {
        const changed = new URL(callback);
        changed.searchParams.set('state', 'a-state-from-another-browser');
        return changed;
      },
    });
    expect(forged.status).toBe(302);
    expect(forged.sessionSetCookie).toBeNull();
    expect(new URL(forged.location!, app.url).searchParams.get('signInError')).toMatch(/does not belong to the sign-in this browser started.*start the sign-in again/);
    expect((await callApi(app.url, 'GET', '/api/users')).json.users.map((user: { username: string }) => user.username)).not.toContain('carol');

    const cancelled = await signInThroughProvider(app.url, 'carol', { cancel: true });
    expect(cancelled.status).toBe(302);
    expect(new URL(cancelled.location!, app.url).searchParams.get('signInError')).toMatch(/the OpenID provider answered access_denied: End-User aborted interaction/);

    const lost = await fetch(`${app.url}/api/auth/oidc/callback?code=abc&state=def`, { redirect: 'manual' });
    expect(lost.status).toBe(302);
    expect(new URL(lost.headers.get('location')!, app.url).searchParams.get('signInError')).toMatch(/no sign-in under way/);
    const failures = await auditOf(app, 'action=auth.login_failed&limit=10');
    expect(failures.map((entry) => entry.details.reason)).toEqual(expect.arrayContaining(['state-mismatch', 'provider-refused', 'no-sign-in-under-way']));
  });
});

describe('single sign-on when the provider is not reachable yet', () => {
  it('answers 503 naming OIDC_ISSUER (the browser: back to the sign-in page with it), then signs in once the provider answers, with client_secret_post', async () => {
    const provider = await startOidcProvider(); // listening, but answering 503 until serve()
    const app = await startApp({ env: oidcEnv(provider, 'post') });
    try {
      const api = await fetch(`${app.url}/api/auth/oidc/start`, { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(api.status).toBe(503);
      const envelope = (await api.json()) as { error: { code: string; message: string } };
      expect(envelope.error.code).toBe('UNAVAILABLE');
      expect(envelope.error.message).toContain(`OIDC_ISSUER=${provider.issuer} cannot be reached`);
      const browser = await fetch(`${app.url}/api/auth/oidc/start`, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(browser.status).toBe(302);
      expect(new URL(browser.headers.get('location')!, app.url).searchParams.get('signInError')).toContain('cannot be reached');

      provider.serve([`${app.url}/api/auth/oidc/callback`]);
      provider.accounts.set('dana', { groups: ['process-eng'] });
      const outcome = await signInThroughProvider(app.url, 'dana');
      expect(outcome.status, outcome.body).toBe(200);
      expect((await me(app, outcome.jar)).json.user).toMatchObject({ username: 'dana', role: 'editor' });
    } finally {
      await app.stop();
      await provider.stop();
    }
  }, 120_000);
});
