/**
 * The hang watchdog: a pending call raced against a deadline or a periodic check. It never stops the
 * call itself — the caller decides what a hang costs (typically stopping the thread that runs it).
 */

/** What a watched call resolves with when it hung. */
export const HUNG: unique symbol = Symbol('hung');
export type Hung = typeof HUNG;

/** Resolves as `pending` does (rejects with its error), or with HUNG when it has not settled within `ms`. */
export function raceHang<T>(pending: Promise<T>, ms: number): Promise<T | Hung> {
  return watchUntil(pending, (hang) => {
    const timer = setTimeout(hang, ms);
    return () => clearTimeout(timer);
  });
}

/**
 * Resolves as `pending` does (rejects with its error), or with HUNG as soon as `isHung` — called
 * every `pollMs` while it is pending — returns true: for a call whose progress is seen as it goes
 * (a heartbeat), not only by a deadline.
 */
export function watchHang<T>(pending: Promise<T>, isHung: () => boolean, pollMs: number): Promise<T | Hung> {
  return watchUntil(pending, (hang) => {
    const timer = setInterval(() => {
      if (isHung()) hang();
    }, pollMs);
    return () => clearInterval(timer);
  });
}

/** `arm` starts the watch, calls `hang` when the call hung and returns what stops the watch. */
function watchUntil<T>(pending: Promise<T>, arm: (hang: () => void) => () => void): Promise<T | Hung> {
  return new Promise((resolve, reject) => {
    const disarm = arm(() => {
      disarm();
      resolve(HUNG);
    });
    pending.then(
      (value) => {
        disarm();
        resolve(value);
      },
      (error: unknown) => {
        disarm();
        reject(error);
      },
    );
  });
}
