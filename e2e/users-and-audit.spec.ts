import { expect, test, type Browser, type Page } from '@playwright/test';
import { screenshot, waitForCodeEditor } from './helpers';

/**
 * Users, roles, tokens and the audit trail in the IDE (security.md "What the IDE does"): the admin
 * adds a viewer and an editor; the viewer sees what they may not do, and why; the editor makes a
 * token (shown once, copied) and changes a script whose history shows the diff; the admin filters
 * the audit trail; signing out returns to the sign-in page; the pages speak Korean.
 */

test.describe.configure({ mode: 'serial' });

const suffix = Date.now().toString(36);
const VIEWER = { username: `viewer-${suffix}`, displayName: `Vera Viewer ${suffix}`, password: 'viewer-password-0123' };
const EDITOR = { username: `editor-${suffix}`, displayName: `Eddie Editor ${suffix}`, password: 'editor-password-0123' };
const SCRIPT = `history_e2e_${suffix}`;
const NEEDS_EDITOR = 'Needs the editor role — ask an administrator';

/** A browser context of its own, signed in through the sign-in page (never the admin's shared session). */
async function signedIn(browser: Browser, user: { username: string; password: string }, permissions: string[] = []): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] }, permissions });
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('user-menu')).toBeVisible();
  return page;
}

async function addUser(page: Page, user: typeof VIEWER, role: 'viewer' | 'editor') {
  const form = page.getByTestId('user-form');
  await form.getByLabel('Username').fill(user.username);
  await form.getByLabel('Display name').fill(user.displayName);
  await form.getByLabel('Role').selectOption(role);
  await form.getByLabel('Initial password').fill(user.password);
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.locator(`[data-testid="user-row"][data-username="${user.username}"]`)).toBeVisible();
}

test('the admin adds a viewer and an editor on the Users page', async ({ page }) => {
  await page.goto('/');
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Users' }).click();
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

  // A password the server refuses: its reason is shown beside the form.
  const form = page.getByTestId('user-form');
  await form.getByLabel('Username').fill(`short-${suffix}`);
  await form.getByLabel('Initial password').fill('short');
  await form.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByTestId('user-form-problem')).toContainText('use at least 12');

  await addUser(page, VIEWER, 'viewer');
  await addUser(page, EDITOR, 'editor');
  await expect(page.locator(`[data-testid="user-row"][data-username="${EDITOR.username}"] select`)).toHaveValue('editor');

  // The last admin cannot be demoted: the server's 409 is shown as it is.
  const users = (await (await page.request.get('/api/users')).json()) as { users: Array<{ role: string; disabled: boolean }> };
  if (users.users.filter((user) => user.role === 'admin' && !user.disabled).length === 1) {
    await page.locator('[data-testid="user-row"][data-username="admin"] select').selectOption('viewer');
    await expect(page.getByTestId('notice-error')).toContainText(/admin/);
    await page.getByTestId('notice-error').getByRole('button').click();
  }
  await screenshot(page, 'users-admin', { readme: 'users.png' });
});

test('a viewer sees New and Save locked, with the reason on hover', async ({ browser }) => {
  const page = await signedIn(browser, VIEWER);
  await expect(page.getByTestId('user-role')).toHaveText('viewer');

  const newScript = page.locator('[data-testid="role-lock"]').filter({ has: page.getByTestId('new-script') });
  await expect(page.getByTestId('new-script')).toHaveAttribute('aria-disabled', 'true');
  await newScript.hover();
  await expect(newScript.getByRole('tooltip')).toHaveText(NEEDS_EDITOR);

  await page.locator('[data-testid="script-row"][data-name="boiler_efficiency"] .script-name').click();
  await waitForCodeEditor(page, 'calc-editor');
  await expect(page.getByTestId('save')).toBeDisabled();
  await expect(page.getByTestId('register').or(page.getByTestId('unregister'))).toBeDisabled();
  const save = page.locator('[data-testid="role-lock"]').filter({ has: page.getByTestId('save') });
  await save.hover();
  await expect(save.getByRole('tooltip')).toBeVisible();
  await expect(save.getByRole('tooltip')).toHaveText(NEEDS_EDITOR);
  await screenshot(page, 'viewer-locked-save');

  // Keyboard users reach the reason too: the lock takes the focus and shows it.
  await page.mouse.move(0, 0);
  await save.focus();
  await expect(save.getByRole('tooltip')).toBeVisible();

  // The menu offers no tokens or users to a viewer, only the audit trail of scripts.
  await page.getByTestId('user-menu').click();
  await expect(page.getByRole('menuitem', { name: 'Audit trail' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: /tokens/i })).toHaveCount(0);
  await expect(page.getByRole('menuitem', { name: 'Users' })).toHaveCount(0);
  await page.context().close();
});

