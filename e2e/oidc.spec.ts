import { expect, test } from '@playwright/test';
import { authFetch, startApp, type RunningApp } from '../tests/helpers/app-process';
import { oidcEnv, startOidcProvider, type TestOidcProvider } from '../tests/helpers/oidc-provider';
import { screenshot } from './helpers';

/**
 * Single sign-on in the browser, against a real OpenID provider (oidc-provider, started here) and a
 * second app started with OIDC_* pointing at it. The page uses the app as http://localhost:<port>
 * and the provider is at 127.0.0.1: two sites, as a plant's IDE and its Entra ID or Keycloak are,
 * so the SameSite rules of both cookies are exercised.
 */

test.use({ storageState: { cookies: [], origins: [] } });

let provider: TestOidcProvider;
let app: RunningApp;
let appUrl: string;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  provider = await startOidcProvider();
  app = await startApp({ env: oidcEnv(provider, 'basic', 'Plant SSO') });
  appUrl = app.url.replace('127.0.0.1', 'localhost');
  provider.serve([`${appUrl}/api/auth/oidc/callback`]);
});

test.afterAll(async () => {
  await app?.stop();
  await provider?.stop();
});

async function signInAtProvider(page: import('@playwright/test').Page, login: string): Promise<void> {
  await page.goto(`${appUrl}/`);
  const button = page.getByRole('link', { name: 'Sign in with Plant SSO' });
  await expect(button).toBeVisible();
  await button.click();
  await page.waitForURL((url) => url.origin === provider.issuer);
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password will do');
  await page.getByRole('button', { name: 'Sign-in' }).click();
}

test('signs in with the provider and lands in the IDE with the mapped role', async ({ page }) => {
  provider.accounts.set('mina', { name: 'Mina Park', email: 'mina@plant.example', groups: ['operators', 'process-eng'] });
  await page.goto(`${appUrl}/`);
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  await screenshot(page, 'oidc-sign-in', { readme: 'sign-in-sso.png' });

  await signInAtProvider(page, 'mina');
  await page.waitForURL(`${appUrl}/`);
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Scripts' }).first()).toBeVisible();
  // The page's own request carries the session cookie (SameSite=Strict) set by the callback.
  const me = await page.evaluate(async () => {
    const answer = await fetch('/api/auth/me');
    return { status: answer.status, body: await answer.json() };
  });
  expect(me.status).toBe(200);
  expect(me.body).toMatchObject({ via: 'session', user: { username: 'mina', displayName: 'Mina Park', role: 'editor', source: 'oidc' } });
  await screenshot(page, 'oidc-signed-in');
});

test('a disabled user is sent back to the sign-in page with the reason', async ({ page }) => {
  provider.accounts.set('ole', { groups: ['process-eng'] });
  await signInAtProvider(page, 'ole');
  await page.waitForURL(`${appUrl}/`);
  await expect(page.getByRole('link', { name: 'Scripts' }).first()).toBeVisible();
  // An administrator disables the account (with the app's admin token).
  const users = (await (await authFetch(`${app.url}/api/users`)).json()) as { users: { id: string; username: string }[] };
  const ole = users.users.find((user) => user.username === 'ole')!;
  const disabled = await authFetch(`${app.url}/api/users/${ole.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }) });
  expect(disabled.status).toBe(200);

  await page.context().clearCookies();
  await signInAtProvider(page, 'ole');
  await page.waitForURL((url) => url.searchParams.has('signInError'));
  await expect(page.locator('form [role=alert]')).toContainText("the account 'ole' is disabled: ask an administrator to enable it");
});
