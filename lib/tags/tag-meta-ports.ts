import type { TagMetaStore } from '../ports/tag-meta-store';
import type { TagCatalog } from './tag-catalog';
import type { TagDirectory } from './tag-directory';

/** What the tag metadata and removal use cases need; the composition root provides it. */
export interface TagMetaPorts {
  catalog: Pick<TagCatalog, 'get' | 'values' | 'remove'>;
  tagMeta: TagMetaStore;
  tagDirectory: TagDirectory;
  config: { HISTORY_RETENTION_DAYS: number };
}
