import type { Logger } from './logger';

/**
 * A warning logged at most once per interval. Occurrences in between are held back and counted, so
 * the next warning let through can say how many there were.
 */
export class ThrottledWarning {
  private lastAt = 0;
  private counted = 0;

  constructor(private readonly intervalMs: number) {}

  /**
   * Counts `count` occurrences (1 by default). When `intervalMs` has passed since the last warning let
   * through (or there was none), starts a new interval and returns every occurrence counted since the
   * last one, these included: log the warning now. Otherwise returns undefined: the occurrences wait
   * for the next warning.
   */
  admit(count = 1): number | undefined {
    this.counted += count;
    const now = Date.now();
    if (now - this.lastAt < this.intervalMs) return undefined;
    const counted = this.counted;
    this.lastAt = now;
    this.counted = 0;
    return counted;
  }

  /**
   * Logs `message` at warn level, at most once per interval; a warning after some were held back
   * carries `suppressed` (their number) and says it.
   */
  warn(logger: Logger, context: Record<string, unknown>, message: string): void {
    const counted = this.admit();
    if (counted === undefined) return;
    const suppressed = counted - 1;
    logger.warn(
      suppressed > 0 ? { ...context, suppressed } : context,
      suppressed > 0 ? `${message} (${suppressed} similar warnings in the last ${Math.round(this.intervalMs / 1000)} s not shown)` : message,
    );
  }
}
