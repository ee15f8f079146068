import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_TEMPLATES_EN, isDiagnosticCode, templatePlaceholders } from '../model/diagnostic-messages';
import type { RunnableDraft } from '../model/script-schema';
import { compileScript } from './compile-script';

const base: RunnableDraft = {
  name: 'codes',
  inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
  initCode: 'let runs = 0;\nconst limit = 5;',
  calcCode: 'runs++;\nconst eff = steam;',
  outputs: [{ tag: 'CALC.EFF', variable: 'eff' }],
};

/** Scripts that each produce at least one compiler diagnostic. */
const BAD: Array<Partial<RunnableDraft>> = [
  { calcCode: 'const eff = (steam;' },
  { calcCode: 'const eff = steam +' },
  { calcCode: 'return 1;' },
  { calcCode: 'import x from "fs";\nconst eff = 1;' },
  { calcCode: 'const eff = import("fs");' },
  { calcCode: 'const eff = import.meta;' },
  { calcCode: 'const f = async () => 1;\nconst eff = 1;' },
  { calcCode: 'const __ssX = 1;\nconst eff = 1;' },
  { calcCode: 'const eff = eval("1");' },
  { calcCode: 'const eff = 1;\n<!-- hidden' },
  { initCode: 'const x = steam;', calcCode: 'const eff = 1;' },
  { calcCode: 'limit = 3;\nconst eff = 1;' },
  { calcCode: 'totl = 1;\nconst eff = 1;' },
  { calcCode: 'zzzqqq = 1;\nconst eff = 1;' },
  { calcCode: 'const eff = stem;' },
  { calcCode: 'const eff = zzzqqq;' },
  { initCode: 'let steam = 1;' },
  { calcCode: 'const steam = 1;\nconst eff = 1;' },
  { calcCode: 'let runs = 1;\nconst eff = 1;' },
  { outputs: [{ tag: 'CALC.X', variable: 'nothing' }] },
  { outputs: [{ tag: 'CALC.X', variable: 'ef' }] },
  { outputs: [{ tag: 'CALC.X', variable: 'steam' }] },
  { calcCode: 'if (steam) { const inner = 1; }\nconst eff = 1;', outputs: [{ tag: 'CALC.X', variable: 'inner' }] },
];

describe('compiler diagnostics', () => {
  it('each carry a known code and the params their templates need, and no internal names', () => {
    const seen = new Set<string>();
    for (const change of BAD) {
      const { diagnostics } = compileScript({ ...base, ...change });
      expect(diagnostics.length, JSON.stringify(change)).toBeGreaterThan(0);
      for (const found of diagnostics) {
        expect(isDiagnosticCode(found.code), found.message).toBe(true);
        const needed = templatePlaceholders(DIAGNOSTIC_TEMPLATES_EN[found.code as keyof typeof DIAGNOSTIC_TEMPLATES_EN]).filter((name) => name !== 'at');
        for (const name of needed) expect(found.params, `${found.code} needs ${name}`).toHaveProperty(name);
        expect(found.message).not.toMatch(/\{\w+\}|calcCode|initCode|\?:\?/);
        seen.add(found.code!);
      }
    }
    expect(seen.size).toBeGreaterThanOrEqual(20);
  });
});
