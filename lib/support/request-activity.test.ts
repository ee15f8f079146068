import { describe, expect, it } from 'vitest';
import { RequestActivity } from './request-activity';

/** The web process's "is the API busy" signal that a backfill's look-ahead asks (manual clock, no probe). */
describe('RequestActivity', () => {
  const activity = (quietMs = 100) => {
    let now = 1000;
    const requests = new RequestActivity({ quietMs, probeMs: 0, now: () => now });
    return { requests, advance: (ms: number) => (now += ms), at: () => now };
  };

  it('is idle with no request, busy while one is under way and for the quiet time after the last ends', () => {
    const { requests, advance } = activity();
    expect(requests.idle()).toBe(true);
    const endA = requests.begin();
    const endB = requests.begin();
    expect(requests.idle()).toBe(false);
    endA();
    advance(500);
    expect(requests.idle()).toBe(false);
    endB();
    advance(99);
    expect(requests.idle()).toBe(false);
    advance(1);
    expect(requests.idle()).toBe(true);
  });

  it('counts a request once however often its end is reported', () => {
    const { requests, advance } = activity(0);
    const endA = requests.begin();
    const endB = requests.begin();
    endA();
    endA();
    advance(1);
    expect(requests.idle()).toBe(false);
    endB();
    expect(requests.idle()).toBe(true);
  });

  it('is busy for the quiet time after the event loop was found held', () => {
    const { requests, advance, at } = activity(50);
    requests.lateAt(at());
    expect(requests.idle()).toBe(false);
    advance(50);
    expect(requests.idle()).toBe(true);
  });

  it('finds a held event loop with its probe', async () => {
    const requests = new RequestActivity({ quietMs: 10_000, maxLagMs: 20, probeMs: 5 });
    try {
      expect(requests.idle()).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 10));
      const until = performance.now() + 80;
      while (performance.now() < until); // the main thread held for 80 ms
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(requests.idle()).toBe(false);
    } finally {
      requests.stop();
    }
  });
});
