import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { replaceCode, screenshot, waitForCodeEditor } from './helpers';

/**
 * Changing a live script safely in the IDE (changes.md): the Versions panel with who, when and why,
 * two versions side by side in Monaco's diff editor, "restore this version" (the restored formula
 * computes on the next value); the Tests tab (a test added from a Calculate run, edited to fail,
 * fixed), a save refused by a failing test and then forced — recorded in the audit trail — and the
 * tests status in the scripts list.
 */

test.describe.configure({ mode: 'serial' });

const suffix = Date.now().toString(36);
const NAME = `versions_e2e_${suffix}`;
const INPUT = `E2E.VERSIONS.${suffix}.FLOW`;
const OUTPUT = `CALC.E2E.VERSIONS.${suffix}`;
let scriptId = '';
let ts = Date.now();

async function postValue(request: APIRequestContext, value: number): Promise<void> {
  ts += 1000;
  const response = await request.post('/api/values', { data: [{ tag: INPUT, value, ts }] });
  expect(response.status()).toBe(202);
}

const outputValue = async (request: APIRequestContext) => (await (await request.get(`/api/tags/${encodeURIComponent(OUTPUT)}`)).json()).value as unknown;

async function openEditor(page: Page) {
  await page.goto(`/scripts/${scriptId}`);
  await waitForCodeEditor(page, 'calc-editor');
}

