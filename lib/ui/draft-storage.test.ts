import { describe, expect, it } from 'vitest';
import type { ScriptDraft } from './api-types';
import { clearDraft, draftKey, draftToOffer, readDraft, writeDraft, type DraftStore } from './draft-storage';

class MemoryStore implements DraftStore {
  readonly items = new Map<string, string>();
  failWrites = false;
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    if (this.failWrites) throw new Error('QuotaExceededError');
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

const draft: ScriptDraft = {
  name: 'steam_ratio',
  inputs: [{ tag: 'FT-101.PV', alias: 'steam' }],
  initCode: '',
  calcCode: 'const result = steam * 2;',
  outputs: [{ tag: 'CALC.STEAM_RATIO', variable: 'result' }],
  trigger: { type: 'onChange' },
};

describe('draft storage', () => {
  it('keeps one draft per script and one for a new script', () => {
    const store = new MemoryStore();
    expect(writeDraft(store, 'abc', draft, 3, new Date('2025-01-02T03:04:05Z'))).toBe(true);
    writeDraft(store, null, { ...draft, name: 'other' }, null, new Date('2025-01-02T03:05:00Z'));
    expect(readDraft(store, 'abc')).toEqual({ savedAt: '2025-01-02T03:04:05.000Z', baseVersion: 3, draft });
    expect(readDraft(store, null)?.draft.name).toBe('other');
    expect(draftKey(null)).toBe('script-server.draft.new');
    expect(readDraft(store, 'missing')).toBeNull();
  });

  it('clears a draft (saved or discarded)', () => {
    const store = new MemoryStore();
    writeDraft(store, 'abc', draft, 1, new Date());
    clearDraft(store, 'abc');
    expect(readDraft(store, 'abc')).toBeNull();
  });

  it('drops a damaged entry instead of offering it', () => {
    const store = new MemoryStore();
    store.items.set(draftKey('abc'), '{not json');
    expect(readDraft(store, 'abc')).toBeNull();
    expect(store.items.has(draftKey('abc'))).toBe(false);
    store.items.set(draftKey('abc'), JSON.stringify({ savedAt: 'yesterday', baseVersion: 1, draft }));
    expect(readDraft(store, 'abc')).toBeNull();
    store.items.set(draftKey('abc'), JSON.stringify({ savedAt: new Date().toISOString(), baseVersion: 1, draft: { name: 'x' } }));
    expect(readDraft(store, 'abc')).toBeNull();
  });

  it('says so when the browser refuses to store', () => {
    const store = new MemoryStore();
    store.failWrites = true;
    expect(writeDraft(store, 'abc', draft, 1, new Date())).toBe(false);
  });

  it('offers a draft only when it differs from what the editor opened', () => {
    const stored = { savedAt: '2025-01-02T03:04:05.000Z', baseVersion: 1, draft };
    expect(draftToOffer(stored, { ...draft, calcCode: 'const result = 0;' })).toBe(stored);
    expect(draftToOffer(stored, structuredClone(draft))).toBeNull();
    expect(draftToOffer(null, draft)).toBeNull();
  });
});
