import { describe, expect, it } from 'vitest';
import { isOverridden, localTimeToEpoch, overridesFor, parseOverride } from './overrides';

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

describe('overridesFor with quality and time', () => {
  it('sends { value, quality, ts } when a quality or a time is set', () => {
    const at = '2026-11-27T10:00:05';
    expect(overridesFor({ steam: { value: '12', quality: 'bad', time: '' } }, ['steam'])).toEqual({ steam: { value: 12, quality: 'bad' } });
    expect(overridesFor({ steam: { value: '12', quality: '', time: at } }, ['steam'])).toEqual({ steam: { value: 12, ts: new Date(at).getTime() } });
    expect(overridesFor({ steam: { value: 'null', quality: 'uncertain', time: '' } }, ['steam'])).toEqual({ steam: { value: null, quality: 'uncertain' } });
  });
  it('keeps the latest value when only the quality is set, null when the input was never seen', () => {
    expect(overridesFor({ steam: { value: '', quality: 'bad', time: '' } }, ['steam'], { steam: 7 })).toEqual({ steam: { value: 7, quality: 'bad' } });
    expect(overridesFor({ steam: { value: '', quality: 'bad', time: '' } }, ['steam'], {})).toEqual({ steam: { value: null, quality: 'bad' } });
  });
  it('a value alone stays a bare value; nothing set is no override', () => {
    expect(overridesFor({ steam: { value: '3', quality: '', time: '' }, fuel: { value: '', quality: '', time: '' } }, ['steam', 'fuel'])).toEqual({ steam: 3 });
    expect(isOverridden({ value: '', quality: '', time: '' })).toBe(false);
    expect(isOverridden({ value: '', quality: 'good', time: '' })).toBe(true);
    expect(localTimeToEpoch('not a time')).toBeNull();
  });
});
