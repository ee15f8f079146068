import { expect, test, type Page } from '@playwright/test';
import { replaceCode, waitForCodeEditor } from './helpers';

/**
 * The editor never loses or garbles what a manager types (issue 13, item 5): fast typing on a busy
 * page, Back and navigation with unsaved changes, a draft recovered after a reload, alias renames in
 * both directions, an unknown input tag.
 */

test.describe.configure({ mode: 'serial' });

/** The text of Monaco's model for one part of the script (init.js or calc.js). */
async function modelText(page: Page, file: 'init.js' | 'calc.js'): Promise<string> {
  return page.evaluate((name) => {
    const monaco = (window as unknown as { monaco?: { editor: { getModels(): { uri: { path: string }; getValue(): string }[] } } }).monaco;
    const model = monaco?.editor.getModels().find((m) => m.uri.path.endsWith(`/${name}`));
    if (!model) throw new Error(`no Monaco model for ${name}`);
    return model.getValue();
  }, file);
}

/** Keeps the main thread busy: ~25 ms of work every 35 ms, as on a loaded plant PC. */
async function makeBusy(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __busy?: number };
    w.__busy = window.setInterval(() => {
      const until = performance.now() + 25;
      while (performance.now() < until) {
        /* burn */
      }
    }, 35);
  });
}

async function stopBusy(page: Page): Promise<void> {
  await page.evaluate(() => window.clearInterval((window as unknown as { __busy?: number }).__busy));
}

async function createScript(page: Page, name: string, tags: string[], code: string): Promise<string> {
  const response = await page.request.post('/api/scripts', {
    data: {
      name,
      inputs: tags.map((tag, index) => ({ tag, alias: `in${index + 1}` })),
      calcCode: code,
      outputs: [{ tag: `CALC.${name.toUpperCase()}`, variable: 'result' }],
    },
  });
  expect(response.status()).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

test('fast typing on a busy page reaches Monaco exactly as typed', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/scripts/new');
  await waitForCodeEditor(page, 'calc-editor');
  await page.getByTestId('script-name').fill('fast_typing_e2e');
  const picker = page.getByTestId('tag-picker-input');
  await picker.click();
  await picker.fill('FT-101');
  await page.locator('[data-testid="tag-option"][data-tag="FT-101.PV"]').click();
  await page.keyboard.press('Escape');
  await replaceCode(page, 'calc-editor', '');
  await expect.poll(() => modelText(page, 'calc.js')).toBe('');

  // Lines typed as a manager does, including a bracket that Monaco auto-closes.
  const text = ['let total = 0;', 'const factor = 1.5;', 'total = round(ft_101 * factor, 2);', 'const result = total + 1;'].join('\n');
  await page.getByTestId('calc-editor').locator('.view-lines').click();
  await makeBusy(page);
  for (const [index, char] of [...text].entries()) {
    if (char === '\n') await page.keyboard.press('Enter');
    else await page.keyboard.type(char);
    // 15–60 ms between keys, varied so the live validation lands between some of them.
    await page.waitForTimeout(15 + ((index * 37) % 46));
  }
  // Let the validation and every pending render run while still busy.
  await page.waitForTimeout(1500);
  await stopBusy(page);
  const typed = await modelText(page, 'calc.js');

  // Brackets Monaco auto-closes are typed over, and no line is indented: the model holds the text.
  expect(typed).toBe(text);
  // The form state follows the model: the output picker sees the variables typed.
  await expect(page.getByTestId('output-variable-select')).toContainText('total');
});
