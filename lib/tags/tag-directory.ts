import type { TagMeta } from '../model/tag-meta';
import type { ScriptStore, StoredScript } from '../ports/script-store';
import type { TagMetaStore } from '../ports/tag-meta-store';

/** A stored script as the tag directory sees it: who produces and who reads which tag. */
export interface ScriptRef {
  id: string;
  name: string;
}

/** The metadata a tag shows, and where it comes from. */
export interface EffectiveTagMeta extends TagMeta {
  /** The script producing the tag (its description and unit come from that script's outputs[]). */
  producer: ScriptRef | null;
}

interface ScriptEntry {
  ref: ScriptRef;
  outputs: Array<{ tag: string; description: string | null; unit: string | null }>;
  inputs: string[];
}

/** How long stored raw metadata is trusted before it is read again (another web process may change it). */
const RAW_META_TTL_MS = 5_000;

/**
 * The metadata of every tag, kept in memory for the tag list and its search: raw tags' entries from
 * the TagMetaStore, output tags' description and unit from the stored scripts (followed through the
 * script store's revisions, so a script saved a moment ago is seen at once). `refresh()` brings it up
 * to date; the use cases call it before they read.
 */
export class TagDirectory {
  private raw = new Map<string, TagMeta>();
  private rawLoadedAt = -Infinity;
  private readonly scripts = new Map<string, ScriptEntry>();
  private readonly producers = new Map<string, ScriptEntry>();
  private revision = 0;
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly deps: {
      tagMeta: Pick<TagMetaStore, 'listMeta'>;
      store: Pick<ScriptStore, 'changesSince'>;
      clock?: () => number;
    },
  ) {}

  /** Reads what changed since the last refresh (concurrent callers share one round trip). */
  refresh(): Promise<void> {
    this.refreshing ??= this.load().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async load(): Promise<void> {
    const now = (this.deps.clock ?? Date.now)();
    const rawDue = now - this.rawLoadedAt >= RAW_META_TTL_MS;
    const [changes, raw] = await Promise.all([this.deps.store.changesSince(this.revision), rawDue ? this.deps.tagMeta.listMeta() : null]);
    for (const script of changes) {
      this.revision = Math.max(this.revision, script.revision);
      this.applyScript(script);
    }
    if (raw) {
      this.raw = new Map(raw.map((entry) => [entry.tag, entry]));
      this.rawLoadedAt = now;
    }
  }

  private applyScript(script: StoredScript): void {
    const previous = this.scripts.get(script.id);
    if (previous) {
      for (const output of previous.outputs) if (this.producers.get(output.tag) === previous) this.producers.delete(output.tag);
      this.scripts.delete(script.id);
    }
    if (script.deleted) return;
    const entry: ScriptEntry = {
      ref: { id: script.id, name: script.definition.name },
      outputs: script.definition.outputs.map((output) => ({ tag: output.tag, description: output.description?.trim() || null, unit: output.unit?.trim() || null })),
      inputs: script.definition.inputs.map((input) => input.tag),
    };
    this.scripts.set(script.id, entry);
    for (const output of entry.outputs) this.producers.set(output.tag, entry);
  }

  /** The tag's metadata: its producer's declaration for an output tag, the stored entry otherwise. */
  metaOf(tag: string): EffectiveTagMeta {
    const producer = this.producers.get(tag);
    if (producer) {
      const output = producer.outputs.find((candidate) => candidate.tag === tag)!;
      return { tag, description: output.description, unit: output.unit, lo: null, hi: null, producer: producer.ref };
    }
    const raw = this.raw.get(tag);
    return { tag, description: raw?.description ?? null, unit: raw?.unit ?? null, lo: raw?.lo ?? null, hi: raw?.hi ?? null, producer: null };
  }

  /** Whether anything is kept about the tag besides a value: stored metadata or a producing script. */
  knows(tag: string): boolean {
    return this.raw.has(tag) || this.producers.has(tag);
  }

  producerOf(tag: string): ScriptRef | null {
    return this.producers.get(tag)?.ref ?? null;
  }

  /** Stored scripts that read the tag as an input, by name. */
  readersOf(tag: string): ScriptRef[] {
    const readers: ScriptRef[] = [];
    for (const entry of this.scripts.values()) if (entry.inputs.includes(tag)) readers.push(entry.ref);
    return readers.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Records an entry just stored by this process. */
  setRaw(meta: TagMeta): void {
    this.raw.set(meta.tag, { ...meta });
  }

  /** Forgets a tag's stored entry (the tag was removed). */
  forget(tag: string): void {
    this.raw.delete(tag);
  }
}
