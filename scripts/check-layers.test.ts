import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkLayers, findCycles, findModelViolations, formatCycles, formatModelViolations, importSpecifiers, MODEL_RULE } from './check-layers.mjs';

const fixtures: string[] = [];

/** A small project tree in a temporary folder: { 'lib/a.ts': 'source', … }. */
function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'check-layers-'));
  fixtures.push(root);
  for (const [file, source] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), source);
  }
  return root;
}

afterEach(() => {
  for (const root of fixtures.splice(0)) rmSync(root, { recursive: true, force: true });
});

const CLEAN = {
  'tsconfig.json': JSON.stringify({ compilerOptions: { moduleResolution: 'bundler', module: 'esnext', paths: { '@/*': ['./*'] } } }),
  'lib/model/tag.ts': "import { z } from 'zod';\nimport { readFileSync } from 'node:fs';\nexport const Tag = z.string();\nexport const read = readFileSync;\n",
  'lib/model/script.ts': "import type { Tag } from './tag';\nexport * from './tag';\nexport type Script = { tag: typeof Tag };\n",
  'lib/engine/x.ts': "import { Tag } from '../model/tag';\nexport const x = Tag;\n",
  'lib/engine/y.ts': "import { x } from './x';\nimport { Tag } from '@/lib/model/tag';\nexport const y = [x, Tag];\n",
  'server.ts': "import { y } from './lib/engine/y';\nconsole.log(y);\n",
};

describe('check-layers', () => {
  it('passes a clean tree: no cycle, lib/model importing only itself, node: builtins and npm packages', async () => {
    const result = await checkLayers(fixture(CLEAN));
    expect(result).toMatchObject({ ok: true, cycles: [], violations: [] });
  });

  it('reports a cycle a → b → a, also through import type', async () => {
    const root = fixture({
      ...CLEAN,
      'lib/engine/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'lib/engine/b.ts': "import type { A } from './c';\nimport { a } from './a';\nexport const b = a;\nexport type B = A;\n",
      'lib/engine/c.ts': "import type { B } from './b';\nexport type A = B | number;\n",
    });
    const { cycles } = await findCycles(root);
    expect(cycles).toHaveLength(2);
    expect(cycles).toContainEqual(['lib/engine/a.ts', 'lib/engine/b.ts']);
    expect(cycles).toContainEqual(['lib/engine/b.ts', 'lib/engine/c.ts']);
    const result = await checkLayers(root);
    expect(result.ok).toBe(false);
    expect(formatCycles(result.cycles)).toContain('lib/engine/a.ts → lib/engine/b.ts → lib/engine/a.ts');
  });

  it('finds cycles in .tsx files and through the @/ alias', async () => {
    const root = fixture({
      'tsconfig.json': JSON.stringify({ compilerOptions: { jsx: 'react-jsx', moduleResolution: 'bundler', module: 'esnext', paths: { '@/*': ['./*'] } } }),
      'components/panel.tsx': "import { title } from '@/app/page';\nexport const Panel = () => <h1>{title}</h1>;\n",
      'app/page.tsx': "import { Panel } from '../components/panel';\nexport const title = 'x';\nexport default function Page() { return <Panel />; }\n",
    });
    expect((await findCycles(root)).cycles).toEqual([['app/page.tsx', 'components/panel.tsx']]);
  });

  it('reports a lib/model file importing ../engine/x, with the file, the line and the rule', async () => {
    const root = fixture({
      ...CLEAN,
      'lib/model/bad.ts': "import { z } from 'zod';\nimport { x } from '../engine/x';\nexport const bad = [z, x];\n",
    });
    const violations = findModelViolations(root);
    expect(violations).toEqual([{ file: 'lib/model/bad.ts', line: 2, specifier: '../engine/x', target: 'lib/engine/x' }]);
    const text = formatModelViolations(violations);
    expect(text).toContain("lib/model/bad.ts:2 imports '../engine/x' (lib/engine/x)");
    expect(text).toContain(MODEL_RULE);
    expect((await checkLayers(root)).ok).toBe(false);
  });

  it('catches every way out of lib/model: import type, export from, @/ alias, dynamic import, nested folders', () => {
    const root = fixture({
      'lib/model/inner/deep.ts': [
        "import type { Config } from '../../config/config';",
        "export { log } from '@/lib/support/logger';",
        "export type { Port } from '../../ports/port';",
        "const lazy = () => import('../../engine/engine');",
        "type Engine = typeof import('../../engine/engine');",
        "import { ok } from '../tag';",
        "import { alsoOk } from '@/lib/model/tag';",
        'export { lazy, ok, alsoOk };',
        'export type { Config, Engine };',
      ].join('\n'),
    });
    expect(findModelViolations(root).map((v) => [v.line, v.target])).toEqual([
      [1, 'lib/config/config'],
      [2, 'lib/support/logger'],
      [3, 'lib/ports/port'],
      [4, 'lib/engine/engine'],
      [5, 'lib/engine/engine'],
    ]);
  });

  it('as a command (the step of npm test): exit 1 with what is wrong and how to fix it, 0 on a clean tree', () => {
    const run = (root: string) => spawnSync(process.execPath, [path.join(__dirname, 'check-layers.mjs'), '--root', root], { encoding: 'utf8' });
    const bad = run(
      fixture({
        ...CLEAN,
        'lib/engine/a.ts': "import { b } from './b';\nexport const a = 1;\n",
        'lib/engine/b.ts': "import { a } from './a';\nexport const b = a;\n",
        'lib/model/bad.ts': "import { x } from '../engine/x';\nexport const bad = x;\n",
      }),
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('1 import cycle:');
    expect(bad.stderr).toContain('lib/engine/a.ts → lib/engine/b.ts → lib/engine/a.ts');
    expect(bad.stderr).toContain("lib/model/bad.ts:1 imports '../engine/x' (lib/engine/x)");
    expect(bad.stderr).toContain(`Rule: ${MODEL_RULE}`);
    expect(bad.stderr).toContain('Fix:');
    const good = run(fixture(CLEAN));
    expect(good.stderr).toBe('');
    expect(good.status).toBe(0);
  });

  it('reads every import and export-from specifier of a source', () => {
    const source = [
      "import a from 'a';",
      "import type { B } from 'b';",
      "import 'c';",
      "export * from 'd';",
      "export { e } from 'e';",
      "import f = require('f');",
      "const g = await import('g');",
      "// import nope from 'comment';",
      "const text = \"import nope from 'string'\";",
    ].join('\n');
    expect(importSpecifiers(source).map((found) => found.specifier)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

});
