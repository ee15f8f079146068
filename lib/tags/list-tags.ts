import { notFound } from '../model/errors';
import type { TagPorts } from './tag-ports';
import { isoTime, type TagState } from '../model/tag-value';

export interface TagView {
  tag: string;
  value: TagState['value'];
  ts: string;
  quality: TagState['quality'];
  source: TagState['source'];
  /** Only on a value that reports a failure or a stop (messages.md). */
  reason?: TagState['reason'];
}

export function toTagView(state: TagState): TagView {
  const view: TagView = { tag: state.tag, value: state.value, ts: isoTime(state.ts), quality: state.quality, source: state.source };
  if (state.reason !== undefined) view.reason = state.reason;
  return view;
}

/** Case-insensitive substring search over the tag catalog. */
export function listTags(services: Pick<TagPorts, 'catalog'>, query: string | undefined, limit: number | undefined): TagView[] {
  return services.catalog.search(query ?? '', limit ?? 50).map(toTagView);
}

export function getTag(services: Pick<TagPorts, 'catalog'>, tag: string): TagView {
  const state = services.catalog.get(tag);
  if (!state) throw notFound('tag', tag);
  return toTagView(state);
}
