import { describe, expect, it } from 'vitest';
import type { ScriptDraft } from './api-types';
import {
  addInput,
  draftFingerprint,
  duplicateDraft,
  emptyForm,
  exampleCalcCode,
  formFromScript,
  formProblems,
  formToDraft,
  isDirty,
  parseDecimal,
  removeInput,
  renameAlias,
  renameScript,
  runBlockingProblems,
  suggestOutputTag,
  type ExampleTexts,
} from './script-form';

const texts: ExampleTexts = {
  initIntro: 'init',
  initExample: 'example',
  calcIntro: 'calc',
  calcInputs: 'inputs: {aliases}',
  calcNoInputs: 'no inputs',
  calcHelpers: 'helpers',
  calcOutputs: 'outputs',
};
const korean: ExampleTexts = { ...texts, calcIntro: '계산' };

function keys() {
  let n = 0;
  return () => `k${++n}`;
}

const boiler: ScriptDraft = {
  name: 'boiler_efficiency',
  description: 'Steam per fuel',
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel : null;',
  outputs: [
    { tag: 'CALC.BOILER_EFF', variable: 'eff', deadband: 0.0001 },
    { tag: 'CALC.BOILER_RUNS', variable: 'runs' },
  ],
  trigger: { type: 'onChange', inputs: ['steam'] },
};

describe('a new script', () => {
  it('starts from an example that computes something', () => {
    const form = emptyForm(texts, keys());
    expect(form.calcCode).toContain('const result = null;');
    expect(form.outputs).toEqual([{ key: 'k1', tag: '', variable: 'result', deadband: '' }]);
    expect(form.trigger.mode).toBe('all');
  });
  it('rewrites the untouched example as inputs are picked, in the current language', () => {
    const key = keys();
    let form = emptyForm(texts, key);
    form = addInput(form, 'FT-101.PV', key, [texts, korean], texts);
    expect(form.inputs).toEqual([{ key: 'k2', tag: 'FT-101.PV', alias: 'ft_101' }]);
    expect(form.calcCode).toBe(exampleCalcCode(['ft_101'], texts));
    expect(form.calcCode).toContain('const result = round(ft_101, 2);');
    form = addInput(form, 'FT-102.PV', key, [texts, korean], korean);
    expect(form.calcCode).toContain('const result = round(avg(ft_101, ft_102), 2);');
    expect(form.calcCode).toContain('// 계산');
    form = renameAlias(form, 'k2', 'steam', [texts, korean], texts);
    expect(form.calcCode).toContain('avg(steam, ft_102)');
    form = removeInput(form, 'k3', [texts, korean], texts);
    expect(form.calcCode).toContain('const result = round(steam, 2);');
  });
  it('leaves code the user wrote alone', () => {
    const key = keys();
    const form = { ...emptyForm(texts, key), calcCode: 'const x = 1;' };
    expect(addInput(form, 'A', key, [texts], texts).calcCode).toBe('const x = 1;');
  });
  it('suggests the output tag from the name until the user changes it', () => {
    let form = emptyForm(texts, keys());
    form = renameScript(form, 'boiler eff');
    expect(form.outputs[0].tag).toBe('CALC.BOILER_EFF');
    form = renameScript(form, 'boiler_eff2');
    expect(form.outputs[0].tag).toBe('CALC.BOILER_EFF2');
    form = { ...form, outputs: [{ ...form.outputs[0], tag: 'MY.TAG' }] };
    expect(renameScript(form, 'other').outputs[0].tag).toBe('MY.TAG');
    expect(suggestOutputTag('')).toBe('');
  });
});

