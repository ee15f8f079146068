import { expect, test } from '@playwright/test';
import { screenshot } from './helpers';

/**
 * Backfill (history-ml.md): a new script over a simulator tag has no history of its output; from its
 * editor a manager backfills the last 7 days, watches the job end in the list, and the output's trend
 * on the Tags page is filled in with values twice the input's. The panel speaks Korean too.
 */

test('backfills a new script from its editor and sees the output’s trend fill in', async ({ page, request }) => {
  const name = `bf_e2e_${Date.now()}`;
  const output = `E2E.BF.${Date.now()}`;
  const created = await request.post('/api/scripts', {
    data: { name, inputs: [{ tag: 'FT-101.PV', alias: 'flow' }], calcCode: 'const twice = flow * 2;', outputs: [{ tag: output, variable: 'twice' }] },
  });
  expect(created.status()).toBe(201);
  const script = (await created.json()) as { id: string };
  const lastTwoHours = `from=${new Date(Date.now() - 2 * 3_600_000).toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}&maxPoints=10000`;
  const before = await request.get(`/api/tags/${encodeURIComponent(output)}/history?${lastTwoHours}`);
  expect(before.status() === 404 || ((await before.json()) as { points: unknown[] }).points.length === 0, await before.text()).toBe(true);

  await page.goto(`/scripts/${script.id}`);
  const panel = page.getByTestId('backfill-panel');
  await panel.locator('summary').click();
  await expect(panel.getByTestId('backfill-mode-replace')).toBeChecked();
  await test.step('a period ending in the future is explained, not sent', async () => {
    await panel.getByTestId('backfill-to').fill('2999-01-01T00:00');
    await expect(panel.getByText('The end is in the future')).toBeVisible();
    await expect(panel.getByTestId('backfill-start')).toBeDisabled();
  });
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  await panel.getByTestId('backfill-to').fill(`${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}T${pad(now.getHours())}:${pad(now.getMinutes())}`);
  await panel.getByTestId('backfill-start').click();
  const job = panel.getByTestId('backfill-job').first();
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  await expect(job).toContainText('Done');
  await screenshot(page, 'backfill-panel', { readme: 'backfill-panel.png' });

  await test.step('the output’s history is there, twice the input', async () => {
    const history = await request.get(`/api/tags/${encodeURIComponent(output)}/history?${lastTwoHours}`);
    expect(history.status()).toBe(200);
    const points = ((await history.json()) as { points: Array<{ ts: string; value: number }> }).points;
    expect(points.length).toBeGreaterThan(10);
    const input = ((await (await request.get(`/api/tags/FT-101.PV/history?from=${points[5].ts}&to=${points[5].ts}`)).json()) as { points: Array<{ value: number }> })
      .points;
    if (input.length === 1) expect(points[5].value).toBeCloseTo(input[0].value * 2, 6);
  });

  await page.goto(`/tags?tag=${encodeURIComponent(output)}`);
  await expect(page.locator('.tag-history svg').first()).toBeVisible({ timeout: 30_000 });
  await screenshot(page, 'backfill-trend');

  await page.goto(`/scripts/${script.id}`);
  await page.getByTestId('locale-switch').selectOption('ko');
  await page.getByTestId('backfill-panel').locator('summary').click();
  await expect(page.getByTestId('backfill-start')).toHaveText('백필 시작');
  await expect(page.getByTestId('backfill-job').first()).toContainText('완료');
  await page.getByTestId('locale-switch').selectOption('en');
});
