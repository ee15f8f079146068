import { expect, test, type Page } from '@playwright/test';
import { screenshot } from './helpers';

/**
 * Tag metadata in the IDE (issue 13 items 4 and 8): the tag list's descriptions and units from the
 * simulator, editing a plant tag's unit and range, search over descriptions, removing a tag that is
 * allowed to go (and seeing why one cannot), and a trend of two units drawn one axis per unit with a
 * tooltip that lists every series at the cursor.
 */

async function api(page: Page, method: string, path: string, body?: unknown) {
  const response = await page.request.fetch(path, { method, data: body === undefined ? undefined : body });
  const text = await response.text();
  return { status: response.status(), json: text ? JSON.parse(text) : null };
}

test('the tag list shows descriptions and units, finds tags by description and edits a plant tag’s unit and range', async ({ page }) => {
  await page.goto('/tags?query=FT-101');
  const row = page.locator('[data-testid="tag-row"][data-tag="FT-101.PV"]');
  await expect(row).toBeVisible();
  await expect(row.getByTestId('tag-unit')).toHaveText('t/h');
  await expect(row.getByTestId('tag-description')).not.toBeEmpty();

  await test.step('search matches descriptions', async () => {
    await page.getByTestId('tag-search').fill('ambient air');
    await expect(page.locator('[data-testid="tag-row"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="tag-row"][data-tag="TT-901.PV"]')).toBeVisible();
  });

  await test.step('edit the unit and the normal range of a plant tag', async () => {
    await page.locator('[data-testid="tag-row"][data-tag="TT-901.PV"]').getByRole('button', { name: 'TT-901.PV' }).click();
    await page.getByTestId('meta-edit').click();
    await page.getByTestId('meta-lo').fill('50');
    await page.getByTestId('meta-hi').fill('10');
    await page.getByTestId('meta-save').click();
    await expect(page.getByTestId('meta-problem')).toContainText('is above the high end');

    await page.getByTestId('meta-unit').fill('degC');
    await page.getByTestId('meta-lo').fill('-20');
    await page.getByTestId('meta-hi').fill('45');
    await page.getByTestId('meta-save').click();
    await expect(page.getByTestId('notice-success')).toBeVisible();
    await expect(page.getByTestId('tag-detail-unit')).toHaveText('degC');
    await expect(page.locator('[data-testid="tag-row"][data-tag="TT-901.PV"]').getByTestId('tag-unit')).toHaveText('degC');
    const stored = await api(page, 'GET', '/api/tags/TT-901.PV');
    expect(stored.json).toMatchObject({ unit: 'degC', lo: -20, hi: 45 });
  });

  await test.step('a plant tag still receiving values cannot be removed, and says why on hover', async () => {
    await expect(page.getByTestId('tag-remove')).toHaveCount(0);
    await expect(page.getByTestId('tag-remove-blocked')).toHaveAttribute('title', /still receiving values/);
  });
  await screenshot(page, 'tags-metadata');
});

test('an old tag no script produces can be removed, with a confirmation, and comes back with a new value', async ({ page }) => {
  const tag = `E2E.OLD_${Date.now()}`;
  const longAgo = Date.now() - 30 * 86_400_000;
  expect((await api(page, 'POST', '/api/values', [{ tag, value: 1.5, ts: longAgo }])).status).toBe(202);
  await expect.poll(async () => (await api(page, 'GET', `/api/tags/${encodeURIComponent(tag)}`)).status).toBe(200);

  await page.goto(`/tags?tag=${encodeURIComponent(tag)}&query=${encodeURIComponent(tag)}`);
  await page.getByTestId('tag-remove').click();
  await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByTestId('notice-success')).toContainText(tag);
  await expect(page.locator(`[data-testid="tag-row"][data-tag="${tag}"]`)).toHaveCount(0);
  expect((await api(page, 'GET', `/api/tags/${encodeURIComponent(tag)}`)).status).toBe(404);

  expect((await api(page, 'POST', '/api/values', [{ tag, value: 2.5 }])).status).toBe(202);
  await expect(page.locator(`[data-testid="tag-row"][data-tag="${tag}"]`)).toBeVisible();
});

test('a trend of two units draws one axis per unit and its tooltip lists every series', async ({ page }) => {
  const name = `e2e_units_${Date.now()}`;
  const created = await api(page, 'POST', '/api/scripts', {
    name,
    inputs: [
      { tag: 'FT-101.PV', alias: 'steam' },
      { tag: 'TT-901.PV', alias: 'ambient' },
    ],
    calcCode: 'const ratio = steam / 10;',
    outputs: [{ tag: `CALC.${name.toUpperCase()}`, variable: 'ratio', unit: 'ratio', description: 'Steam over ten' }],
  });
  expect(created.status).toBe(201);
  // The simulator's first hour of history is written a few seconds after start.
  await expect.poll(async () => (await api(page, 'GET', '/api/tags/FT-101.PV/history')).json.points.length, { timeout: 30_000 }).toBeGreaterThan(10);

  await page.goto(`/trends?script=${created.json.id}`);
  await expect(page.getByTestId('trend-summary')).toContainText('evaluations');
  await page.getByTestId('axis-mode-units').click();
  const chart = page.getByTestId('chart');
  await expect(chart.locator('.recharts-yAxis')).toHaveCount(3);
  for (const unit of ['t/h', /°C|degC/, 'ratio']) await expect(chart.locator('.recharts-label')).toContainText([unit]);
  await expect(chart).not.toContainText('no unit');

  const box = (await chart.locator('.recharts-cartesian-grid').boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
  const rows = page.getByTestId('tooltip-row');
  await expect(rows).toHaveCount(3);
  await expect(page.getByTestId('chart-tooltip')).toContainText('t/h');
  await expect(page.getByTestId('chart-tooltip')).toContainText('ratio');
  await screenshot(page, 'trend-axis-per-unit');

  await page.getByTestId('axis-mode-shared').click();
  await expect(chart.locator('.recharts-yAxis')).toHaveCount(1);
});
