import { defineConfig } from '@playwright/test';
import os from 'node:os';
import path from 'node:path';

// Browser flows against the built app in embedded mode, driven by Debian's Chromium
// (`npx playwright install` cannot download browsers here).
const port = Number(process.env.E2E_PORT ?? 3100);
const dataDir = path.join(os.tmpdir(), `script-server-e2e-${process.pid}`);
// The app starts with ADMIN_PASSWORD; global-setup.ts signs in once and every flow reuses the session.
export const E2E_ADMIN = { username: 'admin', password: 'e2e-admin-password-0123' };
export const E2E_AUTH_STATE = path.join(os.tmpdir(), `script-server-e2e-auth-${port}.json`);

export default defineConfig({
  testDir: './e2e',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    storageState: E2E_AUTH_STATE,
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.TEST_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    },
  },
  webServer: {
    command: 'node dist/server.mjs',
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 180_000,
    reuseExistingServer: false,
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ADMIN_PASSWORD: E2E_ADMIN.password },
  },
});
