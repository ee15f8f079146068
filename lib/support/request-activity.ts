/**
 * Whether the web process is serving requests: the HTTP server counts the requests under way (from
 * their arrival to the end of their response), and a timer measures how late the main thread's event
 * loop runs (a request whose bytes came while the loop was held is not counted yet). Background work
 * that can give way — a backfill's look-ahead (docs/performance.md, "P8: look-ahead while idle") —
 * asks `idle()` before it adds load, and runs one step at a time otherwise.
 */

export interface RequestActivityOptions {
  /** After a request ends, still busy for this long (requests often come in series). */
  quietMs?: number;
  /** The event loop is held when a probe runs later than its time by more than this. */
  maxLagMs?: number;
  /** How often the event loop's lag is probed; 0: never (tests). */
  probeMs?: number;
  /** Monotonic clock (ms). */
  now?: () => number;
}

export const REQUEST_QUIET_MS = 100;
export const REQUEST_MAX_LAG_MS = 40;
export const REQUEST_PROBE_MS = 20;

export class RequestActivity {
  private open = 0;
  private lastEnd = -Infinity;
  private lastLate = -Infinity;
  private timer: NodeJS.Timeout | null = null;
  private readonly quietMs: number;
  private readonly maxLagMs: number;
  private readonly now: () => number;

  constructor(options: RequestActivityOptions = {}) {
    this.quietMs = options.quietMs ?? REQUEST_QUIET_MS;
    this.maxLagMs = options.maxLagMs ?? REQUEST_MAX_LAG_MS;
    this.now = options.now ?? (() => performance.now());
    const probeMs = options.probeMs ?? REQUEST_PROBE_MS;
    if (probeMs > 0) {
      let due = this.now() + probeMs;
      this.timer = setInterval(() => {
        const at = this.now();
        if (at - due > this.maxLagMs) this.lateAt(at);
        due = at + probeMs;
      }, probeMs);
      this.timer.unref();
    }
  }

  /** A request arrived; the function answered ends it (once; later calls do nothing). */
  begin(): () => void {
    this.open++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.open--;
      this.lastEnd = this.now();
    };
  }

  /** The event loop was found held at `at` (the probe, or a test). */
  lateAt(at: number): void {
    this.lastLate = at;
  }

  /** No request under way, none ended and no held event loop within the quiet time. */
  idle(): boolean {
    const at = this.now();
    return this.open === 0 && at - this.lastEnd >= this.quietMs && at - this.lastLate >= this.quietMs;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
