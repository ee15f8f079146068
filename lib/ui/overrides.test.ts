import { describe, expect, it } from 'vitest';
import { overridesFor, parseOverride } from './overrides';

describe('parseOverride', () => {
  it('reads numbers, booleans, null and text', () => {
    expect(parseOverride('12.5')).toEqual({ value: 12.5 });
    expect(parseOverride('0,5')).toEqual({ value: 0.5 });
    expect(parseOverride('-3')).toEqual({ value: -3 });
    expect(parseOverride('true')).toEqual({ value: true });
    expect(parseOverride('false')).toEqual({ value: false });
    expect(parseOverride('null')).toEqual({ value: null });
    expect(parseOverride('AUTO')).toEqual({ value: 'AUTO' });
    expect(parseOverride('"12"')).toEqual({ value: '12' });
  });
  it('treats an empty field as no override', () => {
    expect(parseOverride('  ')).toBeNull();
  });
});

describe('overridesFor', () => {
  it('keeps the filled aliases of the script', () => {
    expect(overridesFor({ steam: '10', fuel: '', gone: '3' }, ['steam', 'fuel'])).toEqual({ steam: 10 });
    expect(overridesFor({}, ['steam'])).toBeUndefined();
  });
});
