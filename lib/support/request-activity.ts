/**
 * Whether the web process is serving requests: the HTTP server counts the requests under way (from
 * their arrival to the end of their response), and a timer measures how late the main thread's event
 * loop runs (a request whose bytes came while the loop was held is not counted yet). Background work
 * that can give way — a backfill's look-ahead (docs/performance.md, "P8: look-ahead while idle") —
 * asks `idle()` before it adds load, and runs one step at a time otherwise.
 */

export interface RequestActivityOptions {
  /**
   * After a request ends (or the event loop was found late), still busy for this long. Default 0: a
   * series of requests with gaps between them lets a backfill look ahead in the gaps (a quiet time of
   * 100 ms kept it one chunk at a time for 291 of 295 chunks under the P8 bench's requests, without a
   * better p99: docs/performance.md, "P8: look-ahead while idle").
   */
  quietMs?: number;
  /** The event loop is held when a probe runs later than its time by more than this. */
  maxLagMs?: number;
  /** How often the event loop's lag is probed; 0: never (tests). */
  probeMs?: number;
  /** Monotonic clock (ms). */
  now?: () => number;
}

export const REQUEST_QUIET_MS = 0;
export const REQUEST_MAX_LAG_MS = 40;
export const REQUEST_PROBE_MS = 20;

export class RequestActivity {
  private open = 0;
  private lastEnd = -Infinity;
  /** The last probe ran late by more than maxLagMs. */
  private late = false;
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
        this.probed(at - due);
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

  /** A probe ran `lagMs` after its time (the timer, or a test): late until a probe runs on time. */
  probed(lagMs: number): void {
    this.late = lagMs > this.maxLagMs;
  }

  /** No request under way, none ended within the quiet time, the event loop on time at the last probe. */
  idle(): boolean {
    return this.open === 0 && this.now() - this.lastEnd >= this.quietMs && !this.late;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
