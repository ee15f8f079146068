import { describe, expect, it } from 'vitest';
import type { ScriptStatus } from './api-types';
import { runtimeView, valueTone, waitParts } from './script-runtime';

const base: ScriptStatus = { state: 'registered', lastError: null, lastRunAt: null, evaluations: 3, errors: 0, avgMicros: 10 };
const error = { severity: 'error' as const, message: 'negative pressure', source: 'calc' as const, kind: 'runtime' as const, line: 3, column: 7 };

describe('runtimeView', () => {
  it('gives a quarantined script its last error with its line and the seconds until the retry', () => {
    const now = Date.parse('2026-01-01T00:00:00.000Z');
    const view = runtimeView({ ...base, state: 'quarantined', lastError: error, retryAt: '2026-01-01T00:00:41.500Z' }, now);
    expect(view).toEqual({
      state: 'quarantined',
      error: { message: 'negative pressure', source: 'calc', line: 3, column: 7 },
      retry: { at: '2026-01-01T00:00:41.500Z', inSeconds: 42 },
    });
  });

  it('says retries are off for a quarantined script without retryAt, and never counts below zero', () => {
    expect(runtimeView({ ...base, state: 'quarantined', lastError: error, retryAt: null }, 0).retry).toBe('off');
    expect(runtimeView({ ...base, state: 'quarantined', lastError: error, retryAt: '1970-01-01T00:00:01.000Z' }, 5000).retry).toEqual({ at: '1970-01-01T00:00:01.000Z', inSeconds: 0 });
  });

  it('shows no error for an unregistered script and no retry unless quarantined', () => {
    expect(runtimeView({ ...base, state: 'unregistered', lastError: error }, 0)).toEqual({ state: 'unregistered', error: null, retry: null });
    expect(runtimeView({ ...base, lastError: { ...error, line: undefined, column: undefined } }, 0).error).toEqual({ message: 'negative pressure', source: 'calc', line: null, column: null });
  });
});

describe('valueTone and waitParts', () => {
  it('colours by quality, missing without a value', () => {
    expect(valueTone({ value: null, quality: 'bad' })).toBe('bad');
    expect(valueTone({ value: 3, quality: 'uncertain' })).toBe('uncertain');
    expect(valueTone({ value: 3, quality: 'good' })).toBe('good');
    expect(valueTone(null)).toBe('missing');
  });

  it('splits a wait into hours, minutes and seconds', () => {
    expect(waitParts(3725)).toEqual({ hours: 1, minutes: 2, seconds: 5 });
    expect(waitParts(-3)).toEqual({ hours: 0, minutes: 0, seconds: 0 });
  });
});
