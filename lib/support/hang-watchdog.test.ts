import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HUNG, raceHang, watchHang } from './hang-watchdog';

const never = () => new Promise<never>(() => {});

function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error: unknown) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('hang watchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('raceHang', () => {
    it('answers with the call’s value when it returns before the deadline, and stops its timer', async () => {
      const call = new Promise<number>((resolve) => setTimeout(() => resolve(42), 1999));
      const outcome = track(raceHang(call, 2000));
      await vi.advanceTimersByTimeAsync(1999);
      expect(outcome).toEqual({ settled: true, value: 42 });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('passes the call’s failure through', async () => {
      const failure = new Error('thread died');
      await expect(raceHang(Promise.reject(failure), 2000)).rejects.toBe(failure);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('answers HUNG at the deadline, not before, and ignores the call settling later', async () => {
      let finish!: (value: string) => void;
      const call = new Promise<string>((resolve) => (finish = resolve));
      const outcome = track(raceHang(call, 2000));
      await vi.advanceTimersByTimeAsync(1999);
      expect(outcome.settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome).toEqual({ settled: true, value: HUNG });
      finish('late');
      await vi.advanceTimersByTimeAsync(0);
      expect(outcome.value).toBe(HUNG);
    });
  });

  describe('watchHang', () => {
    it('checks every pollMs while the call is pending and answers HUNG on the first check that says so', async () => {
      let checks = 0;
      const outcome = track(watchHang(never(), () => ++checks === 3, 20));
      await vi.advanceTimersByTimeAsync(19);
      expect(checks).toBe(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(checks).toBe(1);
      await vi.advanceTimersByTimeAsync(40);
      expect(checks).toBe(3);
      expect(outcome).toEqual({ settled: true, value: HUNG });
      // No more checks once it answered.
      await vi.advanceTimersByTimeAsync(200);
      expect(checks).toBe(3);
      expect(vi.getTimerCount()).toBe(0);
    });

    it('answers with the call’s value (or failure) and stops checking', async () => {
      let checks = 0;
      const call = new Promise<string>((resolve) => setTimeout(() => resolve('done'), 50));
      const outcome = track(watchHang(call, () => (checks++, false), 20));
      await vi.advanceTimersByTimeAsync(50);
      expect(outcome).toEqual({ settled: true, value: 'done' });
      expect(checks).toBe(2);
      expect(vi.getTimerCount()).toBe(0);

      const failure = new Error('restarted');
      await expect(watchHang(Promise.reject(failure), () => true, 20)).rejects.toBe(failure);
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