test('an editor creates a token, sees it once and copies it', async ({ browser }) => {
  const page = await signedIn(browser, EDITOR, ['clipboard-read', 'clipboard-write']);
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'My API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();

  const form = page.getByTestId('token-form');
  await expect(form.getByLabel('Role').locator('option')).toHaveText(['viewer', 'editor']);
  await form.getByLabel('Name').fill('historian connector');
  await form.getByRole('button', { name: 'Create token' }).click();

  const panel = page.getByTestId('token-secret-panel');
  await expect(panel).toContainText('it will not be shown again');
  const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
  expect(secret).toMatch(/^ss_[A-Za-z0-9_-]{43,}$/);
  await screenshot(page, 'token-created', { readme: 'token-created.png' });
  await page.getByTestId('token-copy').click();
  await expect(page.getByTestId('notice-success')).toContainText('Copied');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

  // The token works, for its owner.
  const me = await page.request.get('/api/auth/me', { headers: { authorization: `Bearer ${secret}` } });
  expect(((await me.json()) as { user: { username: string } }).user.username).toBe(EDITOR.username);

  await page.getByTestId('token-secret-done').click();
  await expect(panel).toHaveCount(0);
  await page.reload();
  await expect(page.locator('[data-testid="token-row"][data-name="historian connector"]')).toContainText('active');
  await expect(page.locator('body')).not.toContainText(secret);
  await page.context().close();
});

test('a script’s history shows who changed it, with the diff', async ({ browser }) => {
  const page = await signedIn(browser, EDITOR);
  const draft = {
    name: SCRIPT,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    calcCode: 'const doubled = steam * 2;\nconst result = doubled;\n',
    outputs: [{ tag: `E2E.${SCRIPT.toUpperCase()}`, variable: 'result' }],
  };
  const created = await page.request.post('/api/scripts', { data: draft });
  expect(created.status(), await created.text()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const updated = await page.request.put(`/api/scripts/${id}`, { data: { ...draft, calcCode: 'const doubled = steam * 3;\nconst result = doubled;\n' } });
  expect(updated.status(), await updated.text()).toBe(200);

  await page.goto(`/scripts/${id}`);
  await waitForCodeEditor(page, 'calc-editor');
  const history = page.getByTestId('script-history');
  await history.locator('summary').click();
  await expect(history).toContainText(`Created by ${EDITOR.username}`);
  await expect(history).toContainText(`Last changed by ${EDITOR.username}`);
  const update = history.locator('[data-testid="history-entry"][data-action="script.update"]');
  await expect(update).toContainText(EDITOR.username);
  await expect(history.locator('[data-testid="history-entry"][data-action="script.create"]')).toBeVisible();
  await update.getByRole('button', { name: 'Show details' }).click();
  const diff = update.getByTestId('diff-view');
  await expect(diff.locator('[data-kind="remove"]')).toHaveText('-const doubled = steam * 2;');
  await expect(diff.locator('[data-kind="add"]')).toHaveText('+const doubled = steam * 3;');
  await update.scrollIntoViewIfNeeded();
  await screenshot(page, 'script-history', { readme: 'script-history.png' });
  await page.context().close();
});

test('a viewer reads the audit trail of scripts, and only that', async ({ browser }) => {
  const page = await signedIn(browser, VIEWER);
  await page.getByTestId('user-menu').click();
  await page.getByRole('menuitem', { name: 'Audit trail' }).click();
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  await expect(page.getByLabel('Target type')).toHaveCount(0);
  await expect(page.getByTestId('audit-row').filter({ hasText: SCRIPT }).first()).toBeVisible();
  // The history of scripts: script.* and what was done to a script's outputs (backfill.*), never
  // users, tokens or sign-ins.
  const rows = await page.getByTestId('audit-row').evaluateAll((all) => all.map((row) => ({ action: row.getAttribute('data-action'), target: row.getAttribute('data-target-type') })));
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.filter((row) => row.target !== 'script' || /^(user|token|auth)\./.test(row.action ?? ''))).toEqual([]);
  await expect(page.getByTestId('audit-action').locator('option[value="user.create"]')).toHaveCount(0);
  await page.context().close();
});

