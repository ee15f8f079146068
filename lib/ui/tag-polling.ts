/**
 * Which tags the IDE asks for on each refresh of live values. A tag that answers 404 does not exist
 * (a typo, or an output not produced yet): it is not asked for again on every refresh — only after
 * a back-off (30 s, doubling up to 5 min), so a page left open neither floods the server nor misses
 * a tag that appears later. Changing the tag starts over.
 */

export const MISSING_RETRY_MS = 30_000;
export const MISSING_RETRY_MAX_MS = 300_000;

export class TagPolling {
  private readonly missing = new Map<string, { retryAt: number; delayMs: number }>();

  /** The tags to ask for now. */
  due(tags: readonly string[], now: number): string[] {
    return tags.filter((tag) => {
      const entry = this.missing.get(tag);
      return !entry || entry.retryAt <= now;
    });
  }

  /** The tag answered 404 at `now`. */
  notFound(tag: string, now: number): void {
    const previous = this.missing.get(tag);
    const delayMs = previous ? Math.min(MISSING_RETRY_MAX_MS, previous.delayMs * 2) : MISSING_RETRY_MS;
    this.missing.set(tag, { retryAt: now + delayMs, delayMs });
  }

  /** The tag answered with a value: poll it normally again. */
  found(tag: string): void {
    this.missing.delete(tag);
  }

  isMissing(tag: string): boolean {
    return this.missing.has(tag);
  }
}
