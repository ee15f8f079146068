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

  it('is busy while the last probe found the event loop late by more than maxLagMs', () => {
    const requests = new RequestActivity({ quietMs: 0, maxLagMs: 40, probeMs: 0 });
    requests.probed(41);
    expect(requests.idle()).toBe(false);
    requests.probed(40);
    expect(requests.idle()).toBe(true);
  });

  it('finds a held event loop with its probe', async () => {
    const requests = new RequestActivity({ quietMs: 0, maxLagMs: 20, probeMs: 1000 });
    try {
      expect(requests.idle()).toBe(true);
      // The main thread held for 1.2 s: the probe due after 1 s runs about 200 ms late.
      const until = performance.now() + 1200;
      while (performance.now() < until);
      // The next timers phase: the probe (due first) runs before this timeout.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(requests.idle()).toBe(false);
    } finally {
      requests.stop();
    }
  });
});