test('the admin filters the audit trail by action and reads a diff', async ({ page }) => {
  await page.goto('/audit');
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  await expect(page.getByTestId('audit-row').first()).toBeVisible();

  await page.getByTestId('audit-action').selectOption('user.create');
  await page.getByTestId('audit-apply').click();
  await expect(page.locator('[data-testid="audit-row"][data-action="user.create"]').filter({ hasText: VIEWER.username })).toBeVisible();
  await expect(page.locator('[data-testid="audit-row"][data-action="user.create"]').filter({ hasText: EDITOR.username })).toBeVisible();
  await expect(page.locator('[data-testid="audit-row"]:not([data-action="user.create"])')).toHaveCount(0);

  await page.getByTestId('audit-action').selectOption('script.update');
  await page.getByLabel('Who (username)').fill(EDITOR.username);
  await page.getByTestId('audit-apply').click();
  const row = page.locator('[data-testid="audit-row"][data-action="script.update"]').filter({ hasText: SCRIPT });
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: 'Show details' }).click();
  await expect(page.getByTestId('diff-view').locator('[data-kind="add"]')).toHaveText('+const doubled = steam * 3;');
  await screenshot(page, 'audit-admin', { readme: 'audit.png' });
});

test('the pages and the menu speak Korean', async ({ page }) => {
  await page.goto('/audit');
  await expect(page.getByRole('heading', { name: 'Audit trail' })).toBeVisible();
  await page.getByTestId('locale-switch').selectOption('ko');
  await expect(page.getByRole('heading', { name: '감사 기록' })).toBeVisible();
  await expect(page.getByTestId('audit-apply')).toHaveText('보기');
  await page.getByTestId('user-menu').click();
  await expect(page.getByRole('menuitem', { name: '사용자' })).toBeVisible();
  await expect(page.getByRole('menuitem', { name: '로그아웃' })).toBeVisible();
  await expect(page.getByTestId('user-role')).toHaveText('관리자');
  await page.getByRole('menuitem', { name: '사용자' }).click();
  await expect(page.getByRole('heading', { name: '사용자', level: 1 })).toBeVisible();
  await screenshot(page, 'users-ko');
  await page.getByTestId('locale-switch').selectOption('en');
});

test('signing out returns to the sign-in page', async ({ browser }) => {
  const page = await signedIn(browser, EDITOR);
  await page.getByTestId('user-menu').click();
  await page.getByTestId('sign-out').click();
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  await expect(page.getByTestId('user-menu')).toHaveCount(0);
  await screenshot(page, 'sign-in', { readme: 'sign-in.png' });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  expect((await page.request.get('/api/auth/me')).status()).toBe(401);

  // A wrong password is said plainly; a failed single sign-on is shown from the address.
  await page.getByLabel('Username').fill(EDITOR.username);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('sign-in-problem')).toContainText('the username or password is wrong');
  // After too many failures for one username: how long to wait, in minutes.
  await page.getByLabel('Username').fill(`nobody-${suffix}`);
  for (let attempt = 0; attempt < 6; attempt++) {
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  }
  await expect(page.getByTestId('sign-in-problem')).toHaveText(/^Too many failed sign-ins\. Try again in \d+ min/);
  await page.goto('/?signInError=the%20provider%20refused');
  await expect(page.getByTestId('sign-in-problem')).toContainText('Single sign-on did not sign you in: the provider refused');
  await page.context().close();
});

test('a session ended elsewhere shows the sign-in page when the tab is back', async ({ browser }) => {
  const page = await signedIn(browser, VIEWER);
  await expect(page.getByRole('heading', { name: 'Scripts', level: 1 })).toBeVisible();
  // The session ends behind the page's back (here: signed out by another request with the same cookie).
  expect((await page.request.post('/api/auth/logout')).status()).toBe(204);
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await expect(page.getByRole('heading', { name: 'Sign in to Script Server' })).toBeVisible();
  await page.context().close();
});
