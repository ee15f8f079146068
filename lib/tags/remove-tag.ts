import { notFound, UserError } from '../model/errors';
import { checkTagRemoval } from './check-tag-removal';
import type { TagMetaPorts } from './tag-meta-ports';

/**
 * DELETE /api/tags/{tag}: removes a tag that no script produces or reads and that has had no value
 * for the retention period — its catalog entry, its snapshot row and its metadata. History is left
 * to retention (by then it has none left in the embedded store). A later value brings the tag back,
 * as any new tag appears.
 */
export async function removeTag(services: TagMetaPorts, tag: string, now = Date.now()): Promise<void> {
  await services.tagDirectory.refresh();
  if (!services.catalog.get(tag) && !services.tagDirectory.knows(tag)) throw notFound('tag', tag);
  const removal = checkTagRemoval(services, tag, now);
  if (!removal.allowed) {
    const { allowed: _allowed, message, ...details } = removal;
    throw new UserError('CONFLICT', message, { tag, ...details });
  }
  await services.tagMeta.forgetTag(tag);
  services.tagDirectory.forget(tag);
  services.catalog.remove(tag);
}
