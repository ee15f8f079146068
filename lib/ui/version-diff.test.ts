import { describe, expect, it } from 'vitest';
import type { ScriptDraft } from './api-types';
import { defaultComparison, definitionChanges } from './version-diff';

const v1: ScriptDraft = {
  name: 'boiler_efficiency',
  inputs: [
    { tag: 'plant/steam', alias: 'steam' },
    { tag: 'plant/fuel', alias: 'fuel' },
  ],
  calcCode: 'result = steam / fuel;',
  outputs: [{ tag: 'calc/eff', variable: 'result', deadband: 0.1 }],
};

describe('definitionChanges', () => {
  it('finds nothing when only the code differs', () => {
    expect(definitionChanges(v1, { ...v1, calcCode: 'result = 1;', trigger: { type: 'onChange' } })).toEqual([]);
  });

  it('lists inputs, outputs, trigger, description and tests changes', () => {
    const v2: ScriptDraft = {
      ...v1,
      description: 'Steam per fuel',
      inputs: [
        { tag: 'plant/steam', alias: 'steamFlow' },
        { tag: 'plant/air', alias: 'air' },
      ],
      outputs: [
        { tag: 'calc/eff', variable: 'result', unit: '%' },
        { tag: 'calc/air', variable: 'air' },
      ],
      trigger: { type: 'periodic', intervalMs: 5000 },
      tests: [{ name: 'nominal', steps: [{ inputs: {} }], expect: {} }],
    };
    expect(definitionChanges(v1, v2)).toEqual([
      { section: 'description', kind: 'changed', before: '', after: 'Steam per fuel' },
      { section: 'inputs', kind: 'changed', tag: 'plant/steam', before: 'steam', after: 'steamFlow' },
      { section: 'inputs', kind: 'removed', tag: 'plant/fuel', alias: 'fuel' },
      { section: 'inputs', kind: 'added', tag: 'plant/air', alias: 'air' },
      { section: 'outputs', kind: 'changed', tag: 'calc/eff', field: 'deadband', before: '0.1', after: '' },
      { section: 'outputs', kind: 'changed', tag: 'calc/eff', field: 'unit', before: '', after: '%' },
      { section: 'outputs', kind: 'added', tag: 'calc/air', variable: 'air' },
      { section: 'trigger', kind: 'changed', before: { type: 'onChange' }, after: { type: 'periodic', intervalMs: 5000 } },
      { section: 'tests', kind: 'added', name: 'nominal' },
    ]);
  });

  it('sees a changed test and a changed list of triggering inputs', () => {
    const a: ScriptDraft = { ...v1, trigger: { type: 'onChange', inputs: ['steam'] }, tests: [{ name: 't', steps: [{ inputs: { steam: 1 } }], expect: { 'calc/eff': 1 } }] };
    const b: ScriptDraft = { ...v1, trigger: { type: 'onChange', inputs: ['steam', 'fuel'] }, tests: [{ name: 't', steps: [{ inputs: { steam: 1 } }], expect: { 'calc/eff': 2 } }] };
    expect(definitionChanges(a, b).map((change) => `${change.section}:${change.kind}`)).toEqual(['trigger:changed', 'tests:changed']);
  });
});

describe('defaultComparison', () => {
  it('compares the newest with the one before', () => {
    expect(defaultComparison([{ version: 3 }, { version: 2 }, { version: 1 }])).toEqual({ from: 2, to: 3 });
    expect(defaultComparison([{ version: 1 }])).toEqual({ from: 1, to: 1 });
    expect(defaultComparison([])).toBeNull();
  });
});
