import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { screenshot, waitForCodeEditor } from './helpers';

/**
 * Issue 13, items 3 and 6: registering shows first what the script would do on the latest values
 * (from the editor and from the list's switch), and Calculate runs what the plant will do — input
 * quality overrides reach isGood(), and state can be kept between runs.
 */

async function createScript(request: APIRequestContext, draft: Record<string, unknown>): Promise<{ id: string; name: string }> {
  const created = await request.post('/api/scripts', { data: draft });
  expect(created.status(), await created.text()).toBe(201);
  return created.json();
}

const unique = () => Date.now().toString(36);

async function openEditor(page: Page, id: string) {
  await page.goto(`/scripts/${encodeURIComponent(id)}`);
  await waitForCodeEditor(page, 'calc-editor');
}

test('registering a script that fails on the latest values shows why and needs "Register anyway"', async ({ page, request }) => {
  const suffix = unique();
  const script = await createScript(request, {
    name: `failing_${suffix}`,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    calcCode: 'const settings = null;\nconst result = steam * settings.gain;',
    outputs: [{ tag: `E2E.FAIL_${suffix}`, variable: 'result' }],
  });
  await openEditor(page, script.id);
  await page.getByTestId('register').click();
  const dialog = page.getByTestId('register-dialog');
  await expect(dialog).toHaveAttribute('data-outcome', 'fails');
  await expect(dialog.getByTestId('preview-lead')).toContainText('this script fails');
  await expect(dialog.getByTestId('preview-errors')).toContainText('line 2, column');
  await expect(dialog.getByTestId('preview-errors')).toContainText('gain');
  // No plain Register: only the explicit, secondary one.
  await expect(dialog.getByTestId('register-confirm')).toHaveCount(0);
  await expect(dialog.getByTestId('register-anyway')).toHaveText('Register anyway');
  await expect(dialog.getByTestId('register-anyway')).toHaveClass(/danger-outline/);
  await screenshot(page, 'i13-register-fails');

  // Cancel leaves it unregistered; "Register anyway" registers it.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('state-badge')).toHaveAttribute('data-state', 'unregistered');
  await page.getByTestId('register').click();
  await page.getByTestId('register-anyway').click();
  await expect(page.getByTestId('state-badge')).toHaveAttribute('data-state', /registered|quarantined/);
  await request.post(`/api/scripts/${script.id}/unregister`);
});

test('code that does not compile cannot be registered from the dialog', async ({ page, request }) => {
  const suffix = unique();
  const script = await createScript(request, {
    name: `broken_${suffix}`,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    calcCode: 'const result = steam;',
    outputs: [{ tag: `E2E.BROKEN_${suffix}`, variable: 'result' }],
  });
  await openEditor(page, script.id);
  // A draft with a syntax error: the dialog runs the editor's contents.
  await page.getByTestId('calc-editor').locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.insertText('\nconst x = (1;');
  await page.getByTestId('register').click();
  const dialog = page.getByTestId('register-dialog');
  await expect(dialog).toHaveAttribute('data-outcome', 'invalid');
  await expect(dialog.getByTestId('preview-errors')).toContainText('line 2');
  await expect(dialog.getByTestId('register-confirm')).toHaveCount(0);
  await expect(dialog.getByTestId('register-anyway')).toHaveCount(0);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
});

test('the list’s switch shows the outputs before registering and asks before unregistering', async ({ page, request }) => {
  const suffix = unique();
  const output = `E2E.SWITCH_${suffix}`;
  const script = await createScript(request, {
    name: `switch_${suffix}`,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    calcCode: 'const result = 42;',
    outputs: [{ tag: output, variable: 'result' }],
  });
  await page.goto('/');
  const row = page.locator(`[data-testid="script-row"][data-name="${script.name}"]`);
  const toggle = row.getByRole('switch');
  await expect(toggle).toHaveAttribute('aria-checked', 'false');

  await toggle.click();
  const dialog = page.getByTestId('register-dialog');
  await expect(dialog).toHaveAttribute('data-outcome', 'clean');
  await expect(dialog.getByTestId('preview-outputs')).toContainText(output);
  await expect(dialog.getByTestId('preview-outputs')).toContainText('42');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(toggle).toHaveAttribute('aria-checked', 'false');

  await toggle.click();
  await page.getByTestId('register-confirm').click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');

  // Unregistering stops outputs that alarms read: it asks first.
  await toggle.click();
  const confirm = page.getByRole('dialog');
  await expect(confirm).toContainText(`Unregister ${script.name}?`);
  await expect(confirm).toContainText(output);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  await toggle.click();
  await page.getByRole('dialog').getByRole('button', { name: 'Unregister' }).click();
  await expect(toggle).toHaveAttribute('aria-checked', 'false');
});

test('calculate with a quality override takes the other isGood() branch', async ({ page, request }) => {
  const suffix = unique();
  const script = await createScript(request, {
    name: `quality_${suffix}`,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    calcCode: 'const result = isGood("steam") ? 1 : -1;',
    outputs: [{ tag: `E2E.QUALITY_${suffix}`, variable: 'result' }],
  });
  await openEditor(page, script.id);
  const value = page.getByTestId('calc-outputs').locator('.output-value');
  await page.getByTestId('calculate').click();
  await expect(value).toHaveText('1');

  await page.locator('details.overrides > summary').click();
  await page.getByLabel('Value of steam for this run').fill('12.5');
  await page.getByLabel('Quality of steam for this run').selectOption('bad');
  await page.getByTestId('calculate').click();
  await expect(value).toHaveText('-1');
  await expect(page.getByTestId('calc-outputs')).toContainText('bad');
  await screenshot(page, 'i13-calc-quality-override');
});

test('keep state: a counter goes up from one Calculate to the next, and reset starts it again', async ({ page, request }) => {
  const suffix = unique();
  const script = await createScript(request, {
    name: `counter_${suffix}`,
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    initCode: 'let runs = 0;',
    calcCode: 'runs++;\nconst result = runs;',
    outputs: [{ tag: `E2E.COUNTER_${suffix}`, variable: 'result' }],
  });
  await openEditor(page, script.id);
  const value = page.getByTestId('calc-outputs').locator('.output-value');
  await page.getByTestId('calc-keep-state').check();
  for (const expected of ['1', '2', '3']) {
    await page.getByTestId('calculate').click();
    await expect(value).toHaveText(expected);
  }
  await expect(page.locator('#run-pane-calculate')).toContainText('Variables kept between runs');
  await expect(page.locator('#run-pane-calculate .data-table').last()).toContainText('runs');

  await page.getByTestId('calc-reset-state').click();
  await expect(page.getByTestId('calc-state-note')).toContainText('State reset');
  await page.getByTestId('calculate').click();
  await expect(value).toHaveText('1');

  // Off: every run starts from initCode.
  await page.getByTestId('calc-keep-state').uncheck();
  await page.getByTestId('calculate').click();
  await expect(value).toHaveText('1');
  await page.getByTestId('calculate').click();
  await expect(value).toHaveText('1');
});
