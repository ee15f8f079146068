import { describe, expect, it } from 'vitest';
import { aliasReferences, renameAliasInCode } from './rename-alias';

describe('renameAliasInCode', () => {
  it('renames the identifiers that read the alias, not strings, comments or properties', () => {
    const code = [
      '// steam in a comment',
      "const label = 'steam';",
      'const result = round(steam * 2, 1) + data.steam + { steam: 1 }.steam;',
      'const both = steam + steam;',
    ].join('\n');
    const renamed = renameAliasInCode(code, 'steam', 'vapour');
    expect(renamed).toMatchObject({ ok: true, count: 3 });
    expect(renamed.ok && renamed.code).toBe(
      [
        '// steam in a comment',
        "const label = 'steam';",
        'const result = round(vapour * 2, 1) + data.steam + { steam: 1 }.steam;',
        'const both = vapour + vapour;',
      ].join('\n'),
    );
  });

  it('leaves a local variable of the same name alone', () => {
    const code = 'function f(steam) { return steam; }\nconst result = f(steam);';
    const renamed = renameAliasInCode(code, 'steam', 'vapour');
    expect(renamed.ok && renamed.code).toBe('function f(steam) { return steam; }\nconst result = f(vapour);');
  });

  it('keeps the key of a shorthand property', () => {
    const renamed = renameAliasInCode('const o = { steam };', 'steam', 'vapour');
    expect(renamed.ok && renamed.code).toBe('const o = { steam: vapour };');
  });

  it('counts positions across lines and CRLF line ends', () => {
    const code = 'const a = 1;\r\nconst b = steam;\r\n\tconst c = steam;';
    expect(aliasReferences(code, 'steam')?.map((r) => code.slice(r.start, r.end))).toEqual(['steam', 'steam']);
    const renamed = renameAliasInCode(code, 'steam', 's');
    expect(renamed.ok && renamed.code).toBe('const a = 1;\r\nconst b = s;\r\n\tconst c = s;');
  });

  it('refuses a new name the code already uses', () => {
    expect(renameAliasInCode('const fuel = 2;\nconst result = steam / fuel;', 'steam', 'fuel')).toEqual({ ok: false, reason: 'conflict' });
    expect(renameAliasInCode('const result = steam + other;', 'steam', 'other')).toEqual({ ok: false, reason: 'conflict' });
  });

  it('says where the code does not parse', () => {
    expect(renameAliasInCode('const result = steam +;', 'steam', 'vapour')).toMatchObject({ ok: false, reason: 'syntax', line: 1 });
  });

  it('has nothing to do when the alias is not used', () => {
    expect(renameAliasInCode('const result = 1;', 'steam', 'fuel')).toMatchObject({ ok: true, count: 0, code: 'const result = 1;' });
  });
});
