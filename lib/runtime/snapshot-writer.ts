import { messageOf } from '../errors';
import type { Logger } from '../logger';
import type { ScriptStore } from '../ports/script-store';
import type { TagState } from '../tags/tag-value';

/**
 * Keeps the restart snapshot (latest value of every tag) in the database. Only values whose
 * outputs have been acknowledged are marked, so the snapshot never runs ahead of what was
 * published: after a crash, reprocessed inputs recompute anything not yet published.
 */
export class SnapshotWriter {
  private dirty = new Map<string, TagState>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastWarning = 0;

  constructor(
    private readonly store: ScriptStore,
    private readonly log: Logger,
    private readonly flushMs = 2000,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.timer.unref();
  }

  /** Copies: the catalog updates its entries in place, and the snapshot must keep what was acknowledged. */
  mark(states: Iterable<TagState>): void {
    for (const state of states) {
      const held = this.dirty.get(state.tag);
      if (!held || held.ts <= state.ts) this.dirty.set(state.tag, { ...state });
    }
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.dirty.size === 0) return Promise.resolve();
    const batch = this.dirty;
    this.dirty = new Map();
    this.flushing = this.store
      .saveLatest([...batch.values()])
      .catch((error) => {
        // Put them back unless something newer arrived meanwhile.
        for (const state of batch.values()) if (!this.dirty.has(state.tag)) this.dirty.set(state.tag, state);
        const now = Date.now();
        if (now - this.lastWarning > 10_000) {
          this.lastWarning = now;
          this.log.warn(`restart snapshot not saved (will retry): ${messageOf(error)}`);
        }
      })
      .finally(() => {
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
