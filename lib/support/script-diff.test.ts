import { describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import { describeScriptChange } from './script-diff';

const base: ScriptDraft = {
  name: 'boiler_efficiency',
  inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
  calcCode: 'const eff = steam / 2;\nconst hot = eff > 3;',
  outputs: [{ tag: 'CALC.EFF', variable: 'eff' }],
} as ScriptDraft;

describe('describeScriptChange', () => {
  it('names the changed fields and gives a unified diff of changed code', () => {
    const after = { ...base, description: 'efficiency', calcCode: 'const eff = steam / 3;\nconst hot = eff > 3;' } as ScriptDraft;
    const details = describeScriptChange(base, after);
    expect(details.fields).toEqual(['calcCode', 'description']);
    expect(details.diff?.calcCode).toContain('@@ -1,2 +1,2 @@');
    expect(details.diff?.calcCode).toContain('-const eff = steam / 2;');
    expect(details.diff?.calcCode).toContain('+const eff = steam / 3;');
    expect(details.diff?.calcCode).toContain(' const hot = eff > 3;');
    expect(details.diff?.initCode).toBeUndefined();
  });

  it('has no diff when only other fields change', () => {
    const after = { ...base, outputs: [{ tag: 'CALC.EFF2', variable: 'eff' }] } as ScriptDraft;
    expect(describeScriptChange(base, after)).toEqual({ fields: ['outputs'] });
  });
});
