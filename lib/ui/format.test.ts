import { describe, expect, it } from 'vitest';
import { formatAxisTime, formatDateTime, formatInteger, formatMicros, formatNumber, formatRelative, formatTime, formatValue } from './format';

describe('numbers', () => {
  it('uses the locale grouping', () => {
    expect(formatNumber('en', 12345.678)).toBe('12,345.678');
    expect(formatNumber('ko', 12345.678)).toBe('12,345.678');
    expect(formatInteger('en', 1234567)).toBe('1,234,567');
  });
  it('keeps small magnitudes readable', () => {
    expect(formatNumber('en', 0.000123456)).toBe('0.0001235');
    expect(formatNumber('en', 0)).toBe('0');
  });
  it('formats tag values of every type', () => {
    expect(formatValue('en', null)).toBe('—');
    expect(formatValue('en', true)).toBe('true');
    expect(formatValue('en', 'AUTO')).toBe('AUTO');
    expect(formatValue('en', 2.5)).toBe('2.5');
  });
});

describe('dates', () => {
  const iso = '2026-11-27T10:05:09.000Z';
  it('formats in the given time zone and language', () => {
    expect(formatDateTime('en', iso, 'UTC')).toBe('11/27/2026, 10:05:09');
    expect(formatDateTime('ko', iso, 'Asia/Seoul')).toContain('2026');
    expect(formatDateTime('ko', iso, 'Asia/Seoul')).toContain('19:05:09');
    expect(formatTime('en', iso, 'UTC')).toBe('10:05:09');
  });
  it('shows a dash for missing or invalid dates', () => {
    expect(formatDateTime('en', null)).toBe('—');
    expect(formatTime('en', 'not a date')).toBe('—');
  });
  it('labels axes by the span shown', () => {
    const t = Date.parse(iso);
    expect(formatAxisTime('en', t, 60_000, 'UTC')).toBe('10:05:09');
    expect(formatAxisTime('en', t, 3600_000, 'UTC')).toBe('10:05');
    expect(formatAxisTime('en', t, 7 * 86_400_000, 'UTC')).toBe('11/27, 10:05');
  });
  it('says how long ago, in the language', () => {
    const now = Date.parse(iso);
    expect(formatRelative('en', now - 5000, now)).toBe('5 seconds ago');
    expect(formatRelative('ko', now - 5000, now)).toBe('5초 전');
    expect(formatRelative('en', now - 2 * 3600_000, now)).toBe('2 hours ago');
    expect(formatRelative('en', null, now)).toBe('—');
    expect(formatRelative('en', now + 900, now)).toBe('now');
  });
});

describe('durations', () => {
  it('picks the unit', () => {
    expect(formatMicros('en', 3.456)).toBe('3.46 µs');
    expect(formatMicros('en', 850)).toBe('850 µs');
    expect(formatMicros('en', 1250)).toBe('1.25 ms');
    expect(formatMicros('en', 2_100_000)).toBe('2.1 s');
  });
});
