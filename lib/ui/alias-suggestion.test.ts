import { describe, expect, it } from 'vitest';
import { aliasProblem, suggestAlias } from './alias-suggestion';

describe('suggestAlias', () => {
  it('makes a readable name from a plant tag name', () => {
    expect(suggestAlias('FT-101.PV')).toBe('ft_101');
    expect(suggestAlias('B-100.MODE')).toBe('b_100_mode');
    expect(suggestAlias('CALC.BOILER_EFF')).toBe('boiler_eff');
    expect(suggestAlias('Area 1/Tank level')).toBe('area_1_tank_level');
  });
  it('never starts with a digit', () => {
    expect(suggestAlias('101-FT.PV')).toBe('tag_101_ft');
  });
  it('avoids aliases already used', () => {
    expect(suggestAlias('FT-101.PV', ['ft_101'])).toBe('ft_101_2');
    expect(suggestAlias('FT-101.PV', ['ft_101', 'ft_101_2'])).toBe('ft_101_3');
  });
  it('avoids reserved words and helper names', () => {
    expect(suggestAlias('class')).toBe('class_value');
    expect(suggestAlias('round')).toBe('round_value');
    expect(suggestAlias('Math')).toBe('math');
  });
  it('falls back to "input" for names without letters or digits', () => {
    expect(suggestAlias('---')).toBe('input');
  });
  it('keeps Korean letters', () => {
    expect(suggestAlias('보일러.효율')).toBe('보일러_효율');
  });
  it('always suggests a valid alias', () => {
    for (const tag of ['PV', 'a.b.c.d', '1', 'x/y z', 'await', 'TT-102.PV', '__ss.x']) {
      expect(aliasProblem(suggestAlias(tag))).toBeNull();
    }
  });
});

describe('aliasProblem', () => {
  it('names what is wrong', () => {
    expect(aliasProblem('')).toEqual({ code: 'empty' });
    expect(aliasProblem('1x')).toEqual({ code: 'invalid' });
    expect(aliasProblem('a-b')).toEqual({ code: 'invalid' });
    expect(aliasProblem('class')).toEqual({ code: 'reserved' });
    expect(aliasProblem('clamp')).toEqual({ code: 'helper' });
    expect(aliasProblem('Math')).toEqual({ code: 'builtin' });
    expect(aliasProblem('__ssx')).toEqual({ code: 'internal' });
    expect(aliasProblem('steam', ['fuel', 'steam'])).toEqual({ code: 'duplicate' });
    expect(aliasProblem('steam', ['fuel'])).toBeNull();
  });
});
