import { messageOf } from '../model/errors';
import type { Logger } from '../support/logger';
import { ThrottledWarning } from '../support/throttled-warning';
import type { ScriptStore } from '../ports/script-store';
import type { TagState } from '../model/tag-value';

/**
 * Keeps the restart snapshot (latest value of every tag) in the database. Only values whose
 * outputs have been acknowledged are marked, so the snapshot never runs ahead of what was
 * published: after a crash, reprocessed inputs recompute anything not yet published.
 */
export class SnapshotWriter {
  private dirty = new Map<string, TagState>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly warning = new ThrottledWarning(10_000);

  constructor(
    private readonly store: ScriptStore,
    private readonly log: Logger,
    private readonly flushMs = 2000,
    /** Tags saved per database call; the embedded database runs on this thread, so a long save waits in pieces. */
    private readonly pieceSize = 500,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /**
   * Keeps the given records themselves (no copy per value): callers hand records nobody changes
   * afterwards — never the catalog's entries, which are updated in place.
   */
  mark(states: Iterable<TagState>): void {
    for (const state of states) {
      const held = this.dirty.get(state.tag);
      if (!held || held.ts <= state.ts) this.dirty.set(state.tag, state);
    }
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.size === 0) return Promise.resolve();
    const states = [...this.dirty.values()];
    this.dirty = new Map();
    this.flushing = (async () => {
      for (let start = 0; start < states.length; start += this.pieceSize) {
        const piece = states.slice(start, start + this.pieceSize);
        try {
          await this.store.saveLatest(piece);
        } catch (error) {
          // Put back what was not saved, unless something newer arrived meanwhile.
          for (const state of states.slice(start)) if (!this.dirty.has(state.tag)) this.dirty.set(state.tag, state);
          if (this.warning.admit() !== undefined) this.log.warn(`restart snapshot not saved (will retry): ${messageOf(error)}`);
          return;
        }
        // Let the bus and requests in between pieces.
        if (start + this.pieceSize < states.length) await new Promise((resolve) => setImmediate(resolve));
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
