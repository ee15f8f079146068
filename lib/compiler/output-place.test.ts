import { describe, expect, it } from 'vitest';
import type { RunnableDraft } from '../model/script-schema';
import { compileScript } from './compile-script';

/** Where an invalid output is reported: the line its variable was last assigned (scope analysis). */
const placesOf = (initCode: string, calcCode: string, variables: string[]) => {
  const draft: RunnableDraft = {
    name: 'places',
    inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
    initCode,
    calcCode,
    outputs: variables.map((variable, n) => ({ tag: `CALC.P${n}`, variable })),
  };
  const result = compileScript(draft);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return result.program!.outputPlaces;
};

describe('output places', () => {
  it('is the last assignment in the calculation, nested ones included', () => {
    const [eff] = placesOf('', 'let eff = 0;\nif (steam > 1) {\n  eff = steam / 2;\n}\nconst other = 1;', ['eff']);
    expect(eff).toEqual({ source: 'calc', line: 3, column: 3 });
  });

  it('is the declaration when the variable is declared with its value and never assigned again', () => {
    expect(placesOf('', 'const x = 1;\nconst eff = steam * 2;', ['eff'])).toEqual([{ source: 'calc', line: 2, column: 7 }]);
  });

  it('is the declaration of a variable that is never assigned (an undefined output still has a line)', () => {
    expect(placesOf('', 'const a = 1;\nlet eff;', ['eff'])).toEqual([{ source: 'calc', line: 2, column: 5 }]);
  });

  it('is the calculation line that updates a variable of the initialization, else the initialization', () => {
    const places = placesOf('let total = 0;\nlet fixed = 5;', 'const a = steam;\ntotal += a;', ['total', 'fixed']);
    expect(places).toEqual([
      { source: 'calc', line: 2, column: 1 },
      { source: 'init', line: 2, column: 5 },
    ]);
  });
});
