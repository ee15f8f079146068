import type { TagSource, TagState, TagValue } from '../model/tag-value';
import { sameScalar } from '../model/tag-value';

/**
 * The latest value, timestamp, quality and source of every tag seen. Entries are updated in place
 * (no allocation per value): copy one to keep it.
 */
export class TagCatalog {
  private readonly tags = new Map<string, TagState>();
  private notGood = 0;

  /** How many tags hold a quality other than good (0: every input of every script is good). */
  get notGoodCount(): number {
    return this.notGood;
  }

  get(tag: string): TagState | undefined {
    return this.tags.get(tag);
  }

  get size(): number {
    return this.tags.size;
  }

  values(): IterableIterator<TagState> {
    return this.tags.values();
  }

  /**
   * Applies a value if it is newer than the one held (or corrects the value at the same instant).
   * Returns 'applied', 'older' (kept for history only) or 'duplicate' (a redelivery of what is held).
   */
  apply(value: TagValue, source: TagSource): 'applied' | 'older' | 'duplicate' {
    const held = this.tags.get(value.tag);
    if (held) {
      if (value.ts < held.ts) return 'older';
      if (value.ts === held.ts && held.quality === value.quality && sameScalar(held.value, value.value) && held.reason === value.reason) return 'duplicate';
    }
    if (held) {
      // Updated in place: the hot path allocates nothing per value.
      if (held.quality !== value.quality) {
        if (held.quality === 'good') this.notGood++;
        else if (value.quality === 'good') this.notGood--;
      }
      held.value = value.value;
      held.ts = value.ts;
      held.quality = value.quality;
      held.source = source;
      if (value.reason !== undefined) held.reason = value.reason;
      else if (held.reason !== undefined) delete held.reason;
    } else {
      const state: TagState = { tag: value.tag, value: value.value, ts: value.ts, quality: value.quality, source };
      if (value.reason !== undefined) state.reason = value.reason;
      this.tags.set(value.tag, state);
      if (value.quality !== 'good') this.notGood++;
    }
    return 'applied';
  }

  /** Restores a snapshot: keeps whichever of held and restored is newer. */
  restore(states: Iterable<TagState>): void {
    for (const state of states) {
      const held = this.tags.get(state.tag);
      if (held && held.ts >= state.ts) continue;
      if (held && held.quality !== 'good') this.notGood--;
      if (state.quality !== 'good') this.notGood++;
      this.tags.set(state.tag, { ...state });
    }
  }

  /** Drops a tag (removed from the catalog by an editor); a later value brings it back. */
  remove(tag: string): boolean {
    const held = this.tags.get(tag);
    if (!held) return false;
    if (held.quality !== 'good') this.notGood--;
    this.tags.delete(tag);
    return true;
  }

  search(query: string, limit: number): TagState[] {
    const needle = query.toLowerCase();
    const found: TagState[] = [];
    for (const state of this.tags.values()) {
      if (needle === '' || state.tag.toLowerCase().includes(needle)) found.push(state);
    }
    found.sort((a, b) => a.tag.localeCompare(b.tag));
    return found.slice(0, limit);
  }
}
