import { describe, expect, it } from 'vitest';
import { openedForSuite, unique } from './contract-support';
import type { TagMeta } from '../../model/tag-meta';
import type { ScriptStore } from '../../ports/script-store';
import type { TagMetaStore } from '../../ports/tag-meta-store';

/**
 * What every TagMetaStore must do, run against each adapter (PGlite beside the adapter, PostgreSQL
 * under tests/integration). The ScriptStore on the same database is given too: forgetting a tag
 * removes its row of the restart snapshot. Every test works on tags of its own.
 */

export interface OpenedTagMetaStore {
  tagMeta: TagMetaStore;
  scripts: ScriptStore;
  cleanup(): Promise<void>;
}



const meta = (tag: string, fields: Partial<Omit<TagMeta, 'tag'>> = {}): TagMeta => ({ tag, description: null, unit: null, lo: null, hi: null, ...fields });

export function describeTagMetaStoreContract(name: string, open: () => Promise<OpenedTagMetaStore>): void {
  describe(`TagMetaStore contract: ${name}`, () => {
    const opened = openedForSuite(open, (suite) => suite);
    const store = () => opened().tagMeta;

    it('stores all four fields and reads them back exactly (text, unicode, negative and fractional limits)', async () => {
      const tag = unique('TT-1.PV');
      const stored = await store().putMeta(meta(tag, { description: 'Température du ballon « B-100 » 보일러', unit: '°C', lo: -40.5, hi: 1e6 }));
      expect(stored).toEqual(meta(tag, { description: 'Température du ballon « B-100 » 보일러', unit: '°C', lo: -40.5, hi: 1e6 }));
      expect(await store().getMeta(tag)).toEqual(stored);
      expect(await store().getMeta(unique('never'))).toBeNull();
    });

    it('replaces every field on put: a field given as null is cleared', async () => {
      const tag = unique('FT-2.PV');
      await store().putMeta(meta(tag, { description: 'Steam flow', unit: 't/h', lo: 0, hi: 90 }));
      const replaced = await store().putMeta(meta(tag, { unit: 'kg/s' }));
      expect(replaced).toEqual(meta(tag, { unit: 'kg/s' }));
      expect(await store().getMeta(tag)).toEqual(meta(tag, { unit: 'kg/s' }));
    });

    it('seeds only tags that have no entry, keeping what a user set', async () => {
      const mine = unique('PT-3.PV');
      const fresh = unique('LT-3.PV');
      await store().putMeta(meta(mine, { description: 'set by a user', unit: 'bar' }));
      const added = await store().seedMeta([meta(mine, { description: 'from the simulator', unit: 'barg' }), meta(fresh, { description: 'Drum level', unit: '%', lo: 0, hi: 100 })]);
      expect(added).toBe(1);
      expect(await store().getMeta(mine)).toEqual(meta(mine, { description: 'set by a user', unit: 'bar' }));
      expect(await store().getMeta(fresh)).toEqual(meta(fresh, { description: 'Drum level', unit: '%', lo: 0, hi: 100 }));
      expect(await store().seedMeta([meta(fresh, { unit: 'other' })])).toBe(0);
      expect(await store().seedMeta([])).toBe(0);
    });

    it('lists every entry in tag order', async () => {
      const prefix = unique('LIST');
      await store().putMeta(meta(`${prefix}.B`, { unit: 'b' }));
      await store().putMeta(meta(`${prefix}.A`, { unit: 'a' }));
      const listed = (await store().listMeta()).filter((entry) => entry.tag.startsWith(prefix));
      expect(listed).toEqual([meta(`${prefix}.A`, { unit: 'a' }), meta(`${prefix}.B`, { unit: 'b' })]);
    });

    it('forgets a tag: its metadata and its snapshot row go, other tags stay', async () => {
      const gone = unique('OLD.TAG');
      const kept = unique('KEPT.TAG');
      await store().putMeta(meta(gone, { unit: 'm3/h' }));
      await store().putMeta(meta(kept, { unit: 'm3/h' }));
      await opened().scripts.saveLatest([
        { tag: gone, value: 1.5, ts: 1_700_000_000_000, quality: 'good', source: 'script' },
        { tag: kept, value: 2.5, ts: 1_700_000_000_000, quality: 'good', source: 'raw' },
      ]);

      expect(await store().forgetTag(gone)).toBe(true);

      expect(await store().getMeta(gone)).toBeNull();
      expect(await store().getMeta(kept)).not.toBeNull();
      const latest = (await opened().scripts.loadLatest()).map((state) => state.tag);
      expect(latest).not.toContain(gone);
      expect(latest).toContain(kept);
      expect(await store().forgetTag(gone)).toBe(false);
    });

    it('forgets a tag that only has a snapshot row (a left-behind output)', async () => {
      const tag = unique('CALC.LEFT');
      await opened().scripts.saveLatest([{ tag, value: null, ts: 1_700_000_000_000, quality: 'bad', source: 'script' }]);
      expect(await store().forgetTag(tag)).toBe(true);
      expect((await opened().scripts.loadLatest()).map((state) => state.tag)).not.toContain(tag);
    });
  });
}
