import { expect, test } from '@playwright/test';
import { E2E_ADMIN } from '../playwright.config';

// Without a session: the sign-in form, a wrong password refused with the server's message, then the IDE.
test.use({ storageState: { cookies: [], origins: [] } });

test('signs in through the form and lands in the IDE', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  await page.getByLabel('Username').fill(E2E_ADMIN.username);
  await page.getByLabel('Password').fill('not the right password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('form [role=alert]')).toContainText('the username or password is wrong');

  await page.getByLabel('Password').fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Scripts' }).first()).toBeVisible();
  const me = await page.request.get('/api/auth/me');
  expect(me.status()).toBe(200);
  expect((await me.json()).user.username).toBe(E2E_ADMIN.username);
});

test('the API refuses the browser without a session', async ({ request }) => {
  const answer = await request.get('/api/scripts');
  expect(answer.status()).toBe(401);
  expect((await answer.json()).error.code).toBe('UNAUTHORIZED');
});
