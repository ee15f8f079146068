import { describe, expect, it } from 'vitest';
import { PromiseQueue } from './promise-queue';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PromiseQueue', () => {
  it('starts each task only once the one before it has settled, in the order they were queued', async () => {
    const queue = new PromiseQueue();
    const events: string[] = [];
    const first = deferred<string>();
    const second = deferred<string>();
    const a = queue.run(async () => {
      events.push('a starts');
      return first.promise;
    });
    const b = queue.run(async () => {
      events.push('b starts');
      return second.promise;
    });
    const c = queue.run(() => {
      events.push('c runs');
      return 'c';
    });
    await flush();
    expect(events).toEqual(['a starts']);
    second.resolve('b'); // b's result is ready, but b has not even started
    await flush();
    expect(events).toEqual(['a starts']);
    first.resolve('a');
    await expect(a).resolves.toBe('a');
    await expect(b).resolves.toBe('b');
    await expect(c).resolves.toBe('c');
    expect(events).toEqual(['a starts', 'b starts', 'c runs']);
  });

  it('does not start a task synchronously, even on an idle queue', async () => {
    const queue = new PromiseQueue();
    let started = false;
    const run = queue.run(() => {
      started = true;
    });
    expect(started).toBe(false);
    await run;
    expect(started).toBe(true);
  });

  it('goes on after a failure, which reaches only the caller of the task that failed', async () => {
    const queue = new PromiseQueue();
    const failing = deferred();
    const events: string[] = [];
    const a = queue.run(() => failing.promise);
    const b = queue.run(() => {
      throw new Error('thrown synchronously');
    });
    const c = queue.run(async () => {
      events.push('c');
      return 3;
    });
    await flush();
    expect(events).toEqual([]);
    failing.reject(new Error('a failed'));
    await expect(a).rejects.toThrow('a failed');
    await expect(b).rejects.toThrow('thrown synchronously');
    await expect(c).resolves.toBe(3);
    expect(events).toEqual(['c']);
  });

  it('keeps queues apart', async () => {
    const one = new PromiseQueue();
    const two = new PromiseQueue();
    const blocked = deferred();
    void one.run(() => blocked.promise);
    await expect(two.run(async () => 'free')).resolves.toBe('free');
    blocked.resolve();
  });
});
