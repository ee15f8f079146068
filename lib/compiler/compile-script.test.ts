import { describe, expect, it } from 'vitest';
import { RunnableDraftSchema, formatIssues, type RunnableDraft } from '../model/script-schema';
import { compileScript } from './compile-script';

const base: RunnableDraft = {
  name: 'boiler_efficiency',
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel : null;',
  outputs: [
    { tag: 'CALC.BOILER_EFF', variable: 'eff' },
    { tag: 'CALC.BOILER_RUNS', variable: 'runs' },
  ],
};

const compile = (change: Partial<RunnableDraft>) => compileScript({ ...base, ...change });
const errors = (change: Partial<RunnableDraft>) => compile(change).diagnostics.filter((diagnostic) => diagnostic.severity === 'error');

describe('compileScript', () => {
  it('compiles the example of scripts.md without diagnostics', () => {
    const result = compile({});
    expect(result.diagnostics).toEqual([]);
    expect(result.program?.staticVariables).toEqual(['runs']);
    expect(result.program?.aliases).toEqual(['steam', 'fuel']);
  });

  it('reports a syntax error with the token, line and column of the calculation', () => {
    expect(errors({ calcCode: 'runs++;\nconst x = 1;\nconst eff = (steam + fuel));' })).toEqual([
      {
        severity: 'error',
        source: 'calc',
        kind: 'syntax',
        line: 3,
        column: 27,
        message: "Unexpected token ')' at line 3, column 27 of the calculation",
        code: 'unexpected-token',
        params: { token: ')' },
      },
    ]);
  });

  it('reports a syntax error in initCode as init', () => {
    expect(errors({ initCode: 'let runs = 0;\nlet = ;' })[0]).toMatchObject({ source: 'init', kind: 'syntax', line: 2 });
  });

  it('reports an unknown identifier with a suggestion', () => {
    expect(errors({ calcCode: 'runs++;\nconst eff = stem / fuel;' })).toEqual([
      {
        severity: 'error',
        source: 'calc',
        kind: 'reference',
        line: 2,
        column: 13,
        message: "'stem' is not defined — did you mean 'steam'?",
        code: 'unknown-identifier-suggest',
        params: { name: 'stem', suggestion: 'steam' },
      },
    ]);
  });

  it('suggests helpers and init variables too, and says nothing when nothing is close', () => {
    expect(errors({ calcCode: 'runs++;\nconst eff = clmp(steam, 0, 1);' })[0].message).toBe("'clmp' is not defined — did you mean 'clamp'?");
    expect(errors({ calcCode: 'rusn++;\nconst eff = 1;' })[0].message).toContain("did you mean 'runs'?");
    expect(errors({ calcCode: 'runs++;\nconst eff = zzzqqq;' })[0].message).toBe("'zzzqqq' is not defined");
  });

  it('reports an assignment to an undeclared name', () => {
    expect(errors({ calcCode: 'runs++;\ntotal = 1;\nconst eff = 1;' })[0]).toMatchObject({
      kind: 'reference',
      line: 2,
      column: 1,
      message: "'total' is assigned but never declared — declare it with let",
      code: 'undeclared-assignment',
    });
  });

  it('reports an input read in initCode', () => {
    expect(errors({ initCode: 'let runs = steam;' })[0]).toMatchObject({ source: 'init', line: 1, column: 12, kind: 'reference' });
  });

  it('reports an output variable that calcCode never defines', () => {
    expect(errors({ outputs: [{ tag: 'CALC.BOILER_EFF', variable: 'efficiency' }] })).toEqual([
      {
        severity: 'error',
        source: 'definition',
        kind: 'output',
        message: "output CALC.BOILER_EFF reads variable 'efficiency', which the calculation never defines",
        code: 'output-missing',
        params: { output: 'CALC.BOILER_EFF', variable: 'efficiency' },
      },
    ]);
    expect(errors({ outputs: [{ tag: 'CALC.X', variable: 'ef' }] })[0].message).toContain("did you mean 'eff'?");
  });

  it('says when an output variable is declared inside a block', () => {
    const message = errors({ calcCode: 'runs++;\nif (fuel > 0) {\n  const eff = steam / fuel;\n}' })[0].message;
    expect(message).toContain('declared inside a block or function at line 3 of the calculation');
  });

  it('says when an output variable is an input alias', () => {
    expect(errors({ outputs: [{ tag: 'CALC.X', variable: 'steam' }] })[0].message).toContain("variable 'steam', which is an input alias");
  });

  it('warns when calcCode declares an initCode variable again', () => {
    const result = compile({ calcCode: 'let runs = 1;\nconst eff = 1;' });
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', line: 1, message: expect.stringContaining('hiding the variable of the initialization') })]);
    expect(result.program).not.toBeNull();
  });

  it('refuses assigning an initCode const from calcCode', () => {
    expect(errors({ initCode: 'const runs = 0;' })[0]).toMatchObject({ line: 1, column: 1, message: expect.stringContaining("'runs' is a const of the initialization") });
  });

  it('refuses code generation, imports, async code and reserved internal names', () => {
    expect(errors({ calcCode: 'const eff = eval("1");\nruns++;' })[0]).toMatchObject({ line: 1, message: expect.stringContaining('eval()') });
    expect(errors({ calcCode: 'const eff = new Function("return 1")();\nruns++;' })[0].message).toContain('Function()');
    expect(errors({ calcCode: 'import x from "fs";\nconst eff = 1;\nruns++;' })[0].message).toContain('import/export');
    expect(errors({ calcCode: 'const eff = import("fs");\nruns++;' })[0].message).toContain('import()');
    expect(errors({ calcCode: 'const f = async () => 1;\nconst eff = 1;\nruns++;' })[0].message).toContain('async function');
    expect(errors({ calcCode: 'const __ssOut = 1;\nconst eff = 1;\nruns++;' })[0].message).toContain('reserved for Script Server');
  });

  it("rejects top-level return with a hint", () => {
    expect(errors({ calcCode: 'runs++;\nreturn 1;\nconst eff = 1;' })[0]).toMatchObject({ kind: 'syntax', line: 2, message: expect.stringContaining('assign the result to an output variable') });
  });

  it('rewrites isGood(alias) to the input name without moving lines', () => {
    const result = compile({ calcCode: 'runs++;\nconst eff = isGood(steam) ? steam : null;' });
    expect(result.diagnostics).toEqual([]);
    const lines = result.program!.source.split('\n');
    expect(lines[result.program!.calcLine]).toContain('isGood("steam")');
  });
});

