import { describe, expect, it } from 'vitest';
import { exactValue, formatMeasure, formatValue, roundMeasure } from './format';
import { displayValue } from './trace-stepper';

describe('formatMeasure: the one rounding of values in the IDE', () => {
  it('keeps up to 6 significant digits and trims trailing zeros', () => {
    expect(formatMeasure('en', 79.77000000000001)).toBe('79.77');
    expect(formatMeasure('en', 0.1 + 0.2)).toBe('0.3');
    expect(formatMeasure('en', 2.5)).toBe('2.5');
    expect(formatMeasure('en', 3)).toBe('3');
    expect(formatMeasure('en', 12.3456789)).toBe('12.3457');
    expect(formatMeasure('en', -0.000123456789)).toBe('-0.000123457');
    expect(formatMeasure('en', 99999.96)).toBe('100,000');
  });

  it('shows big whole numbers with all their digits, grouped, and extremes in scientific notation', () => {
    expect(formatMeasure('en', 1234567.89)).toBe('1,234,568');
    expect(formatMeasure('ko', 1234567.89)).toBe('1,234,568');
    expect(formatMeasure('en', 1.2345678e20)).toBe('1.23457E20');
    expect(formatMeasure('en', 1.5e-9)).toBe('1.5E-9');
    expect(formatMeasure('en', 0)).toBe('0');
    expect(formatMeasure('en', Number.NaN)).toBe('NaN');
  });

  it('is what tag values show, with the exact value for the hover', () => {
    expect(formatValue('en', 79.77000000000001)).toBe('79.77');
    expect(exactValue(79.77000000000001)).toBe('79.77000000000001');
    expect(exactValue('AUTO')).toBe('AUTO');
    expect(exactValue([0.1 + 0.2])).toBe('[0.30000000000000004]');
  });

  it('rounds numbers inside the debug trace values too', () => {
    expect(roundMeasure(79.77000000000001)).toBe(79.77);
    expect(displayValue(79.77000000000001)).toBe('79.77');
    expect(displayValue([0.1 + 0.2, 1])).toBe('[0.3,1]');
    expect(displayValue({ avg: 2 / 3 })).toBe('{"avg":0.666667}');
  });
});