describe('form ↔ draft', () => {
  it('round-trips a script', () => {
    const form = formFromScript(boiler, keys());
    expect(form.outputs[0].deadband).toBe('0.0001');
    expect(form.trigger).toEqual({ mode: 'selected', selected: ['steam'], intervalSeconds: '1' });
    expect(draftFingerprint(formToDraft(form))).toBe(draftFingerprint(boiler));
    expect(isDirty(form, boiler)).toBe(false);
    expect(isDirty({ ...form, calcCode: `${form.calcCode} ` }, boiler)).toBe(true);
    expect(isDirty(form, null)).toBe(true);
  });
  it('keeps an output’s description and unit, trimmed, and leaves empty ones out', () => {
    const described = { ...boiler, outputs: [{ ...boiler.outputs[0], description: 'Steam per fuel', unit: 't/t' }] };
    const form = formFromScript(described, keys());
    expect(form.outputs[0]).toMatchObject({ description: 'Steam per fuel', unit: 't/t' });
    expect(isDirty(form, described)).toBe(false);
    expect(isDirty(form, boiler)).toBe(true);
    const edited = { ...form, outputs: [{ ...form.outputs[0], description: '  ', unit: ' % ' }] };
    expect(formToDraft(edited).outputs[0]).toEqual({ tag: boiler.outputs[0].tag, variable: boiler.outputs[0].variable, deadband: 0.0001, unit: '%' });
  });
  it('keeps the regression tests: saved with the draft, and a change to them is unsaved work', () => {
    const tests = [{ name: 'nominal', steps: [{ inputs: { steam: 10 } }], expect: { 'CALC.BOILER_EFF': 0.9 } }];
    const withTests = { ...boiler, tests };
    const form = formFromScript(withTests, keys());
    expect(formToDraft(form).tests).toEqual(tests);
    expect(isDirty(form, withTests)).toBe(false);
    expect(isDirty(form, boiler)).toBe(true);
    expect(formToDraft({ ...form, tests: [] })).not.toHaveProperty('tests');
  });
  it('converts the trigger', () => {
    const form = formFromScript(boiler, keys());
    expect(formToDraft({ ...form, trigger: { mode: 'periodic', selected: [], intervalSeconds: '2,5' } }).trigger).toEqual({ type: 'periodic', intervalMs: 2500 });
    expect(formToDraft({ ...form, trigger: { mode: 'all', selected: ['steam'], intervalSeconds: '1' } }).trigger).toEqual({ type: 'onChange' });
    expect(formFromScript({ ...boiler, trigger: { type: 'periodic', intervalMs: 500 } }, keys()).trigger).toMatchObject({ mode: 'periodic', intervalSeconds: '0.5' });
  });
  it('omits an empty description and deadband', () => {
    const form = formFromScript({ ...boiler, description: undefined }, keys());
    form.outputs[0].deadband = '';
    const draft = formToDraft(form);
    expect(draft).not.toHaveProperty('description');
    expect(draft.outputs[0]).toEqual({ tag: 'CALC.BOILER_EFF', variable: 'eff' });
  });
  it('parses decimals with a comma or a dot', () => {
    expect(parseDecimal('0,5')).toBe(0.5);
    expect(parseDecimal(' 2 ')).toBe(2);
    expect(parseDecimal('1e-3')).toBe(0.001);
    expect(parseDecimal('abc')).toBeNull();
    expect(parseDecimal('')).toBeNull();
  });
});

describe('formProblems', () => {
  it('finds nothing wrong with a good script', () => {
    expect(formProblems(formFromScript(boiler, keys()))).toEqual([]);
  });
  it('names each problem and where it is', () => {
    const form = formFromScript(boiler, keys());
    form.name = 'bad name!';
    form.inputs[1].alias = 'steam';
    form.outputs[1].tag = 'FT-101.PV';
    form.outputs[0].deadband = '-1';
    form.outputs[0].variable = ' ';
    expect(formProblems(form)).toEqual([
      { section: 'name', code: 'nameInvalid' },
      { section: 'inputs', index: 1, field: 'alias', code: 'alias.duplicate' },
      { section: 'outputs', index: 0, field: 'variable', code: 'variableEmpty' },
      { section: 'outputs', index: 0, field: 'deadband', code: 'deadbandInvalid' },
      { section: 'outputs', index: 1, field: 'tag', code: 'outputIsInput' },
    ]);
  });
  it('checks the trigger', () => {
    const form = formFromScript(boiler, keys());
    expect(formProblems({ ...form, trigger: { mode: 'selected', selected: [], intervalSeconds: '1' } })).toEqual([{ section: 'trigger', code: 'noTriggerInputs' }]);
    expect(formProblems({ ...form, trigger: { mode: 'periodic', selected: [], intervalSeconds: '0.05' } })).toEqual([{ section: 'trigger', code: 'intervalInvalid' }]);
    expect(formProblems({ ...form, inputs: [], trigger: { mode: 'all', selected: [], intervalSeconds: '1' } })).toContainEqual({ section: 'trigger', code: 'noInputsOnChange' });
  });
  it('lets a run go on without a name', () => {
    const form = { ...formFromScript(boiler, keys()), name: '' };
    expect(runBlockingProblems(formProblems(form))).toEqual([]);
  });
});

describe('duplicateDraft', () => {
  it('copies under a free name with its own output tags', () => {
    const copy = duplicateDraft(boiler, ['boiler_efficiency', 'boiler_efficiency_copy']);
    expect(copy.name).toBe('boiler_efficiency_copy2');
    expect(copy.outputs.map((o) => o.tag)).toEqual(['CALC.BOILER_EFF_COPY', 'CALC.BOILER_RUNS_COPY']);
    expect(copy.calcCode).toBe(boiler.calcCode);
  });
});
