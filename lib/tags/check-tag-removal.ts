import { isoTime } from '../model/tag-value';
import type { TagMetaPorts } from './tag-meta-ports';
import type { ScriptRef } from './tag-directory';

const DAY_MS = 86_400_000;

/**
 * Whether an editor may remove a tag from the catalog (issue 13 item 8): no stored script produces
 * it or reads it, and it has had no value for HISTORY_RETENTION_DAYS. Codes and parameters let the
 * IDE say why in the user's language; `message` is the API's English.
 */
export type TagRemoval =
  | { allowed: true }
  | { allowed: false; code: 'produced'; script: ScriptRef; message: string }
  | { allowed: false; code: 'read'; scripts: ScriptRef[]; message: string }
  | { allowed: false; code: 'recent'; source: 'raw' | 'script'; lastValueAt: string; removableAt: string; retentionDays: number; message: string };

export function checkTagRemoval(services: Pick<TagMetaPorts, 'catalog' | 'tagDirectory' | 'config'>, tag: string, now: number): TagRemoval {
  const producer = services.tagDirectory.producerOf(tag);
  if (producer) {
    return {
      allowed: false,
      code: 'produced',
      script: producer,
      message: `tag '${tag}' is produced by script '${producer.name}': remove it from that script's outputs (or delete the script) first`,
    };
  }
  const readers = services.tagDirectory.readersOf(tag);
  if (readers.length > 0) {
    const names = readers.map((reader) => `'${reader.name}'`).join(', ');
    return {
      allowed: false,
      code: 'read',
      scripts: readers,
      message: `tag '${tag}' is an input of script${readers.length > 1 ? 's' : ''} ${names}: remove it from ${readers.length > 1 ? 'their' : 'its'} inputs first`,
    };
  }
  const state = services.catalog.get(tag);
  const retentionDays = services.config.HISTORY_RETENTION_DAYS;
  const removableFrom = state ? state.ts + retentionDays * DAY_MS : -Infinity;
  if (state && now < removableFrom) {
    const lastValueAt = isoTime(state.ts);
    const removableAt = isoTime(removableFrom);
    const why =
      state.source === 'raw'
        ? `a plant tag that still receives values cannot be removed`
        : `no script produces it any more, but its values are kept for the retention period`;
    return {
      allowed: false,
      code: 'recent',
      source: state.source,
      lastValueAt,
      removableAt,
      retentionDays,
      message: `tag '${tag}' had a value at ${lastValueAt}: ${why}; it can be removed once it has had no value for ${retentionDays} days (HISTORY_RETENTION_DAYS), from ${removableAt}`,
    };
  }
  return { allowed: true };
}
