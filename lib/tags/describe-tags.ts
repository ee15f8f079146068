import { notFound } from '../model/errors';
import { checkTagRemoval, type TagRemoval } from './check-tag-removal';
import { toTagView, type TagView } from './list-tags';
import type { TagMetaPorts } from './tag-meta-ports';

/** A tag as /api/tags answers it: its latest value and its metadata (null when not known). */
export type DescribedTag = TagView & { description: string | null; unit: string | null; lo: number | null; hi: number | null };

/**
 * Brings the directory up to date for a read; when the database does not answer, the tag list still
 * shows the live values with the metadata last read (the catalog comes from the bus, not the database).
 */
async function refreshForRead(services: Pick<TagMetaPorts, 'tagDirectory'>): Promise<void> {
  try {
    await services.tagDirectory.refresh();
  } catch {
    // Metadata is a description of the values, not the values: serve them with what is known.
  }
}

function describe(services: Pick<TagMetaPorts, 'tagDirectory'>, view: TagView): DescribedTag {
  const { description, unit, lo, hi } = services.tagDirectory.metaOf(view.tag);
  return { ...view, description, unit, lo, hi };
}

/** GET /api/tags: case-insensitive substring search over tag names and descriptions, by name. */
export async function listDescribedTags(services: Pick<TagMetaPorts, 'catalog' | 'tagDirectory'>, query: string | undefined, limit: number | undefined): Promise<DescribedTag[]> {
  await refreshForRead(services);
  const needle = (query ?? '').trim().toLowerCase();
  const found = [];
  for (const state of services.catalog.values()) {
    if (needle === '' || state.tag.toLowerCase().includes(needle) || services.tagDirectory.metaOf(state.tag).description?.toLowerCase().includes(needle)) {
      found.push(state);
    }
  }
  found.sort((a, b) => a.tag.localeCompare(b.tag));
  return found.slice(0, limit ?? 50).map((state) => describe(services, toTagView(state)));
}

/** GET /api/tags/{tag}: the latest value, the metadata and whether an editor may remove the tag. */
export async function getDescribedTag(
  services: Pick<TagMetaPorts, 'catalog' | 'tagDirectory' | 'config'>,
  tag: string,
  now = Date.now(),
): Promise<DescribedTag & { removal: TagRemoval }> {
  await refreshForRead(services);
  const state = services.catalog.get(tag);
  if (!state) throw notFound('tag', tag);
  return { ...describe(services, toTagView(state)), removal: checkTagRemoval(services, tag, now) };
}
