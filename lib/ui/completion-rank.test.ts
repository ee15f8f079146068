import { describe, expect, it } from 'vitest';
import { completionSortText, declaredAliases, rankCompletions } from './completion-rank';
import { scriptDeclarations } from './script-declarations';

const texts = {
  inputDoc: () => 'live value',
  helpers: { clamp: '', avg: '', sum: '', round: '', isGood: '', ctx: '', now: '', input: '', previous: '', setQuality: '', console: '' },
};

describe('completion ranking', () => {
  // What the JavaScript service offers at the start of a statement, with its own sortText.
  const offered = [
    { name: 'String', sortText: '15' },
    { name: 'switch', sortText: '15' },
    { name: 'Math', sortText: '15' },
    { name: 'sum', sortText: '15' },
    { name: 'steam', sortText: '15' },
    { name: 'ctx', sortText: '15' },
    { name: 'round', sortText: '15' },
    { name: 'total', sortText: '11' },
    { name: 'fuel', sortText: '15' },
    { name: 'isGood', sortText: '15' },
  ];

  it('puts aliases, then ctx and the helpers, then the script variables above JavaScript built-ins', () => {
    const aliases = declaredAliases(scriptDeclarations([{ alias: 'steam', tag: 'FT-101.PV', sample: 1 }, { alias: 'fuel', tag: 'FT-102.PV' }], ['CALC.X'], texts));
    expect([...aliases].sort()).toEqual(['fuel', 'steam']);
    expect(rankCompletions(offered, aliases).map((entry) => entry.name)).toEqual([
      'fuel', 'steam', 'ctx', 'isGood', 'round', 'sum', 'total', 'Math', 'String', 'switch',
    ]);
  });

  it('keeps the service order for members (Math.round is not the helper)', () => {
    const members = [{ name: 'abs', sortText: '11' }, { name: 'round', sortText: '11' }];
    expect(completionSortText(members[1], new Set(), true)).toBe(completionSortText(members[0], new Set(), true));
    expect(rankCompletions(members, new Set(['round']), true).map((entry) => entry.name)).toEqual(['abs', 'round']);
  });
});
