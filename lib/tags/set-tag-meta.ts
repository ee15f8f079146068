import { UserError } from '../model/errors';
import type { TagMeta, TagMetaBody } from '../model/tag-meta';
import type { TagMetaPorts } from './tag-meta-ports';

/**
 * PUT /api/tags/{tag}/meta: replaces the description, unit and normal range of a raw tag (a field
 * left out becomes null). A tag must be known (it has had a value, or has metadata already). An
 * output tag's description and unit are its script's: they are changed in the script, not here.
 */
export async function setTagMeta(services: Pick<TagMetaPorts, 'catalog' | 'tagMeta' | 'tagDirectory'>, tag: string, body: TagMetaBody): Promise<TagMeta> {
  await services.tagDirectory.refresh();
  const producer = services.tagDirectory.producerOf(tag);
  if (producer) {
    throw new UserError(
      'CONFLICT',
      `tag '${tag}' is produced by script '${producer.name}': its description and unit are set in that script's outputs, not here`,
      { tag, scriptId: producer.id, script: producer.name },
    );
  }
  if (!services.catalog.get(tag) && !services.tagDirectory.knows(tag)) {
    throw new UserError('NOT_FOUND', `tag '${tag}' was not found: metadata can be set once the tag has received a value`, { id: tag });
  }
  const stored = await services.tagMeta.putMeta({ tag, description: body.description, unit: body.unit, lo: body.lo, hi: body.hi });
  services.tagDirectory.setRaw(stored);
  return stored;
}
