import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves with the value of a promise that settles in time, and leaves no timer behind', async () => {
    const pending = new Promise<string>((resolve) => setTimeout(() => resolve('pong'), 999));
    const result = withTimeout(pending, 1000, 'too slow');
    await vi.advanceTimersByTimeAsync(999);
    await expect(result).resolves.toBe('pong');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('passes a rejection through unchanged', async () => {
    const failure = new TypeError('refused');
    const result = withTimeout(Promise.reject(failure), 1000, 'too slow');
    await expect(result).rejects.toBe(failure);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with an Error carrying the message once the time is up, not before', async () => {
    const result = withTimeout(new Promise<never>(() => {}), 3000, 'Kafka did not answer within 3 s');
    const caught = result.catch((error: unknown) => error);
    let settled = false;
    void caught.then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(2999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const error = await caught;
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('Kafka did not answer within 3 s');
    expect(vi.getTimerCount()).toBe(0);
  });
});
