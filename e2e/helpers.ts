import { mkdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page } from '@playwright/test';

export const SCREENSHOT_DIR = path.join('test-results', 'screenshots');
export const README_SCREENSHOT_DIR = path.join('docs', 'screenshots');

/** Every request the page makes that does not go to the app itself (the IDE must work air-gapped). */
export function watchForeignRequests(page: Page, baseURL: string): string[] {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (url.startsWith(baseURL) || url.startsWith('data:') || url.startsWith('blob:')) return;
    foreign.push(url);
  });
  return foreign;
}

export async function screenshot(page: Page, name: string, options: { readme?: string; fullPage?: boolean } = {}): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  if (options.readme) {
    mkdirSync(README_SCREENSHOT_DIR, { recursive: true });
    copyFileSync(file, path.join(README_SCREENSHOT_DIR, options.readme));
  }
}

/** Waits until Monaco has mounted in the editor with this test id. */
export async function waitForCodeEditor(page: Page, testId: string): Promise<void> {
  await expect(page.getByTestId(testId)).toHaveAttribute('data-ready', 'true', { timeout: 30_000 });
  await expect(page.getByTestId(testId).locator('.view-lines')).toBeVisible();
}

/** Replaces the whole content of a Monaco editor (inserted as typed text, without auto-closing). */
export async function replaceCode(page: Page, testId: string, code: string): Promise<void> {
  await page.getByTestId(testId).locator('.view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}