describe('script definition rules', () => {
  const parse = (change: Partial<RunnableDraft> | Record<string, unknown>) => RunnableDraftSchema.safeParse({ ...base, ...change });
  const messageOf = (change: Partial<RunnableDraft> | Record<string, unknown>) => {
    const result = parse(change);
    return result.success ? null : formatIssues(result.error);
  };

  it('accepts the example and Unicode aliases', () => {
    expect(parse({}).success).toBe(true);
    expect(parse({ inputs: [{ tag: '증기 유량/FT-1', alias: '증기' }], calcCode: 'const eff = 증기;\nlet runs;' }).success).toBe(true);
  });

  it('rejects invalid, reserved, helper and duplicate aliases', () => {
    expect(messageOf({ inputs: [{ tag: 'A', alias: '1abc' }] })).toContain("inputs[0].alias: '1abc' is not a valid JavaScript name");
    expect(messageOf({ inputs: [{ tag: 'A', alias: 'class' }] })).toBe("inputs[0].alias: 'class' is a reserved word");
    expect(messageOf({ inputs: [{ tag: 'A', alias: 'clamp' }] })).toBe("inputs[0].alias: 'clamp' is the name of a helper");
    expect(messageOf({ inputs: [{ tag: 'A', alias: 'Math' }] })).toContain('would hide the built-in Math');
    expect(messageOf({ inputs: [{ tag: 'A', alias: 'x' }, { tag: 'B', alias: 'x' }] })).toBe("inputs[1].alias: alias 'x' is already used by input 1");
  });

  it('rejects bad names, tags, duplicate output tags, outputs that are inputs and bad triggers', () => {
    expect(messageOf({ name: 'has space' })).toContain('name must be 1–100 characters');
    expect(messageOf({ inputs: [{ tag: '', alias: 'a' }] })).toContain('tag must not be empty');
    expect(messageOf({ inputs: [{ tag: 'A\nB', alias: 'a' }] })).toContain('control characters');
    expect(messageOf({ outputs: [{ tag: 'X', variable: 'eff' }, { tag: 'X', variable: 'runs' }] })).toContain("outputs[1].tag: output tag 'X' is already produced by output 1");
    expect(messageOf({ outputs: [{ tag: 'FT-101.PV', variable: 'eff' }] })).toContain('is also an input of this script');
    expect(messageOf({ outputs: [] })).toContain('at least one output');
    expect(messageOf({ trigger: { type: 'periodic', intervalMs: 50 } })).toContain('trigger.intervalMs');
    expect(messageOf({ trigger: { type: 'onChange', inputs: ['nope'] } })).toContain("trigger input 'nope' is not an alias");
    expect(messageOf({ calcCode: 'x'.repeat(65 * 1024) })).toContain('larger than 64 KB');
    expect(messageOf({ outputs: [{ tag: 'X', variable: 'eff', deadband: -1 }] })).toContain('outputs[0].deadband');
  });
});

describe('code that would read differently in the sandbox', () => {
  it('refuses HTML-like comments, which a classic script (the sandbox) treats as comments', () => {
    const hidden = errors({ calcCode: "runs++;\nlet x = 1, y = 2;\nx = x <!--y + `\nsecret();\n`;\nconst eff = x;" });
    expect(hidden[0]).toMatchObject({ kind: 'syntax', line: 3, column: 7, message: expect.stringContaining('HTML-style comment') });
    expect(errors({ calcCode: 'runs++;\n  --> hidden\nconst eff = 1;' })[0]).toMatchObject({ kind: 'syntax', line: 2 });
    // x --> 0 in the middle of a line is an ordinary expression
    expect(errors({ calcCode: 'runs++;\nlet n = 3;\nwhile (n --> 0) {}\nconst eff = n;' })).toEqual([]);
  });
});
