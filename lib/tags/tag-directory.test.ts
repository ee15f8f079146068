import { describe, expect, it } from 'vitest';
import { OperationalError } from '../model/errors';
import type { TagMeta } from '../model/tag-meta';
import type { ScriptDraft } from '../model/script-schema';
import type { StoredScript } from '../ports/script-store';
import { listDescribedTags } from './describe-tags';
import { TagCatalog } from './tag-catalog';
import { TagDirectory } from './tag-directory';

/** A script store that only knows its revisions, as changesSince reports them. */
function revisions() {
  const rows = new Map<string, StoredScript>();
  let revision = 0;
  let down = false;
  const save = (id: string, definition: ScriptDraft, deleted = false) => {
    revision += 1;
    rows.set(id, { id, definition, version: 1, state: 'unregistered', lastError: null, createdAt: new Date(0), updatedAt: new Date(0), revision, deleted });
  };
  const store = {
    changesSince: async (after: number) => {
      if (down) throw new OperationalError('database', 'the database is unavailable: test');
      return [...rows.values()].filter((row) => row.revision > after).sort((a, b) => a.revision - b.revision);
    },
  };
  return { store, save, setDown: (value: boolean) => (down = value) };
}

const draft = (name: string, outputs: ScriptDraft['outputs'], inputTag = 'IN.PV'): ScriptDraft => ({ name, inputs: [{ tag: inputTag, alias: 'x' }], calcCode: 'const y = x;', outputs });

describe('TagDirectory', () => {
  it('follows the scripts by revision: an output’s metadata changes with its script and goes with it', async () => {
    const scripts = revisions();
    const raw: TagMeta[] = [{ tag: 'FT-1.PV', description: 'Steam', unit: 't/h', lo: 0, hi: 50 }];
    const directory = new TagDirectory({ tagMeta: { listMeta: async () => raw }, store: scripts.store });

    scripts.save('a', draft('eff', [{ tag: 'CALC.EFF', variable: 'y', unit: '%', description: 'Efficiency' }], 'FT-1.PV'));
    await directory.refresh();
    expect(directory.metaOf('CALC.EFF')).toEqual({ tag: 'CALC.EFF', description: 'Efficiency', unit: '%', lo: null, hi: null, producer: { id: 'a', name: 'eff' } });
    expect(directory.metaOf('FT-1.PV')).toMatchObject({ description: 'Steam', unit: 't/h', lo: 0, hi: 50, producer: null });
    expect(directory.readersOf('FT-1.PV')).toEqual([{ id: 'a', name: 'eff' }]);

    scripts.save('a', draft('eff', [{ tag: 'CALC.EFF2', variable: 'y', unit: 't/t' }]));
    await directory.refresh();
    expect(directory.producerOf('CALC.EFF')).toBeNull();
    expect(directory.metaOf('CALC.EFF2')).toMatchObject({ unit: 't/t', description: null });
    expect(directory.readersOf('FT-1.PV')).toEqual([]);

    scripts.save('a', draft('eff', [{ tag: 'CALC.EFF2', variable: 'y' }]), true);
    await directory.refresh();
    expect(directory.producerOf('CALC.EFF2')).toBeNull();
    expect(directory.knows('CALC.EFF2')).toBe(false);
  });

  it('still lists tags with the metadata last read when the database does not answer', async () => {
    const scripts = revisions();
    let now = 0;
    const directory = new TagDirectory({ tagMeta: { listMeta: async () => [{ tag: 'T.PV', description: 'Tank level', unit: '%', lo: null, hi: null }] }, store: scripts.store, clock: () => now });
    const catalog = new TagCatalog();
    catalog.apply({ tag: 'T.PV', value: 40, ts: 1, quality: 'good' }, 'raw');
    expect((await listDescribedTags({ catalog, tagDirectory: directory }, 'tank', 10)).map((tag) => tag.unit)).toEqual(['%']);

    scripts.setDown(true);
    now = 60_000;
    const listed = await listDescribedTags({ catalog, tagDirectory: directory }, 'tank', 10);
    expect(listed).toEqual([expect.objectContaining({ tag: 'T.PV', value: 40, description: 'Tank level', unit: '%' })]);
  });
});
