import type { Quality, TagScalar, TagSource, TagState, TagValue, ValueReason } from '../model/tag-value';
import { sameScalar } from '../model/tag-value';

/**
 * The latest value, timestamp, quality and source of every tag seen. Entries are updated in place
 * (no allocation per value): copy one to keep it.
 */
export class TagCatalog {
  private readonly tags = new Map<string, TagState>();
  private notGood = 0;
  /**
   * Tag ids: a small integer per tag name, assigned at first sight (a script's registration, a
   * value) and kept for the catalog's lifetime, so a pass can find a tag's entry, routes and
   * triggers by array index instead of by its name (Engine.ingestLanes). `byId` holds the same
   * entries as `tags`.
   */
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly byId: Array<TagState | undefined> = [];

  /** How many tags hold a quality other than good (0: every input of every script is good). */
  get notGoodCount(): number {
    return this.notGood;
  }

  get(tag: string): TagState | undefined {
    return this.tags.get(tag);
  }

  /** The tag's id (assigned now if the tag was never seen). */
  idOf(tag: string): number {
    let id = this.ids.get(tag);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(tag, id);
      this.names.push(tag);
      this.byId.push(this.tags.get(tag));
    }
    return id;
  }

  nameOf(id: number): string {
    return this.names[id];
  }

  getById(id: number): TagState | undefined {
    return this.byId[id];
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
    return this.applyById(this.idOf(value.tag), value.value, value.ts, value.quality, value.reason, source);
  }

  /** `apply` of a value given by its parts, the tag by its id (no object per value). */
  applyById(id: number, value: TagScalar, ts: number, quality: Quality, reason: ValueReason | undefined, source: TagSource): 'applied' | 'older' | 'duplicate' {
    const held = this.byId[id];
    if (held) {
      if (ts < held.ts) return 'older';
      if (ts === held.ts && held.quality === quality && sameScalar(held.value, value) && held.reason === reason) return 'duplicate';
      // Updated in place: the hot path allocates nothing per value.
      if (held.quality !== quality) {
        if (held.quality === 'good') this.notGood++;
        else if (quality === 'good') this.notGood--;
      }
      held.value = value;
      held.ts = ts;
      held.quality = quality;
      held.source = source;
      if (reason !== undefined) held.reason = reason;
      else if (held.reason !== undefined) delete held.reason;
    } else {
      const tag = this.names[id];
      const state: TagState = { tag, value, ts, quality, source };
      if (reason !== undefined) state.reason = reason;
      this.tags.set(tag, state);
      this.byId[id] = state;
      if (quality !== 'good') this.notGood++;
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
      const copy = { ...state };
      this.tags.set(state.tag, copy);
      this.byId[this.idOf(state.tag)] = copy;
    }
  }

  /** Drops a tag (removed from the catalog by an editor); a later value brings it back. */
  remove(tag: string): boolean {
    const held = this.tags.get(tag);
    if (!held) return false;
    if (held.quality !== 'good') this.notGood--;
    this.tags.delete(tag);
    this.byId[this.idOf(tag)] = undefined;
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
