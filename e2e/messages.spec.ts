import { expect, test, type APIRequestContext } from '@playwright/test';
import { screenshot, waitForCodeEditor } from './helpers';

/**
 * Messages a manager reads (issue 13, item 7): the Korean UI says diagnostics in Korean with a font
 * the app serves itself (this machine's Chromium has no Korean system font), an invalid output names
 * its output and line, and values are rounded with the exact value on hover.
 */

async function liveTag(request: APIRequestContext): Promise<string> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const answer = (await (await request.get('/api/tags?limit=50')).json()) as { tags: Array<{ tag: string; value: unknown; source: string }> };
    const tag = answer.tags.find((candidate) => candidate.source === 'raw' && typeof candidate.value === 'number');
    if (tag) return tag.tag;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the simulator produced no numeric tag');
}

async function createScript(request: APIRequestContext, name: string, tag: string, calcCode: string, variable: string): Promise<string> {
  const answer = await request.post('/api/scripts', {
    data: { name, inputs: [{ tag, alias: 'steam' }], calcCode, outputs: [{ tag: `E2E.${name.toUpperCase()}`, variable }] },
  });
  expect(answer.status(), await answer.text()).toBe(201);
  return ((await answer.json()) as { id: string }).id;
}

test('Korean UI: translated diagnostic in the served font, invalid output with its line, rounded values', async ({ page, context, request, baseURL }) => {
  const tag = await liveTag(request);
  await context.addCookies([{ name: 'ss-locale', value: 'ko', url: baseURL! }]);

  await test.step('a diagnostic is said in Korean, rendered with the served Noto Sans KR', async () => {
    const id = await createScript(request, 'msg_unknown', tag, 'const eff = stem * 2;', 'eff');
    await page.goto(`/scripts/${id}`);
    await waitForCodeEditor(page, 'calc-editor');
    const message = page.getByTestId('problems').locator('.problem-message').first();
    await expect(message).toHaveText("'stem'이(가) 정의되지 않았습니다 — 'steam'을(를) 뜻했나요?");
    await expect(message).toHaveAttribute('data-code', 'unknown-identifier-suggest');
    await expect(page.getByTestId('problems')).toContainText('계산 코드, 1행 13열');

    const family = await message.evaluate((element) => getComputedStyle(element).fontFamily);
    expect(family).toContain('Noto Sans KR');
    await page.evaluate(() => document.fonts.ready);
    const font = await page.evaluate(async () => {
      await document.fonts.load('16px "Noto Sans KR"', '정의되지 않았습니다');
      const faces = [...document.fonts].filter((face) => face.family.replace(/"/g, '') === 'Noto Sans KR');
      return { faces: faces.length, loaded: faces.filter((face) => face.status === 'loaded').length, check: document.fonts.check('16px "Noto Sans KR"', '정의') };
    });
    expect(font.faces).toBeGreaterThan(0);
    expect(font.loaded, 'a slice of the served Korean font was downloaded and used').toBeGreaterThan(0);
    expect(font.check).toBe(true);
    // Every slice the page needs (bold ones too) has arrived: the screenshot shows no empty boxes.
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    await screenshot(page, 'messages-korean-diagnostic');
  });

  await test.step('an invalid output names its output and the line its variable was last assigned', async () => {
    const id = await createScript(request, 'msg_nan', tag, 'let ratio = steam;\nconst other = 1;\nratio = 0 / 0;', 'ratio');
    await page.goto(`/scripts/${id}`);
    await waitForCodeEditor(page, 'calc-editor');
    await page.getByTestId('calculate').click();
    const error = page.getByTestId('run-error');
    await expect(error).toHaveAttribute('data-code', 'output-not-finite');
    await expect(error).toContainText('E2E.MSG_NAN');
    await expect(error).toContainText("'ratio'");
    await expect(error).toContainText('계산 코드 3행 1열');
    await expect(error).not.toContainText('?');
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    await screenshot(page, 'messages-invalid-output');
  });

  await test.step('a value like 79.77000000000001 is shown rounded, the exact value on hover', async () => {
    const id = await createScript(request, 'msg_round', tag, 'const v = steam * 0 + 79.77000000000001;', 'v');
    await page.goto(`/scripts/${id}`);
    await waitForCodeEditor(page, 'calc-editor');
    await page.getByTestId('calculate').click();
    const value = page.getByTestId('calc-outputs').getByTestId('output-value');
    await expect(value).toHaveText('79.77');
    await expect(value).toHaveAttribute('title', '79.77000000000001');
    await screenshot(page, 'messages-rounded-value');
  });

  await test.step('completion lists the alias and the helpers before JavaScript built-ins', async () => {
    const editor = page.getByTestId('calc-editor');
    await editor.locator('.view-lines').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('s');
    await page.keyboard.press('Control+Space');
    const rows = page.locator('.suggest-widget .monaco-list-row');
    await expect(rows.first()).toBeVisible();
    await expect.poll(async () => (await rows.allInnerTexts()).length).toBeGreaterThan(3);
    const labels = (await rows.allInnerTexts()).map((text) => text.split('\n')[0].trim());
    expect(labels[0]).toBe('steam');
    expect(labels.indexOf('sum')).toBeGreaterThan(0);
    const firstBuiltIn = labels.findIndex((label) => ['String', 'switch', 'Set', 'Symbol', 'static', 'super'].includes(label));
    if (firstBuiltIn !== -1) expect(labels.indexOf('sum')).toBeLessThan(firstBuiltIn);
    await screenshot(page, 'messages-completion');
    await page.keyboard.press('Escape');
  });
});
