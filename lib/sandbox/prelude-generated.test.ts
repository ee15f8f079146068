import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('refuses a guest that imports anything but the wire format', () => {
    const base = mkdtempSync(path.join(tmpdir(), 'guest-'));
    try {
      mkdirSync(path.join(base, 'lib/sandbox/guest'), { recursive: true });
      mkdirSync(path.join(base, 'lib/model'), { recursive: true });
      writeFileSync(path.join(base, 'lib/sandbox/wire.ts'), 'export const enum Op { Run = 2 }\n');
      writeFileSync(path.join(base, 'lib/model/host.ts'), 'export const secret = 1;\n');
      writeFileSync(
        path.join(base, 'lib/sandbox/guest/prelude.ts'),
        "import { Op } from '../wire';\nimport { secret } from '../../model/host';\nexport default { run: () => Op.Run + secret };\n",
      );
      expect(() => guestSource(base)).toThrow(/may import only lib\/sandbox\/wire\.ts; it brings in lib\/model\/host\.ts/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
