/**
 * The brute-force rule of security.md, as a pure class with an injected clock:
 *  - after 5 failed sign-ins for one username within 15 minutes (from any address), every attempt
 *    for that username is refused until the oldest of those failures leaves the window;
 *  - one address is refused the same way after 50 failures for any usernames.
 * A refused attempt is not checked at all (so a good password does not get through meanwhile) and
 * does not count as a failure (an attacker cannot extend the lock-out forever by hammering).
 * A successful sign-in clears its username's failures, not its address's.
 *
 * The state lives in the process: with several web processes behind a balancer each one applies the
 * limits on its own (docs/decisions/0011).
 */

export interface LoginThrottleOptions {
  now?: () => number;
  perUsername?: number;
  perAddress?: number;
  windowMs?: number;
  /** Keys kept at most; beyond it the oldest are forgotten (bounded memory under a flood). */
  maxKeys?: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number; limitedBy: 'username' | 'address' };

export const LOGIN_THROTTLE_DEFAULTS = { perUsername: 5, perAddress: 50, windowMs: 15 * 60_000, maxKeys: 100_000 };

export class LoginThrottle {
  private readonly now: () => number;
  private readonly settings: typeof LOGIN_THROTTLE_DEFAULTS;
  /** Failure times, oldest first, per key. Map order is insertion order: the oldest keys first. */
  private readonly byUsername = new Map<string, number[]>();
  private readonly byAddress = new Map<string, number[]>();

  constructor(options: LoginThrottleOptions = {}) {
    this.now = options.now ?? Date.now;
    this.settings = {
      perUsername: options.perUsername ?? LOGIN_THROTTLE_DEFAULTS.perUsername,
      perAddress: options.perAddress ?? LOGIN_THROTTLE_DEFAULTS.perAddress,
      windowMs: options.windowMs ?? LOGIN_THROTTLE_DEFAULTS.windowMs,
      maxKeys: options.maxKeys ?? LOGIN_THROTTLE_DEFAULTS.maxKeys,
    };
  }

  /** Whether an attempt for `username` from `address` may be checked now. */
  check(username: string, address: string | undefined): ThrottleVerdict {
    const now = this.now();
    const byName = this.recent(this.byUsername, usernameKey(username), now);
    if (byName.length >= this.settings.perUsername) {
      return { allowed: false, limitedBy: 'username', retryAfterSeconds: this.retryAfter(byName, this.settings.perUsername, now) };
    }
    if (address !== undefined) {
      const byAddress = this.recent(this.byAddress, address, now);
      if (byAddress.length >= this.settings.perAddress) {
        return { allowed: false, limitedBy: 'address', retryAfterSeconds: this.retryAfter(byAddress, this.settings.perAddress, now) };
      }
    }
    return { allowed: true };
  }

  recordFailure(username: string, address: string | undefined): void {
    const now = this.now();
    this.push(this.byUsername, usernameKey(username), now);
    if (address !== undefined) this.push(this.byAddress, address, now);
  }

  recordSuccess(username: string): void {
    this.byUsername.delete(usernameKey(username));
  }

  /** Seconds until fewer than `limit` failures remain in the window (at least 1). */
  private retryAfter(times: number[], limit: number, now: number): number {
    const freeing = times[times.length - limit];
    return Math.max(1, Math.ceil((freeing + this.settings.windowMs - now) / 1000));
  }

  private recent(map: Map<string, number[]>, key: string, now: number): number[] {
    const times = map.get(key);
    if (!times) return [];
    const since = now - this.settings.windowMs;
    while (times.length > 0 && times[0] <= since) times.shift();
    if (times.length === 0) map.delete(key);
    return times;
  }

  private push(map: Map<string, number[]>, key: string, now: number): void {
    const times = this.recent(map, key, now);
    times.push(now);
    // Keep no more than needed to decide, and move the key to the end (most recently used).
    const keep = Math.max(this.settings.perUsername, this.settings.perAddress);
    if (times.length > keep) times.splice(0, times.length - keep);
    map.delete(key);
    map.set(key, times);
    while (map.size > this.settings.maxKeys) map.delete(map.keys().next().value as string);
  }
}

/** Usernames are matched without regard to case, as the store does. */
function usernameKey(username: string): string {
  return username.toLowerCase();
}
