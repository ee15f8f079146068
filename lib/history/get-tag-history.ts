import { notFound, UserError } from '../model/errors';
import { MinMaxDownsampler } from './downsample';
import type { HistoryStore } from '../ports/history-store';
import type { TagCatalog } from '../tags/tag-catalog';
import { parseTimestamp } from '../model/parse-tag-fields';
import { isoTime, type Quality, type TagScalar } from '../model/tag-value';

export interface TagHistory {
  tag: string;
  points: Array<{ ts: string; value: TagScalar; quality: Quality }>;
}

export const DEFAULT_HISTORY_RANGE_MS = 60 * 60 * 1000;

/** Parses the from/to of a history or plot request; `to` defaults to now, `from` to an hour before. */
export function parseRange(from: unknown, to: unknown, now = Date.now()): { from: number; to: number } {
  const end = to === undefined ? { ok: true as const, value: now } : parseTimestamp(to, now, now);
  if (!end.ok) throw new UserError('VALIDATION_FAILED', `to: ${end.reason}`);
  const start = from === undefined ? { ok: true as const, value: end.value - DEFAULT_HISTORY_RANGE_MS } : parseTimestamp(from, now, now);
  if (!start.ok) throw new UserError('VALIDATION_FAILED', `from: ${start.reason}`);
  if (start.value > end.value) throw new UserError('VALIDATION_FAILED', 'from must not be after to');
  return { from: start.value, to: end.value };
}

/** What reading a tag's history needs: the history store, and the catalog to tell an unknown tag from a quiet one. */
export interface TagHistoryPorts {
  history: Pick<HistoryStore, 'read'>;
  catalog: Pick<TagCatalog, 'get'>;
}

export async function getTagHistory(
  services: TagHistoryPorts,
  tag: string,
  query: { from?: string; to?: string; maxPoints?: number },
): Promise<TagHistory> {
  const range = parseRange(query.from, query.to);
  const sampler = new MinMaxDownsampler(range.from, range.to, query.maxPoints ?? 1000);
  for await (const chunk of services.history.read(tag, range.from, range.to)) for (const point of chunk) sampler.add(point);
  if (sampler.seen === 0 && !services.catalog.get(tag)) throw notFound('tag', tag);
  return { tag, points: sampler.points().map((point) => ({ ts: isoTime(point.ts), value: point.value, quality: point.quality })) };
}
