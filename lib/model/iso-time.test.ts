import { describe, expect, it } from 'vitest';
import { isoTime } from './tag-value';

const viaDate = (ts: number) => new Date(ts).toISOString();

describe('isoTime', () => {
  it.each([
    ['the epoch', 0],
    ['a leap day', Date.UTC(2000, 1, 29, 23, 59, 59, 999)],
    ['the day after a century without a leap day', Date.UTC(2100, 2, 1)],
    ['the last millisecond of a year', Date.UTC(2026, 11, 31, 23, 59, 59, 999)],
    ['the first of a year', Date.UTC(2027, 0, 1)],
    ['the last millisecond of year 9999', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
    ['year 10000 (six-digit year)', Date.UTC(10000, 0, 1)],
    ['before the epoch', Date.UTC(1969, 11, 31, 23, 59, 59, 1)],
    ['a fraction of a millisecond', 1_700_000_000_123.75],
  ])('writes %s as Date does', (_name, ts) => {
    expect(isoTime(ts)).toBe(viaDate(ts));
  });

  it('agrees with Date on 200 000 instants spread over 1970–9999 and on every day of four years', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 200_000; i++) {
      const ts = Math.floor(random() * 253_402_300_799_999);
      if (isoTime(ts) !== viaDate(ts)) expect(isoTime(ts)).toBe(viaDate(ts));
    }
    for (let ts = Date.UTC(2023, 0, 1) + 12_345; ts < Date.UTC(2027, 0, 1); ts += 86_400_000) {
      if (isoTime(ts) !== viaDate(ts)) expect(isoTime(ts)).toBe(viaDate(ts));
    }
  });
});
