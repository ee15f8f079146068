import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { newSetupCode, setupCodeFileIn, setupCodeMatches } from './setup-code';

describe('one-time setup code', () => {
  const folders: string[] = [];
  afterEach(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));

  it('is typeable: four groups of four characters without look-alikes', () => {
    const code = newSetupCode();
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}(-[A-HJKMNP-Z2-9]{4}){3}$/);
    expect(newSetupCode()).not.toBe(code);
  });

  it('matches ignoring case, spaces and dashes, and nothing else', () => {
    expect(setupCodeMatches('abcd efgh-jkmn-pqrs', 'ABCD-EFGH-JKMN-PQRS')).toBe(true);
    expect(setupCodeMatches('ABCD-EFGH-JKMN-PQRT', 'ABCD-EFGH-JKMN-PQRS')).toBe(false);
    expect(setupCodeMatches('', 'ABCD-EFGH-JKMN-PQRS')).toBe(false);
  });

  it('lives in DATA_DIR/setup-code, readable by the owner only, until removed', async () => {
    const dataDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'setup-code-')), 'data');
    folders.push(path.dirname(dataDir));
    const file = setupCodeFileIn(dataDir);
    expect(file.location).toBe(path.join(dataDir, 'setup-code'));
    expect(await file.read()).toBeNull();
    await file.write('ABCD-EFGH-JKMN-PQRS');
    expect(await file.read()).toBe('ABCD-EFGH-JKMN-PQRS');
    if (process.platform !== 'win32') expect(statSync(file.location).mode & 0o777).toBe(0o600);
    await file.remove();
    expect(await file.read()).toBeNull();
    await file.remove();
  });
});
