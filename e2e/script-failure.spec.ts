import { expect, test, type APIRequestContext } from '@playwright/test';
import { screenshot } from './helpers';

/**
 * A registered script that keeps failing is quarantined, and its page says so: the state, the last
 * error with its line, the next automatic retry, and its output in red as bad with the reason
 * (scripts.md "When a script stops or fails, its outputs say so"). Against the built app in embedded
 * mode (QUARANTINE_AFTER 5, QUARANTINE_RETRY_MS 60 000 by default).
 */

const INPUT = 'E2E.FAILING.PRESSURE';
const OUTPUT = 'CALC.E2E.FAILING.DOUBLED';

async function postValue(request: APIRequestContext, value: number, ts: number): Promise<void> {
  const response = await request.post('/api/values', { data: [{ tag: INPUT, value, ts }] });
  expect(response.status()).toBe(202);
}

test('a failing script is quarantined and its page shows the error, the next retry and its red output', async ({ page, request }) => {
  test.setTimeout(120_000);
  const created = await request.post('/api/scripts', {
    data: {
      name: 'e2e_failing_script',
      inputs: [{ tag: INPUT, alias: 'pressure' }],
      calcCode: 'const doubled = pressure * 2;\nif (pressure > 0) throw new Error("pressure sensor fault");',
      outputs: [{ tag: OUTPUT, variable: 'doubled' }],
    },
  });
  expect(created.status()).toBe(201);
  const script = (await created.json()) as { id: string };
  expect((await request.post(`/api/scripts/${script.id}/register`)).status()).toBe(200);

  const start = Date.now();
  await test.step('a good value first, then failures until the quarantine', async () => {
    await postValue(request, -1, start);
    await expect.poll(async () => (await (await request.get(`/api/tags/${encodeURIComponent(OUTPUT)}`)).json()).value, { timeout: 15_000 }).toBe(-2);
    for (let n = 1; n <= 5; n++) {
      await postValue(request, n, start + n);
      // Each value is evaluated on its own (one failure each).
      await expect.poll(async () => (await (await request.get(`/api/scripts/${script.id}`)).json()).status.errors, { timeout: 15_000 }).toBe(n);
    }
    await expect.poll(async () => (await (await request.get(`/api/scripts/${script.id}`)).json()).status.state, { timeout: 15_000 }).toBe('quarantined');
    const tag = await (await request.get(`/api/tags/${encodeURIComponent(OUTPUT)}`)).json();
    expect(tag).toMatchObject({ value: null, quality: 'bad', reason: 'quarantined' });
    const status = (await (await request.get(`/api/scripts/${script.id}`)).json()).status;
    expect(Date.parse(status.retryAt) - Date.now()).toBeGreaterThan(30_000);
  });

  await test.step('the script page shows the quarantine, the error line, the retry and the red output', async () => {
    await page.goto(`/scripts/${script.id}`);
    const panel = page.getByTestId('script-status-panel');
    await expect(panel).toHaveAttribute('data-state', 'quarantined');
    await expect(panel.getByTestId('runtime-state-badge')).toHaveText('Quarantined');
    await expect(panel.getByTestId('runtime-error')).toContainText('pressure sensor fault');
    await expect(panel.getByTestId('runtime-error')).toContainText('at line 2, column 34 of the calculation');
    await expect(panel.getByTestId('runtime-retry')).toContainText('Next automatic retry at');
    const output = panel.locator(`[data-testid="runtime-output"][data-tag="${OUTPUT}"]`);
    await expect(output).toHaveAttribute('data-quality', 'bad');
    await expect(output).toHaveAttribute('data-reason', 'quarantined');
    await expect(output).toContainText('the script is quarantined');
    // Red: the value and its reason take the danger colour.
    const colour = await output.locator('.runtime-reason').evaluate((cell) => getComputedStyle(cell).color);
    expect(colour).not.toBe(await page.locator('body').evaluate((body) => getComputedStyle(body).color));
    await page.getByTestId('runtime-error-line').click();
    await screenshot(page, 'script-quarantined', { readme: 'script-quarantined.png' });
  });

  await test.step('in Korean the reason is translated', async () => {
    await page.context().addCookies([{ name: 'ss-locale', value: 'ko', url: page.url() }]);
    await page.reload();
    await expect(page.locator(`[data-testid="runtime-output"][data-tag="${OUTPUT}"]`)).toContainText('스크립트가 격리되었습니다');
  });

  await test.step('re-registering ends the quarantine at once', async () => {
    expect((await request.post(`/api/scripts/${script.id}/register`)).status()).toBe(200);
    expect((await (await request.get(`/api/scripts/${script.id}`)).json()).status).toMatchObject({ state: 'registered', retryAt: null });
  });
});
