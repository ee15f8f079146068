import { expect, test } from '@playwright/test';
import { replaceCode, screenshot, waitForCodeEditor, watchForeignRequests } from './helpers';

/**
 * The plant manager's flow, end to end, against the built app in embedded mode (simulator on):
 * create a calculated tag from live tags, see a mistake marked and cleared, calculate, debug,
 * benchmark, save, register, watch the output in the tag list and on the trend — and in Korean.
 */

const SCRIPT_NAME = 'steam_per_fuel_e2e';
const OUTPUT_TAG = 'CALC.STEAM_PER_FUEL_E2E';
const GOOD_CODE = ['// Steam produced per unit of fuel', 'const ratio = fuel > 0 ? steam / fuel : null;', 'const result = round(ratio, 3);', ''].join('\n');
const BAD_CODE = GOOD_CODE.replace('steam / fuel', 'stem / fuel');

test.describe.configure({ mode: 'serial' });

test('a manager creates, checks, registers and plots a calculated tag', async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  const foreign = watchForeignRequests(page, baseURL!);

  await test.step('the scripts table opens on the example scripts', async () => {
    await page.goto('/');
    await expect(page.getByRole('heading', { name: 'Scripts', level: 1 })).toBeVisible();
    await expect(page.getByTestId('script-row').first()).toBeVisible();
    await expect(page.locator('[data-testid="script-row"][data-name="boiler_efficiency"]')).toBeVisible();
    await screenshot(page, '01-scripts');
  });

  await test.step('a new script starts from a commented example', async () => {
    await page.getByTestId('new-script').click();
    await expect(page).toHaveURL(/\/scripts\/new$/);
    await waitForCodeEditor(page, 'calc-editor');
    await expect(page.getByTestId('calc-editor')).toContainText('const result = null;');
    await page.getByTestId('script-name').fill(SCRIPT_NAME);
    await expect(page.getByTestId('output-tag-input')).toHaveValue(OUTPUT_TAG);
  });

  await test.step('inputs are picked from the live tag catalog', async () => {
    const picker = page.getByTestId('tag-picker-input');
    await picker.click();
    await picker.fill('FT-101');
    const steamOption = page.locator('[data-testid="tag-option"][data-tag="FT-101.PV"]');
    await expect(steamOption).toBeVisible();
    await expect(steamOption.locator('.badge')).toContainText(/good|uncertain|bad/);
    await steamOption.click();
    await picker.fill('FT-102');
    await page.locator('[data-testid="tag-option"][data-tag="FT-102.PV"]').click();
    await page.keyboard.press('Escape');

    const rows = page.getByTestId('input-row');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0).getByTestId('alias-input')).toHaveValue('ft_101');
    await expect(rows.nth(1).getByTestId('alias-input')).toHaveValue('ft_102');
    // The untouched example follows the inputs.
    await expect(page.getByTestId('calc-editor')).toContainText('round(avg(ft_101, ft_102), 2)');
    // Live values are shown beside each input.
    await expect(rows.nth(0).locator('.live-value')).toHaveText(/\d/);

    // An invalid alias is refused on the spot, then renamed.
    await rows.nth(0).getByTestId('alias-input').fill('class');
    await expect(rows.nth(0).locator('.field-error')).toContainText('reserved word');
    await rows.nth(0).getByTestId('alias-input').fill('steam');
    await rows.nth(1).getByTestId('alias-input').fill('fuel');
    await expect(rows.nth(0).locator('.field-error')).toHaveCount(0);
  });

  await test.step('a mistake is marked at its line and column, and the mark goes when fixed', async () => {
    await replaceCode(page, 'calc-editor', BAD_CODE);
    const calcEditor = page.getByTestId('calc-editor');
    await expect(calcEditor).toHaveAttribute('data-marker-count', '1');
    await expect(calcEditor.locator('.squiggly-error')).toHaveCount(1);
    await expect(page.getByTestId('problems')).toContainText("'stem' is not defined — did you mean 'steam'?");
    await expect(page.getByTestId('problems')).toContainText('line 2:26');
    await screenshot(page, '02-editor-marker');

    await replaceCode(page, 'calc-editor', GOOD_CODE);
    await expect(calcEditor).toHaveAttribute('data-marker-count', '0');
    await expect(calcEditor.locator('.squiggly-error')).toHaveCount(0);
    await expect(page.getByTestId('no-problems')).toBeVisible();
    await expect(page.getByTestId('output-variable-select')).toHaveValue('result');
  });

  await test.step('completion knows the aliases, ctx and the helpers', async () => {
    const calcEditor = page.getByTestId('calc-editor');
    await calcEditor.locator('.view-lines').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.insertText('\nconst probe = ste');
    await page.keyboard.press('Control+Space');
    const suggestions = page.locator('.suggest-widget');
    await expect(suggestions).toContainText('steam', { timeout: 15_000 });
    await page.keyboard.press('Escape');
    await page.keyboard.insertText(' + ctx.');
    await page.keyboard.press('Control+Space');
    await expect(suggestions).toContainText('previous');
    await expect(suggestions).toContainText('setQuality');
    await page.keyboard.press('Escape');
    await replaceCode(page, 'calc-editor', GOOD_CODE);
    await expect(page.getByTestId('no-problems')).toBeVisible();
  });

  await test.step('calculate runs the draft on live data (Ctrl+Enter)', async () => {
    await page.getByTestId('calc-editor').locator('.view-lines').click();
    await page.keyboard.press('ControlOrMeta+Enter');
    const outputs = page.getByTestId('calc-outputs');
    await expect(outputs).toContainText(OUTPUT_TAG);
    await expect(outputs.locator('.output-value')).toHaveText(/^\d/);
    await expect(page.getByTestId('calc-summary')).toBeVisible();
  });

  await test.step('debug steps through the trace and the highlighted line moves', async () => {
    await page.getByRole('tab', { name: 'Debug' }).click();
    await page.getByTestId('debug-run').click();
    const calcEditor = page.getByTestId('calc-editor');
    await expect(page.getByTestId('step-position')).toContainText('line 2');
    await expect(calcEditor).toHaveAttribute('data-debug-line', '2');
    await expect(calcEditor.locator('.debug-line')).toHaveCount(1);
    // Where the highlight sits inside the editor (independent of page scrolling).
    const highlightTop = () =>
      calcEditor.locator('.debug-line').evaluate((element) => element.getBoundingClientRect().top - element.closest('.code-editor')!.getBoundingClientRect().top);
    const firstTop = await highlightTop();

    // F10: next step (focus outside the code editor).
    await page.getByTestId('step-position').click();
    await page.keyboard.press('F10');
    await expect(calcEditor).toHaveAttribute('data-debug-line', '3');
    await expect(page.getByTestId('step-position')).toContainText('line 3');
    const nextTop = await highlightTop();
    expect(nextTop).toBeGreaterThan(firstTop);
    await expect(page.getByTestId('debug-vars')).toContainText('result');
    await expect(page.getByTestId('debug-vars').locator('tr[data-changed="true"]')).toContainText('result');

    await page.getByTestId('step-previous').click();
    await expect(calcEditor).toHaveAttribute('data-debug-line', '2');
    await page.getByTestId('step-next').click();
    await expect(calcEditor).toHaveAttribute('data-debug-line', '3');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, '03-editor-debug', { readme: 'editor.png', fullPage: true });
  });

  await test.step('benchmark measures the calculation', async () => {
    await page.getByRole('tab', { name: 'Benchmark' }).click();
    await page.getByTestId('benchmark-run').click();
    const result = page.getByTestId('benchmark-result');
    await expect(result).toBeVisible({ timeout: 20_000 });
    await expect(result).toContainText('Iterations');
    await expect(result).toContainText('p99');
    await expect(result).toContainText('µs');
  });

  let scriptUrl = '';
  await test.step('save (Ctrl+S), then register with confirmation', async () => {
    await page.keyboard.press('ControlOrMeta+S');
    await expect(page.getByTestId('notice-success')).toContainText(`${SCRIPT_NAME} saved`);
    await expect(page).toHaveURL(/\/scripts\/[0-9a-f-]{8,}$/);
    scriptUrl = page.url();
    await expect(page.getByTestId('state-badge')).toHaveAttribute('data-state', 'unregistered');

    await page.getByTestId('register').click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(`Register ${SCRIPT_NAME}?`);
    await expect(dialog).toContainText(OUTPUT_TAG);
    await dialog.getByRole('button', { name: 'Register' }).click();
    await expect(page.getByTestId('state-badge')).toHaveAttribute('data-state', 'registered');
    await expect(page.getByTestId('unregister')).toBeVisible();
  });

  await test.step('the output tag updates in the tag list', async () => {
    await page.getByRole('link', { name: 'Tags', exact: true }).click();
    await expect(page).toHaveURL(/\/tags/);
    await page.getByTestId('tag-search').fill('STEAM_PER_FUEL');
    const row = page.locator(`[data-testid="tag-row"][data-tag="${OUTPUT_TAG}"]`);
    await expect(row).toBeVisible({ timeout: 20_000 });
    await expect(row).toContainText('calculated');
    const firstTs = await row.getByTestId('tag-value').getAttribute('data-ts');
    await expect.poll(async () => row.getByTestId('tag-value').getAttribute('data-ts'), { timeout: 30_000 }).not.toBe(firstTs);
    await row.getByRole('button', { name: OUTPUT_TAG }).click();
    await expect(page.getByRole('heading', { name: `History of ${OUTPUT_TAG}` })).toBeVisible();
    await expect(page.getByTestId('chart').locator('.recharts-line').first()).toBeVisible({ timeout: 20_000 });
    await screenshot(page, '04-tags');
  });

  await test.step('the trend shows the inputs and the computed output', async () => {
    await page.goto(scriptUrl);
    await waitForCodeEditor(page, 'calc-editor');
    await page.getByTestId('open-trends').click();
    await expect(page).toHaveURL(/\/trends\?script=/);
    const legend = page.getByTestId('legend-item');
    await expect(legend.filter({ hasText: 'FT-101.PV (steam)' })).toBeVisible({ timeout: 30_000 });
    await expect(legend.filter({ hasText: 'FT-102.PV (fuel)' })).toBeVisible();
    await expect(legend.filter({ hasText: OUTPUT_TAG })).toBeVisible();
    const chart = page.getByTestId('chart');
    await expect(chart.locator('.recharts-line')).toHaveCount(3);
    await expect.poll(async () => chart.locator('path.recharts-curve').count()).toBeGreaterThanOrEqual(3);
    await expect(page.getByTestId('trend-summary')).toContainText('evaluations');

    // A legend toggle hides a series and shows it again.
    await legend.filter({ hasText: 'FT-102.PV (fuel)' }).click();
    await expect(legend.filter({ hasText: 'FT-102.PV (fuel)' })).toHaveAttribute('aria-pressed', 'false');
    await legend.filter({ hasText: 'FT-102.PV (fuel)' }).click();
    await expect(legend.filter({ hasText: 'FT-102.PV (fuel)' })).toHaveAttribute('aria-pressed', 'true');
    await screenshot(page, '05-trends', { readme: 'trends.png' });
  });

  await test.step('the UI switches to Korean and stays Korean', async () => {
    await page.getByTestId('locale-switch').selectOption('ko');
    await expect(page.getByRole('heading', { name: '트렌드', level: 1 })).toBeVisible();
    await page.goto('/');
    await expect(page.getByRole('heading', { name: '스크립트', level: 1 })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
    await expect(page.locator(`[data-testid="script-row"][data-name="${SCRIPT_NAME}"]`)).toContainText('등록됨');
    await screenshot(page, '06-scripts-ko');
    await page.goto(scriptUrl);
    await waitForCodeEditor(page, 'calc-editor');
    await expect(page.getByRole('button', { name: /저장/ })).toBeVisible();
    await expect(page.getByText('계산 코드', { exact: true })).toBeVisible();
    await screenshot(page, '07-editor-ko');
    await page.getByTestId('locale-switch').selectOption('en');
    await expect(page.getByText('Calculation code', { exact: true })).toBeVisible();
  });

  expect(foreign, 'requests to other hosts').toEqual([]);
});

