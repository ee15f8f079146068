import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { screenshot } from './helpers';

/**
 * Export for training (issue 16): from the Tags page, two plant tags over the last hour at 1 min steps
 * downloaded as CSV — the header names each tag's value and quality columns, and a row holds a time,
 * numbers and qualities. A refusal (no tag picked) is said in the dialog.
 */

test('exports two tags from the Tags page as CSV and reads the downloaded file', async ({ page }) => {
  await page.goto('/tags?query=FT-101');
  await page.locator('[data-testid="tag-row"][data-tag="FT-101.PV"]').getByRole('button', { name: 'FT-101.PV' }).click();
  await page.getByTestId('tag-search').fill('.PV');
  await expect(page.locator('[data-testid="tag-row"][data-tag="TT-901.PV"]')).toBeVisible();

  await page.getByTestId('export-open').click();
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('[data-testid="export-tag"][data-tag="FT-101.PV"]')).toBeChecked();

  await test.step('with no tag picked, the dialog says what to do', async () => {
    await dialog.locator('[data-testid="export-tag"][data-tag="FT-101.PV"]').uncheck();
    await expect(dialog.getByTestId('export-problem')).toHaveText('Pick at least one tag.');
    await expect(dialog.getByTestId('export-download')).toBeDisabled();
  });

  await dialog.locator('[data-testid="export-tag"][data-tag="FT-101.PV"]').check();
  await dialog.locator('[data-testid="export-tag"][data-tag="TT-901.PV"]').check();
  await dialog.getByTestId('export-step').selectOption('1m');
  await expect(dialog.getByTestId('export-rows')).toContainText('60');
  await screenshot(page, 'export-dialog', { readme: 'export-dialog.png' });

  const downloading = page.waitForEvent('download');
  await dialog.getByTestId('export-download').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^history-\d{8}T\d{6}Z-\d{8}T\d{6}Z\.csv$/);
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.split('\r\n');
  expect(lines[0]).toBe('ts,FT-101.PV,FT-101.PV.quality,TT-901.PV,TT-901.PV.quality');
  expect(lines.length - 2).toBe(60); // a header, 60 rows and the final line break
  // The simulator wrote an hour of history before the start: the last row has both values.
  expect(lines[60]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z,-?\d+(\.\d+)?(e-?\d+)?,(good|uncertain|bad),-?\d+(\.\d+)?(e-?\d+)?,(good|uncertain|bad)$/);
  await expect(dialog.getByTestId('export-started')).toBeVisible();
});

test('the Trends page offers the plotted script’s inputs and outputs for export, in Korean too', async ({ page }) => {
  await page.goto('/trends');
  const select = page.getByTestId('trend-script');
  const firstScript = await select.locator('option').nth(1).getAttribute('value');
  expect(firstScript).toBeTruthy();
  await select.selectOption(firstScript!);
  await expect(page.getByTestId('trend-summary')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('export-open').click();
  const dialog = page.getByTestId('export-dialog');
  const boxes = dialog.getByTestId('export-tag');
  expect(await boxes.count()).toBeGreaterThan(1);
  for (const box of await boxes.all()) await expect(box).toBeChecked();
  await dialog.getByTestId('export-format').selectOption('parquet');
  const downloading = page.waitForEvent('download');
  await dialog.getByTestId('export-download').click();
  expect((await downloading).suggestedFilename()).toMatch(/\.parquet$/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();

  await page.getByTestId('locale-switch').selectOption('ko');
  await page.getByTestId('export-open').click();
  await expect(page.getByTestId('export-dialog').getByRole('heading')).toHaveText('학습용 이력 내보내기');
  await page.getByTestId('export-dialog').getByRole('button', { name: '취소' }).click();
  await page.getByTestId('locale-switch').selectOption('en');
});
