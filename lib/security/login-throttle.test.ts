import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle';

const MINUTE = 60_000;

function throttleAt(start = 1_000_000) {
  let now = start;
  const throttle = new LoginThrottle({ now: () => now });
  return { throttle, advance: (ms: number) => (now += ms) };
}

describe('LoginThrottle', () => {
  it('refuses a username after 5 failures within 15 minutes, from any address, until the oldest leaves the window', () => {
    const { throttle, advance } = throttleAt();
    for (let index = 0; index < 5; index++) {
      expect(throttle.check('jane', `10.0.0.${index}`)).toEqual({ allowed: true });
      throttle.recordFailure('jane', `10.0.0.${index}`);
      advance(MINUTE);
    }
    // Failures at t=0..4 min; now t=5 min: the first leaves the window at t=15 min.
    expect(throttle.check('jane', '10.9.9.9')).toEqual({ allowed: false, limitedBy: 'username', retryAfterSeconds: 600 });
    expect(throttle.check('JANE', '10.9.9.9')).toMatchObject({ allowed: false });
    expect(throttle.check('other', '10.9.9.9')).toEqual({ allowed: true });

    advance(10 * MINUTE - 1000);
    expect(throttle.check('jane', undefined)).toEqual({ allowed: false, limitedBy: 'username', retryAfterSeconds: 1 });
    advance(1000);
    expect(throttle.check('jane', undefined)).toEqual({ allowed: true });
  });

  it('does not count refused attempts, so hammering does not extend the lock-out', () => {
    const { throttle, advance } = throttleAt();
    for (let index = 0; index < 5; index++) throttle.recordFailure('jane', '10.0.0.1');
    for (let index = 0; index < 100; index++) {
      advance(MINUTE / 10);
      expect(throttle.check('jane', '10.0.0.1').allowed).toBe(false);
    }
    advance(5 * MINUTE);
    expect(throttle.check('jane', '10.0.0.1').allowed).toBe(true);
  });

  it('limits one address after 50 failures for any usernames, but not 49', () => {
    const { throttle } = throttleAt();
    for (let index = 0; index < 49; index++) throttle.recordFailure(`user${index}`, '192.0.2.7');
    expect(throttle.check('fresh', '192.0.2.7')).toEqual({ allowed: true });
    throttle.recordFailure('user49', '192.0.2.7');
    expect(throttle.check('fresh', '192.0.2.7')).toEqual({ allowed: false, limitedBy: 'address', retryAfterSeconds: 900 });
    expect(throttle.check('fresh', '192.0.2.8')).toEqual({ allowed: true });
    // A few typos of people behind one proxy do not lock each other out.
    expect(throttle.check('user1', '192.0.2.8')).toEqual({ allowed: true });
  });

  it('clears a username on success, but not its address', () => {
    const { throttle } = throttleAt();
    for (let index = 0; index < 4; index++) throttle.recordFailure('jane', '10.0.0.1');
    throttle.recordSuccess('jane');
    for (let index = 0; index < 4; index++) throttle.recordFailure('jane', '10.0.0.1');
    expect(throttle.check('jane', '10.0.0.1')).toEqual({ allowed: true });
    for (let index = 0; index < 42; index++) throttle.recordFailure(`x${index}`, '10.0.0.1');
    expect(throttle.check('jane', '10.0.0.1')).toMatchObject({ allowed: false, limitedBy: 'address' });
  });

  it('keeps at most maxKeys usernames (a flood of names cannot exhaust memory)', () => {
    let now = 0;
    const throttle = new LoginThrottle({ now: () => now, maxKeys: 3 });
    for (const name of ['a', 'b', 'c', 'd']) for (let index = 0; index < 5; index++) throttle.recordFailure(name, undefined);
    now += 1;
    expect(throttle.check('a', undefined).allowed).toBe(true);
    expect(throttle.check('d', undefined).allowed).toBe(false);
  });
});
