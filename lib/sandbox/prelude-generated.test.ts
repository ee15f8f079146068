import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations
import { GENERATED_FILE, generatedModule, guestSource } from '../../scripts/build-guest.mjs';

const root = path.resolve(__dirname, '../..');

describe('the generated guest prelude', () => {
  it('is up to date with lib/sandbox/guest/prelude.ts and lib/sandbox/wire.ts (run node scripts/build-guest.mjs)', () => {
    const current = readFileSync(path.join(root, GENERATED_FILE), 'utf8');
    expect(current === generatedModule(root), `${GENERATED_FILE} is out of date: run node scripts/build-guest.mjs`).toBe(true);
  });

  it('holds no wire constant by name: the guest reads them inlined', () => {
    const source: string = guestSource(root);
    expect(source).not.toMatch(/\b(Op|Kind|Layout|Out|Rec|Ran|Cur|QualityCode)\.[A-Z]/);
    expect(source.startsWith('(function () {')).toBe(true);
  });
});
