import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from './logger';
import { ThrottledWarning } from './throttled-warning';

function recordingLogger() {
  const warnings: Array<{ context: unknown; message: unknown }> = [];
  const logger = { warn: (context: unknown, message: unknown) => warnings.push({ context, message }) } as unknown as Logger;
  return { logger, warnings };
}

describe('ThrottledWarning', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits the first occurrence, then at most one per interval', () => {
    const warning = new ThrottledWarning(10_000);
    expect(warning.admit()).toBe(1);
    expect(warning.admit()).toBeUndefined();
    vi.advanceTimersByTime(9_999);
    expect(warning.admit()).toBeUndefined();
    vi.advanceTimersByTime(1);
    // A full interval since the last one let through: this one goes, with the two held back.
    expect(warning.admit()).toBe(3);
    vi.advanceTimersByTime(5_000);
    expect(warning.admit()).toBeUndefined();
  });

  it('counts from the last warning let through, not from the last occurrence', () => {
    const warning = new ThrottledWarning(1_000);
    expect(warning.admit()).toBe(1);
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(300);
      expect(warning.admit()).toBeUndefined();
    }
    // 1 000 ms after the first warning, although the last occurrence was only 100 ms ago.
    vi.advanceTimersByTime(100);
    expect(warning.admit()).toBe(4);
  });

  it('adds up weighted occurrences, the admitted one included', () => {
    const warning = new ThrottledWarning(5_000);
    expect(warning.admit(7)).toBe(7);
    expect(warning.admit(3)).toBeUndefined();
    expect(warning.admit(4)).toBeUndefined();
    vi.advanceTimersByTime(5_000);
    expect(warning.admit(2)).toBe(9);
    vi.advanceTimersByTime(5_000);
    expect(warning.admit(1)).toBe(1);
  });

  it('warn logs the first warning as is, and the next one after some were held back with their number', () => {
    const { logger, warnings } = recordingLogger();
    const warning = new ThrottledWarning(5_000);
    warning.warn(logger, { partition: 1 }, 'refused a value');
    warning.warn(logger, { partition: 2 }, 'refused another');
    warning.warn(logger, { partition: 3 }, 'and another');
    expect(warnings).toEqual([{ context: { partition: 1 }, message: 'refused a value' }]);

    vi.advanceTimersByTime(5_000);
    warning.warn(logger, { partition: 4 }, 'refused again');
    expect(warnings[1]).toEqual({ context: { partition: 4, suppressed: 2 }, message: 'refused again (2 similar warnings in the last 5 s not shown)' });

    // Nothing held back since: no count, no suffix.
    vi.advanceTimersByTime(5_000);
    warning.warn(logger, { partition: 5 }, 'quiet since');
    expect(warnings[2]).toEqual({ context: { partition: 5 }, message: 'quiet since' });
    expect(warnings).toHaveLength(3);
  });

  it('warn rounds the interval to whole seconds', () => {
    const { logger, warnings } = recordingLogger();
    const warning = new ThrottledWarning(2_600);
    warning.warn(logger, {}, 'a');
    warning.warn(logger, {}, 'b');
    vi.advanceTimersByTime(2_600);
    warning.warn(logger, {}, 'c');
    expect(warnings[1].message).toBe('c (1 similar warnings in the last 3 s not shown)');
  });
});
