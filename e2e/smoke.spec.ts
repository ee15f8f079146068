import { expect, test } from '@playwright/test';
import { screenshot, watchForeignRequests } from './helpers';

test('the app answers in embedded mode and serves its pages itself', async ({ page, baseURL }) => {
  const foreign = watchForeignRequests(page, baseURL!);
  const health = await page.request.get('/api/health');
  expect(health.status()).toBe(200);
  expect(await health.json()).toMatchObject({ status: 'ok', db: 'embedded', bus: 'embedded', history: 'embedded' });
  await page.goto('/');
  await expect(page.getByRole('link', { name: /Script Server/ })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Scripts', level: 1 })).toBeVisible();
  for (const path of ['/tags', '/trends']) {
    const response = await page.goto(path);
    expect(response?.status()).toBe(200);
  }
  await screenshot(page, '00-trends-empty');
  // Monaco is served by the app (no CDN), with path traversal refused.
  expect((await page.request.get('/monaco/vs/loader.js')).status()).toBe(200);
  expect((await page.request.get('/monaco/vs/editor/editor.main.js')).status()).toBe(200);
  expect((await page.request.get('/monaco/vs/%2e%2e/package.json')).status()).toBe(404);
  expect(foreign).toEqual([]);
});
