import { describe, expect, it } from 'vitest';
import { outputCandidates, topLevelVariables } from './code-variables';

describe('topLevelVariables', () => {
  it('lists top-level declarations, not nested ones', () => {
    const code = 'let a = 1, b = 2;\nconst { c, d: [e] } = x;\nfunction f() { const inner = 1; }\nif (a) { let nested = 2; }\nclass K {}';
    expect(topLevelVariables(code, 'calc').map((v) => `${v.kind} ${v.name}@${v.line}`)).toEqual([
      'let a@1',
      'let b@1',
      'const c@2',
      'const e@2',
      'function f@3',
      'class K@5',
    ]);
  });
  it('falls back to a line scan while the code does not parse', () => {
    const code = 'const eff = (steam * 2;\n  let inner = 1;\nlet total = 0';
    expect(topLevelVariables(code, 'calc').map((v) => v.name)).toEqual(['eff', 'total']);
  });
});

describe('outputCandidates', () => {
  it('gives calc variables first, then init ones, without functions or duplicates', () => {
    const init = 'let runs = 0;\nlet eff = null;\nfunction helper() {}';
    const calc = 'runs++;\nconst eff = 1;\nconst ratio = 2;';
    expect(outputCandidates(init, calc).map((v) => `${v.source}:${v.name}`)).toEqual(['calc:eff', 'calc:ratio', 'init:runs']);
  });
});
