import { describe, expect, it } from 'vitest';
import { backfillPace, backfillRequest, formatSpan, type JobJson } from './backfill-view';
import { toDateTimeLocal } from './time-range';

const job = (to: string): JobJson =>
  ({ to, from: '2026-01-01T00:00:00.000Z', state: 'running', progress: { fraction: 0, processedUntil: null, evaluations: 0, written: 0, errors: 0 } }) as JobJson;

describe('backfill view', () => {
  it('turns the form into a request, or says what is wrong', () => {
    const now = Date.parse('2026-06-01T00:00:00Z');
    const from = toDateTimeLocal(Date.parse('2026-05-01T00:00:00Z'));
    const to = toDateTimeLocal(Date.parse('2026-05-08T00:00:00Z'));
    expect(backfillRequest({ from, to, version: '', mode: 'fill' }, now)).toEqual({
      from: new Date(Date.parse('2026-05-01T00:00:00Z')).toISOString(),
      to: new Date(Date.parse('2026-05-08T00:00:00Z')).toISOString(),
      mode: 'fill',
    });
    expect(backfillRequest({ from, to, version: '3', mode: 'replace' }, now)).toMatchObject({ version: 3, mode: 'replace' });
    expect(backfillRequest({ from: to, to: from, version: '', mode: 'replace' }, now)).toEqual({ problem: 'order' });
    expect(backfillRequest({ from, to: toDateTimeLocal(now + 3_600_000), version: '', mode: 'replace' }, now)).toEqual({ problem: 'future' });
    expect(backfillRequest({ from: '', to, version: '', mode: 'replace' }, now)).toEqual({ problem: 'invalid' });
    expect(backfillRequest({ from, to, version: '1.5', mode: 'replace' }, now)).toEqual({ problem: 'version' });
  });

  it('derives the rate and the time left from two observations of the progress', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    // One hour of the period per second of wall clock; 10 hours left of the period → 10 s.
    const pace = backfillPace(job('2026-01-01T12:00:00.000Z'), { at: 1000, processed: start }, { at: 3000, processed: start + 2 * 3_600_000 });
    expect(pace).toEqual({ speed: 3_600_000 / 1000, leftMs: 10_000 });
    expect(backfillPace(job('2026-01-01T12:00:00.000Z'), { at: 1000, processed: start }, { at: 3000, processed: start })).toBeNull();
    expect(backfillPace(job('2026-01-01T12:00:00.000Z'), null, null)).toBeNull();
  });

  it('writes durations briefly', () => {
    expect(formatSpan(45_000)).toBe('45 s');
    expect(formatSpan(200_000)).toBe('3 min 20 s');
    expect(formatSpan(2 * 3_600_000 + 5 * 60_000)).toBe('2 h 05 min');
    expect(formatSpan(76 * 3_600_000)).toBe('3 d 4 h');
  });
});
