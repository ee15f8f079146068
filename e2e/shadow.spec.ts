import { expect, request as playwrightRequest, test, type APIRequestContext, type Browser, type Page } from '@playwright/test';
import { E2E_AUTH_STATE } from '../playwright.config';
import { replaceCode, screenshot, waitForCodeEditor } from './helpers';

/**
 * Shadow runs in the IDE (changes.md "Shadow runs"): a manager tries a changed formula of a
 * registered script on live data, sees the comparison and the diff plot refresh as values arrive,
 * and promotes it — the next value is computed with the new formula; another shadow is stopped; a
 * viewer reads the panel with its buttons locked. Values are posted with an API token of the test's
 * own, as the plant's gateway would.
 */

test.describe.configure({ mode: 'serial' });

const suffix = Date.now().toString(36);
const NEEDS_EDITOR = 'Needs the editor role — ask an administrator';
let api: APIRequestContext;

test.beforeAll(async ({ playwright, baseURL }) => {
  // The browser's session (the admin's) makes a token; every API call of the flows uses it.
  const session = await playwright.request.newContext({ baseURL, storageState: E2E_AUTH_STATE });
  const created = await session.post('/api/tokens', { data: { name: `e2e-shadow-${suffix}` } });
  expect(created.status()).toBe(201);
  const { token } = (await created.json()) as { token: string };
  await session.dispose();
  api = await playwrightRequest.newContext({ baseURL, storageState: { cookies: [], origins: [] }, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
});

test.afterAll(async () => {
  await api?.dispose();
});

let clock = Date.now();
async function postValue(tag: string, value: number): Promise<void> {
  clock = Math.max(clock + 1000, Date.now());
  const answer = await api.post('/api/values', { data: [{ tag, value, ts: clock }] });
  expect(answer.status()).toBe(202);
}

async function tagValue(tag: string): Promise<unknown> {
  const answer = await api.get(`/api/tags/${encodeURIComponent(tag)}`);
  return answer.status() === 200 ? ((await answer.json()) as { value: unknown }).value : undefined;
}

/** A registered script `y = x * 2` on its own input tag, with a first value computed. */
async function registeredScript(name: string, input: string, output: string): Promise<string> {
  const created = await api.post('/api/scripts', {
    data: { name, inputs: [{ tag: input, alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: output, variable: 'y' }] },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await api.post(`/api/scripts/${id}/register`)).status()).toBe(200);
  await postValue(input, 1);
  await expect.poll(() => tagValue(output), { timeout: 15_000 }).toBe(2);
  return id;
}

async function openEditor(page: Page, id: string): Promise<void> {
  await page.goto(`/scripts/${id}`);
  await waitForCodeEditor(page, 'calc-editor');
  await expect(page.getByTestId('shadow-panel')).toBeVisible();
}

const output = (page: Page, tag: string) => page.locator(`[data-testid="shadow-output"][data-tag="${tag}"]`);

const PROMOTED = { name: `shadow_promote_${suffix}`, input: `E2E.SHADOW.${suffix}.X`, output: `CALC.E2E.SHADOW.${suffix}.Y` };

test('a changed formula tried on live data is compared, plotted and promoted', async ({ page }) => {
  test.setTimeout(150_000);
  const id = await registeredScript(PROMOTED.name, PROMOTED.input, PROMOTED.output);
  await openEditor(page, id);
  const panel = page.getByTestId('shadow-panel');
  await expect(panel).toHaveAttribute('data-state', 'none');
  await expect(panel).toContainText('never published');

  await test.step('start a shadow of the edited draft', async () => {
    await replaceCode(page, 'calc-editor', 'const y = x * 3;');
    await expect(page.getByTestId('unsaved')).toBeVisible();
    await page.getByTestId('shadow-start').click();
    await expect(panel).toHaveAttribute('data-state', /running|waiting/, { timeout: 15_000 });
    await expect(panel).toContainText('candidate version 2');
  });

  await test.step('values arrive: the comparison and the plot refresh', async () => {
    for (const x of [2, 3, 4, 5]) {
      await postValue(PROMOTED.input, x);
      await expect.poll(() => tagValue(PROMOTED.output), { timeout: 15_000 }).toBe(x * 2);
    }
    const row = output(page, PROMOTED.output);
    await expect.poll(async () => Number(await row.getAttribute('data-differing')), { timeout: 15_000 }).toBeGreaterThanOrEqual(4);
    await expect(row.getByTestId('shadow-live')).toHaveText('10');
    await expect(row.getByTestId('shadow-value')).toHaveText('15');
    await expect(row.getByTestId('shadow-max-diff')).toHaveText('5');
    await expect(row).toContainText('100 %');
    const plot = page.getByTestId('shadow-plot');
    await expect.poll(async () => Number(await plot.getAttribute('data-points')), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    await expect(plot.locator('.recharts-line')).toHaveCount(3); // live and shadow, and the difference below
    await expect(page.getByTestId('shadow-difference-plot').locator('.recharts-line-curve')).toHaveCount(1);
    // The shadow's values stay apart: the output tag still has the live version's value.
    expect(await tagValue(PROMOTED.output)).toBe(10);
    // The notice of the start would cover the plot.
    for (const close of await page.locator('.notices .icon-button').all()) await close.click();
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, 'shadow-running', { readme: 'shadow-run.png' });
  });

  await test.step('editing the draft says the shadow runs the earlier one', async () => {
    await replaceCode(page, 'calc-editor', 'const y = x * 4;');
    await expect(page.getByTestId('shadow-draft-note')).toHaveAttribute('data-relation', 'changed');
    await expect(page.getByTestId('shadow-draft-note')).toContainText('still runs the earlier draft');
    await expect(page.getByTestId('shadow-start')).toHaveText('Try again with these changes');
    await replaceCode(page, 'calc-editor', 'const y = x * 3;');
    await expect(page.getByTestId('shadow-draft-note')).toHaveCount(0);
  });

  await test.step('promote: the confirmation says what happens, the editor loads version 2', async () => {
    await page.getByTestId('shadow-promote').click();
    const dialog = page.locator('dialog.confirm-dialog');
    await expect(dialog).toContainText(`Version 2 becomes the running version of ${PROMOTED.name} at once; the current version (1) stays in the history.`);
    await screenshot(page, 'shadow-promote-confirm');
    await dialog.getByRole('button', { name: 'Promote version 2' }).click();
    await expect(page.getByTestId('notice-success')).toContainText(`Version 2 of ${PROMOTED.name} is running now.`);
    await expect(panel).toHaveAttribute('data-state', 'none', { timeout: 10_000 });
    await expect(page.locator('.head-status')).toContainText('version 2');
    await expect(page.getByTestId('unsaved')).toHaveCount(0);
    await expect.poll(async () => (await page.getByTestId('calc-editor').locator('.view-lines').innerText()).replace(/\u00a0/g, ' ')).toContain('x * 3');
  });

  await test.step('the next value is computed with the new formula', async () => {
    await postValue(PROMOTED.input, 6);
    await expect.poll(() => tagValue(PROMOTED.output), { timeout: 15_000 }).toBe(18);
    await expect(page.locator(`[data-testid="runtime-output"][data-tag="${PROMOTED.output}"]`)).toContainText('18', { timeout: 10_000 });
    const script = (await (await api.get(`/api/scripts/${id}`)).json()) as { version: number; status: { runningVersion: number } };
    expect(script).toMatchObject({ version: 2, status: { runningVersion: 2 } });
    expect((await api.get(`/api/scripts/${id}/shadow`)).status()).toBe(404);
  });
});

const STOPPED = { name: `shadow_stop_${suffix}`, input: `E2E.SHADOW.${suffix}.S`, output: `CALC.E2E.SHADOW.${suffix}.SY` };

test('a draft that does not compile is explained, and a running shadow is stopped', async ({ page }) => {
  test.setTimeout(120_000);
  const id = await registeredScript(STOPPED.name, STOPPED.input, STOPPED.output);
  await openEditor(page, id);
  const panel = page.getByTestId('shadow-panel');

  await test.step('a draft that does not compile: the problems with their place, nothing started', async () => {
    await replaceCode(page, 'calc-editor', 'const y = x * ;');
    await page.getByTestId('shadow-start').click();
    const problem = panel.getByTestId('shadow-problem');
    await expect(problem).toContainText('does not compile');
    await expect(problem.getByTestId('problem').first()).toContainText('line 1');
    await expect(panel).toHaveAttribute('data-state', 'none');
    expect((await api.get(`/api/scripts/${id}/shadow`)).status()).toBe(404);
  });

  await test.step('start, then stop', async () => {
    await replaceCode(page, 'calc-editor', 'const y = x + 100;');
    await page.getByTestId('shadow-start').click();
    await expect(panel.getByTestId('shadow-problem')).toHaveCount(0);
    // The engine picks the shadow up within a second; values before that reach only the live version.
    await expect(panel).toHaveAttribute('data-state', /running|waiting/, { timeout: 15_000 });
    await postValue(STOPPED.input, 7);
    await expect(output(page, STOPPED.output).getByTestId('shadow-value')).toHaveText('107', { timeout: 15_000 });
    await page.getByTestId('shadow-stop').click();
    await expect(page.getByTestId('notice-info').last()).toContainText(`The shadow run of ${STOPPED.name} was stopped.`);
    await expect(panel).toHaveAttribute('data-state', 'none');
    expect((await api.get(`/api/scripts/${id}/shadow`)).status()).toBe(404);
    // The live version ran on, unchanged.
    expect(await tagValue(STOPPED.output)).toBe(14);
  });
});

const TESTED = { name: `shadow_tested_${suffix}`, input: `E2E.SHADOW.${suffix}.T`, output: `CALC.E2E.SHADOW.${suffix}.TY` };

test('a candidate whose regression tests fail is not promoted until the manager promotes it anyway', async ({ page }) => {
  test.setTimeout(120_000);
  const id = await registeredScript(TESTED.name, TESTED.input, TESTED.output);
  const tests = [{ name: 'doubles one', steps: [{ inputs: { x: 1 } }], expect: { [TESTED.output]: 2 } }];
  const saved = await api.put(`/api/scripts/${id}`, {
    data: { name: TESTED.name, inputs: [{ tag: TESTED.input, alias: 'x' }], calcCode: 'const y = x * 2;', outputs: [{ tag: TESTED.output, variable: 'y' }], tests },
  });
  expect(saved.status()).toBe(200);
  await openEditor(page, id);
  const panel = page.getByTestId('shadow-panel');
  await replaceCode(page, 'calc-editor', 'const y = x * 3;');
  await page.getByTestId('shadow-start').click();
  await expect(panel).toHaveAttribute('data-state', /running|waiting/, { timeout: 15_000 });

  await page.getByTestId('shadow-promote').click();
  await page.locator('dialog.confirm-dialog').getByRole('button', { name: 'Promote version 3' }).click();
  const problem = panel.getByTestId('shadow-problem');
  await expect(problem).toContainText('The regression tests of the candidate fail (doubles one)');
  expect(((await (await api.get(`/api/scripts/${id}`)).json()) as { version: number }).version).toBe(2);
  await panel.scrollIntoViewIfNeeded();
  await screenshot(page, 'shadow-tests-failed');

  await problem.getByTestId('shadow-force').click();
  const dialog = page.locator('dialog.confirm-dialog');
  await expect(dialog).toContainText('The audit trail records that the tests were overridden.');
  await dialog.getByRole('button', { name: 'Promote anyway' }).click();
  await expect(page.getByTestId('notice-success')).toContainText(`Version 3 of ${TESTED.name} is running now.`);
  // The promoted version kept the script's tests.
  const promoted = (await (await api.get(`/api/scripts/${id}`)).json()) as { version: number; tests: unknown[]; status: { runningVersion: number } };
  expect(promoted).toMatchObject({ version: 3, status: { runningVersion: 3 } });
  expect(promoted.tests).toHaveLength(1);
});

async function signedIn(browser: Browser, user: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  await page.goto('/');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByTestId('user-menu')).toBeVisible();
  return page;
}

test('a viewer reads a running shadow with Promote and Stop locked, and why', async ({ browser, request }) => {
  test.setTimeout(120_000);
  const viewer = { username: `shadow-viewer-${suffix}`, password: 'viewer-password-0123' };
  expect((await request.post('/api/users', { data: { ...viewer, displayName: 'Vic Viewer', role: 'viewer' } })).status()).toBe(201);

  const names = { name: `shadow_viewer_${suffix}`, input: `E2E.SHADOW.${suffix}.V`, output: `CALC.E2E.SHADOW.${suffix}.VY` };
  const id = await registeredScript(names.name, names.input, names.output);
  const started = await api.post(`/api/scripts/${id}/shadow`, {
    data: { script: { name: names.name, inputs: [{ tag: names.input, alias: 'x' }], calcCode: 'const y = x * 2 + 1;', outputs: [{ tag: names.output, variable: 'y' }] } },
  });
  expect(started.status()).toBe(201);

  const page = await signedIn(browser, viewer);
  await openEditor(page, id);
  const panel = page.getByTestId('shadow-panel');
  await expect(panel).toHaveAttribute('data-state', /running|waiting/, { timeout: 15_000 });
  await postValue(names.input, 4);
  await expect(output(page, names.output).getByTestId('shadow-value')).toHaveText('9', { timeout: 15_000 });
  // Started elsewhere: the panel cannot know the draft it runs, and says what Promote would do.
  await expect(page.getByTestId('shadow-draft-note')).toHaveAttribute('data-relation', 'unknown');
  for (const button of ['shadow-promote', 'shadow-stop', 'shadow-start']) await expect(page.getByTestId(button)).toBeDisabled();
  const lock = panel.locator('[data-testid="role-lock"]').filter({ has: page.getByTestId('shadow-promote') });
  await lock.hover();
  await expect(lock.getByRole('tooltip')).toHaveText(NEEDS_EDITOR);
  await expect(page.getByTestId('shadow-start')).toHaveText('Try the editor’s draft instead');
  await screenshot(page, 'shadow-viewer');

  // In Korean.
  await page.context().addCookies([{ name: 'ss-locale', value: 'ko', url: page.url() }]);
  await page.reload();
  await waitForCodeEditor(page, 'calc-editor');
  await expect(panel.getByRole('heading', { name: '실시간 데이터로 시험' })).toBeVisible();
  await expect(page.getByTestId('shadow-state')).toHaveText('실행 중');
  await expect(panel).toContainText('후보 버전 2');
  await screenshot(page, 'shadow-viewer-ko');
  await page.context().close();
  expect((await api.delete(`/api/scripts/${id}/shadow`)).status()).toBe(204);
});