test('unsaved changes are not lost by a click on a link', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, baseURL!);
  await page.goto('/scripts/new');
  await waitForCodeEditor(page, 'calc-editor');
  await page.getByTestId('script-name').fill('draft_to_keep');
  await page.getByRole('link', { name: 'Tags', exact: true }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toContainText('Leave without saving?');
  await dialog.getByRole('button', { name: 'Stay' }).click();
  await expect(page).toHaveURL(/\/scripts\/new$/);
  await expect(page.getByTestId('script-name')).toHaveValue('draft_to_keep');

  await page.getByRole('link', { name: 'Tags', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Leave and discard' }).click();
  await expect(page).toHaveURL(/\/tags$/);
  expect(foreign).toEqual([]);
});

test('a register refused by the server shows its message', async ({ page }) => {
  // The output tag of an example script is taken: saving a second producer is refused (409).
  await page.goto('/scripts/new');
  await waitForCodeEditor(page, 'calc-editor');
  await page.getByTestId('script-name').fill('duplicate_output_e2e');
  const picker = page.getByTestId('tag-picker-input');
  await picker.fill('FT-103');
  await page.locator('[data-testid="tag-option"][data-tag="FT-103.PV"]').click();
  await page.keyboard.press('Escape');
  await page.getByTestId('output-tag-input').fill('CALC.BOILER_EFF');
  await expect(page.getByTestId('no-problems')).toBeVisible();
  await page.getByTestId('save').click();
  const error = page.getByTestId('action-error');
  await expect(error).toContainText('Could not save:');
  await expect(error).toContainText('CALC.BOILER_EFF');
  await screenshot(page, '08-editor-error');
});
