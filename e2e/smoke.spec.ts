import { expect, test } from '@playwright/test';

test('the app answers in embedded mode and serves its pages itself', async ({ page, baseURL }) => {
  const foreign: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(baseURL!) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  const health = await page.request.get('/api/health');
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', db: 'embedded', bus: 'embedded', history: 'embedded' });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Script Server' })).toBeVisible();
  expect(foreign).toEqual([]);
});
