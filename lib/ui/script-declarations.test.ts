import { describe, expect, it } from 'vitest';
import { scriptDeclarations, type DeclarationTexts } from './script-declarations';

const texts: DeclarationTexts = {
  inputDoc: (input) => `Input ${input.tag} */ sneaky`,
  helpers: { clamp: 'c', avg: 'a', sum: 's', round: 'r', isGood: 'g', ctx: 'x', now: 'n', input: 'i', previous: 'p', setQuality: 'q', console: 'l' },
};

describe('scriptDeclarations', () => {
  const text = scriptDeclarations(
    [
      { alias: 'steam', tag: 'FT-101.PV', sample: 12.5 },
      { alias: 'mode', tag: 'B-100.MODE', sample: 'AUTO' },
      { alias: 'running', tag: 'P-1.RUN', sample: true },
      { alias: 'fresh', tag: 'NEW' },
      { alias: 'bad-alias', tag: 'X' },
      { alias: 'steam', tag: 'dup' },
    ],
    ['eff', 'CALC.EFF', 'eff'],
    texts,
  );
  it('declares each valid alias once, typed from its live value', () => {
    expect(text).toContain('declare const steam: number;');
    expect(text).toContain('declare const mode: string;');
    expect(text).toContain('declare const running: boolean;');
    expect(text).toContain('declare const fresh: number | boolean | string | null;');
    expect(text).not.toContain('bad-alias');
    expect(text.match(/declare const steam/g)).toHaveLength(1);
  });
  it('types ctx.input with the aliases and ctx.previous with the outputs', () => {
    expect(text).toContain('type InputAlias = "steam" | "mode" | "running" | "fresh";');
    expect(text).toContain('type OutputName = "eff" | "CALC.EFF";');
    expect(text).toContain('declare const ctx: ScriptContext;');
  });
  it('declares the helpers', () => {
    for (const helper of ['clamp', 'avg', 'sum', 'round', 'isGood']) expect(text).toContain(`declare function ${helper}(`);
    expect(text).toContain('declare const console');
  });
  it('cannot be broken out of by a doc text', () => {
    expect(text).not.toContain('*/ sneaky');
  });
  it('uses never for an empty union', () => {
    expect(scriptDeclarations([], [], texts)).toContain('type InputAlias = never;');
  });
});