test('the Versions panel compares two versions side by side and restores one, hot-swapped', async ({ page, request }) => {
  test.setTimeout(180_000);
  await test.step('a registered script with two versions, each with its message', async () => {
    await postValue(request, 5);
    const draft = { name: NAME, inputs: [{ tag: INPUT, alias: 'flow' }], calcCode: 'const result = flow * 2;\n', outputs: [{ tag: OUTPUT, variable: 'result' }] };
    const created = await request.post('/api/scripts', { data: { ...draft, message: 'first formula: twice the flow' } });
    expect(created.status()).toBe(201);
    scriptId = ((await created.json()) as { id: string }).id;
    const updated = await request.put(`/api/scripts/${scriptId}`, {
      data: { ...draft, calcCode: '// three times since the new meter\nconst result = flow * 3;\n', outputs: [{ tag: OUTPUT, variable: 'result', unit: 't/h' }], message: 'new meter: three times' },
    });
    expect(updated.status()).toBe(200);
    expect((await request.post(`/api/scripts/${scriptId}/register`)).status()).toBe(200);
    await postValue(request, 6);
    await expect.poll(() => outputValue(request), { timeout: 15_000 }).toBe(18);
  });

  await test.step('the panel lists the versions, newest first, with the running one', async () => {
    await openEditor(page);
    await page.getByTestId('script-versions').locator('summary').click();
    const rows = page.getByTestId('version-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toHaveAttribute('data-version', '2');
    await expect(rows.nth(0)).toContainText('new meter: three times');
    await expect(rows.nth(0)).toContainText('admin');
    await expect(rows.nth(0).getByTestId('version-running')).toHaveText('running');
    await expect(rows.nth(1)).toContainText('first formula: twice the flow');
  });

  await test.step('two versions side by side: the code in the diff editor, the output change in words', async () => {
    await page.getByTestId('versions-compare').click();
    const dialog = page.getByTestId('version-compare');
    await expect(dialog.getByRole('heading', { name: 'Version 1 → version 2' })).toBeVisible();
    const calcDiff = dialog.getByTestId('diff-calc');
    await expect(calcDiff).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
    // Monaco's diff editor: an original and a modified side, the changed lines marked.
    await expect(calcDiff.locator('.editor.original')).toContainText('flow * 2');
    await expect(calcDiff.locator('.editor.modified')).toContainText('flow * 3');
    await expect(calcDiff).not.toHaveAttribute('data-changes', '');
    await expect(calcDiff).not.toHaveAttribute('data-changes', '0');
    await expect(dialog.getByTestId('definition-changes')).toContainText(`Output ${OUTPUT}: unit — → t/h`);
    await screenshot(page, 'versions-diff', { readme: 'versions-diff.png' });
  });

  await test.step('restoring version 1 says what will run, then the editor shows it and the engine computes with it', async () => {
    await page.getByTestId('version-compare').getByTestId('compare-restore').click();
    const confirm = page.getByTestId('restore-confirm');
    await expect(page.getByRole('heading', { name: `Restore version 1 of ${NAME}?` })).toBeVisible();
    await expect(confirm).toContainText('saved again as the new version 3');
    await expect(confirm.getByTestId('restore-runs')).toContainText('the engine switches to version 1 at once (hot swap)');
    await confirm.getByTestId('restore-message').fill('back to the old meter');
    await screenshot(page, 'versions-restore-confirm');
    await page.getByRole('button', { name: 'Restore version 1' }).last().click();
    await expect(page.getByTestId('notice-success').filter({ hasText: 'Version 1 restored as version 3.' })).toBeVisible();
    await expect(page.getByTestId('calc-editor')).toContainText('const result = flow * 2;');
    await expect(page.getByTestId('unsaved')).toHaveCount(0);
    const rows = page.getByTestId('version-row');
    await expect(rows.nth(0)).toHaveAttribute('data-version', '3');
    await expect(rows.nth(0)).toContainText('back to the old meter');
    await expect(rows.nth(0).getByTestId('version-running')).toBeVisible({ timeout: 10_000 });
    await postValue(request, 21);
    await expect.poll(() => outputValue(request), { timeout: 15_000 }).toBe(42);
  });

  await test.step('saving asks for an optional message that the new version carries', async () => {
    await replaceCode(page, 'calc-editor', 'const result = flow * 2; // checked\n');
    await page.getByTestId('save-message').fill('comment only');
    await page.getByTestId('save').click();
    await page.getByRole('button', { name: 'Save and replace' }).click();
    await expect(page.getByTestId('notice-success').filter({ hasText: 'version 4' })).toBeVisible();
    await expect(page.getByTestId('save-message')).toHaveValue('');
    await expect(page.getByTestId('version-row').nth(0)).toContainText('comment only');
  });
});

test('the Tests tab: a test from a run, failing then fixed, and a save blocked by it then forced', async ({ page, request }) => {
  test.setTimeout(180_000);
  await postValue(request, 5);
  await openEditor(page);

  await test.step('Calculate, then add the run as a test with the expected value edited to fail', async () => {
    await page.getByTestId('calculate').click();
    await expect(page.getByTestId('calc-outputs').getByTestId('output-value')).toHaveText('10');
    await page.getByTestId('run-tab-tests').click();
    await page.getByTestId('test-add-from-run').click();
    const editor = page.getByTestId('test-editor');
    await expect(editor.getByLabel('Value of flow')).toHaveValue('5');
    await expect(editor.getByLabel(`Expected value of ${OUTPUT}`)).toHaveValue('10');
    await editor.getByTestId('test-name').fill('five gives ten');
    await editor.getByLabel(`Expected value of ${OUTPUT}`).fill('11');
    await editor.getByTestId('test-apply').click();
    await expect(page.getByTestId('test-item')).toHaveCount(1);
    await expect(page.getByTestId('unsaved')).toBeVisible();
  });

  await test.step('run all: the failure shows expected vs actual', async () => {
    await page.getByTestId('tests-run-all').click();
    const item = page.locator('[data-testid="test-item"][data-name="five gives ten"]');
    await expect(item).toHaveAttribute('data-status', 'failed');
    await expect(page.getByTestId('tests-summary')).toHaveText('1 of 1 failed');
    const mismatch = item.getByTestId('test-mismatch');
    await expect(mismatch).toContainText(OUTPUT);
    await expect(mismatch.locator('td').nth(1)).toHaveText('11');
    await expect(mismatch.locator('td').nth(2)).toHaveText('10 (good)');
    await page.getByTestId('tests-pane').scrollIntoViewIfNeeded();
    await screenshot(page, 'tests-failing', { readme: 'tests-tab.png' });
  });

  await test.step('fix the expectation with a tolerance: it passes, and Save keeps the test', async () => {
    await page.getByTestId('test-edit').click();
    const editor = page.getByTestId('test-editor');
    await editor.getByLabel(`Expected value of ${OUTPUT}`).fill('10,05');
    await editor.getByLabel(`Tolerance for ${OUTPUT}`).fill('0.1');
    await editor.getByTestId('test-apply').click();
    await page.getByTestId('tests-run-all').click();
    await expect(page.locator('[data-testid="test-item"][data-name="five gives ten"]')).toHaveAttribute('data-status', 'passed');
    await expect(page.getByTestId('tests-summary')).toHaveText('The test passed');
    await page.getByTestId('save').click();
    await page.getByRole('button', { name: 'Save and replace' }).click();
    await expect(page.getByTestId('notice-success').filter({ hasText: 'version 5' })).toBeVisible();
    const saved = (await (await request.get(`/api/scripts/${scriptId}`)).json()) as { tests: unknown };
    expect(saved.tests).toEqual([{ name: 'five gives ten', steps: [{ inputs: { flow: 5 } }], expect: { [OUTPUT]: { value: 10.05, approx: 0.1 } } }]);
  });

  await test.step('a change that breaks the test: the save is refused with the failing case, then forced and audited', async () => {
    await replaceCode(page, 'calc-editor', 'const result = flow * 4;\n');
    await page.getByTestId('save').click();
    await page.getByRole('button', { name: 'Save and replace' }).click();
    await expect(page.getByRole('heading', { name: 'The regression tests fail: save and hot-swap anyway?' })).toBeVisible();
    const failing = page.getByTestId('failing-tests');
    await expect(failing).toContainText('five gives ten');
    await expect(failing.getByTestId('test-mismatch').locator('td').nth(2)).toHaveText('20 (good)');
    await expect(page.getByTestId('force-note')).toHaveText('Going ahead is recorded in the audit trail with your name and the failing tests.');
    await expect(page.getByTestId('calc-editor').locator('.view-lines')).toContainText('flow * 4');
    await screenshot(page, 'tests-save-blocked', { readme: 'tests-save-blocked.png' });
    // The Tests tab shows the same failure behind the question.
    await expect(page.locator('[data-testid="test-item"][data-name="five gives ten"]')).toHaveAttribute('data-status', 'failed');
    await page.getByRole('button', { name: 'Save anyway' }).click();
    await expect(page.getByTestId('notice-success').filter({ hasText: 'version 6' })).toBeVisible();
    const audit = (await (await request.get(`/api/audit?targetType=script&targetId=${scriptId}&limit=1`)).json()) as { entries: Array<{ details: Record<string, unknown> }> };
    expect(audit.entries[0].details).toMatchObject({ force: true, failedTests: ['five gives ten'] });
    await postValue(request, 7);
    await expect.poll(() => outputValue(request), { timeout: 15_000 }).toBe(28);
  });

  await test.step('the scripts list shows the failing tests of the saved version', async () => {
    await page.goto('/');
    const row = page.locator(`[data-testid="script-row"][data-name="${NAME}"]`);
    await expect(row.getByTestId('tests-status')).toHaveAttribute('data-status', 'failed', { timeout: 20_000 });
    await expect(row.getByTestId('tests-status')).toHaveText('1 of 1 failed');
    await expect(page.locator('[data-testid="script-row"][data-name="boiler_efficiency"]').getByTestId('tests-status')).toHaveText('no tests');
    await screenshot(page, 'tests-status-list');
  });

  await test.step('in Korean: the Tests tab, its results and the Versions panel', async () => {
    await openEditor(page);
    await page.getByTestId('locale-switch').selectOption('ko');
    await expect(page.getByTestId('run-tab-tests')).toHaveText('테스트');
    await page.getByTestId('run-tab-tests').click();
    await page.getByTestId('tests-run-all').click();
    await expect(page.getByTestId('tests-summary')).toHaveText('1개 중 1개 실패');
    await expect(page.getByTestId('script-versions').locator('summary')).toHaveText('버전');
    await screenshot(page, 'tests-korean');
  });
});
