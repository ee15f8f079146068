import { describe, expect, it } from 'vitest';
import type { CalcResult, Diagnostic, ValidateResponse } from './api-types';
import { classifyPreview, registerChoice } from './register-preview';

/** The Register dialog's reading of a run on the latest values. */

const result = (change: Partial<CalcResult> = {}): CalcResult => ({
  scriptId: 's1',
  name: 'boiler',
  inputs: {
    'FT-101.PV': { alias: 'steam', value: 12, ts: '2026-11-27T10:00:00.000Z', quality: 'good' },
    'FT-102.PV': { alias: 'fuel', value: 4, ts: '2026-11-27T10:00:00.000Z', quality: 'good' },
  },
  outputs: { 'CALC.EFF': { value: 3, quality: 'good' } },
  staticVars: {},
  calcAt: '2026-11-27T10:00:01.000Z',
  durationMs: 0.2,
  error: null,
  warnings: [],
  engineWouldRun: true,
  ...change,
});
const answer = (calc: CalcResult | null, diagnostics: Diagnostic[] = []): ValidateResponse => ({ ok: !diagnostics.some((d) => d.severity === 'error'), diagnostics, result: calc });
const warn = (message: string, kind: Diagnostic['kind'] = 'definition'): Diagnostic => ({ severity: 'warning', source: 'definition', kind, message });

describe('classifyPreview', () => {
  it('clean: a run with every output computed offers the normal Register', () => {
    const preview = classifyPreview(answer(result()));
    expect(preview).toMatchObject({ outcome: 'clean', errors: [], waitingFor: [], nullOutputs: [], outputs: { 'CALC.EFF': { value: 3 } } });
    expect(registerChoice(preview.outcome)).toBe('register');
  });

  it('fails: a runtime error (with its line) needs "Register anyway"', () => {
    const error: Diagnostic = { severity: 'error', source: 'calc', kind: 'runtime', line: 2, column: 7, message: "Cannot read properties of null (reading 'x')" };
    const preview = classifyPreview(answer(result({ error, outputs: {} }), [error]));
    expect(preview.outcome).toBe('fails');
    expect(preview.errors).toEqual([error]);
    expect(registerChoice(preview.outcome)).toBe('registerAnyway');
  });

  it('fails: an invalid output is a failure too', () => {
    const error: Diagnostic = { severity: 'error', source: 'calc', kind: 'output', line: 1, column: 7, message: 'output CALC.EFF: Infinity is not a finite number' };
    expect(classifyPreview(answer(result({ error }), [error])).outcome).toBe('fails');
  });

  it('invalid: code that does not compile cannot be registered at all', () => {
    const error: Diagnostic = { severity: 'error', source: 'calc', kind: 'syntax', line: 3, column: 14, message: "Unexpected token ')'" };
    const preview = classifyPreview(answer(null, [error]));
    expect(preview).toMatchObject({ outcome: 'invalid', errors: [error] });
    expect(registerChoice(preview.outcome)).toBe('none');
  });

  it('warnings: never-seen inputs, null inputs and null outputs are listed by name, the run’s texts not repeated', () => {
    const waiting = warn("input 'fuel' (FT-102.PV) has never had a value: the engine will wait until FT-102.PV has a value");
    const nullOut = warn('output CALC.EFF would be published as null', 'output');
    const unused = warn("'tmp' is assigned but never used");
    const calc = result({
      inputs: {
        'FT-101.PV': { alias: 'steam', value: null, ts: '2026-11-27T10:00:00.000Z', quality: 'good' },
        'FT-102.PV': { alias: 'fuel', value: null, ts: null, quality: 'bad' },
      },
      outputs: { 'CALC.EFF': { value: null, quality: 'bad' } },
      warnings: [waiting, nullOut],
      engineWouldRun: false,
    });
    const preview = classifyPreview(answer(calc, [unused, { ...waiting }, { ...nullOut }]));
    expect(preview.outcome).toBe('warnings');
    expect(preview.waitingFor).toEqual([{ alias: 'fuel', tag: 'FT-102.PV' }]);
    expect(preview.nullInputs).toEqual([{ alias: 'steam', tag: 'FT-101.PV' }]);
    expect(preview.nullOutputs).toEqual(['CALC.EFF']);
    expect(preview.otherWarnings).toEqual([unused]);
    expect(registerChoice(preview.outcome)).toBe('register');
  });

  it('a failing run lists no null outputs (they were not computed)', () => {
    const error: Diagnostic = { severity: 'error', source: 'calc', kind: 'runtime', line: 1, column: 1, message: 'boom' };
    const preview = classifyPreview(answer(result({ error, outputs: { 'CALC.EFF': { value: null, quality: 'bad' } } }), [error]));
    expect(preview.nullOutputs).toEqual([]);
  });
});
