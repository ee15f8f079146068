import { describe, expect, it } from 'vitest';
import { customRange, fromDateTimeLocal, isRangeChoice, presetRange, toDateTimeLocal } from './time-range';

describe('time ranges', () => {
  const now = Date.parse('2026-11-27T10:00:00.000Z');
  it('computes the presets back from now', () => {
    expect(presetRange('1h', now)).toEqual({ from: '2026-11-27T09:00:00.000Z', to: '2026-11-27T10:00:00.000Z' });
    expect(presetRange('7d', now).from).toBe('2026-11-20T10:00:00.000Z');
  });
  it('recognises choices', () => {
    expect(isRangeChoice('8h')).toBe(true);
    expect(isRangeChoice('custom')).toBe(true);
    expect(isRangeChoice('2h')).toBe(false);
    expect(isRangeChoice(null)).toBe(false);
  });
  it('round-trips datetime-local values', () => {
    const local = toDateTimeLocal(now);
    expect(local).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
    expect(fromDateTimeLocal(local)).toBe(new Date(now).toISOString());
    expect(fromDateTimeLocal('yesterday')).toBeNull();
    expect(toDateTimeLocal('nope')).toBe('');
  });
  it('checks a custom range', () => {
    const from = toDateTimeLocal(now - 3600_000);
    const to = toDateTimeLocal(now);
    expect(customRange(from, to, now)).toEqual({ from: new Date(now - 3600_000).toISOString(), to: new Date(now).toISOString() });
    expect(customRange(to, from, now)).toEqual({ problem: 'order' });
    expect(customRange('', to, now)).toEqual({ problem: 'invalid' });
    expect(customRange(toDateTimeLocal(now + 7200_000), toDateTimeLocal(now + 9000_000), now)).toEqual({ problem: 'future' });
  });
});
