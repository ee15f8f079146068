import type { Bus } from '../ports/bus';
import type { TagCatalog } from './tag-catalog';

/** What the tag use cases (list, read, publish values) need. */
export interface TagPorts {
  catalog: Pick<TagCatalog, 'get' | 'search'>;
  bus: Pick<Bus, 'publishRaw'>;
}
