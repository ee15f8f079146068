import type { OutputValue, TagValue } from '../model/tag-value';
import type { LoadedScript, StaleRule, Tap } from './engine-types';

/**
 * Shadow runs follow the live engine: the tags the candidates read are marked on the taps (the
 * lookup each raw value already makes) and on the scripts publishing them, so a pass hands over
 * exactly their values and spends nothing on the tags nobody follows.
 */

/** Marks the taps and scripts of followed tags; a followed tag nobody live reads gets a tap of its own. */
export function applyFollow(taps: Map<string, Tap>, scripts: Iterable<LoadedScript>, staleRules: ReadonlyMap<string, StaleRule>, tags: ReadonlySet<string> | null): void {
  for (const [tag, tap] of taps) {
    tap.follow = tags !== null && tags.has(tag);
    if (!tap.follow && tap.routes.length === 0 && tap.dependents.length === 0) taps.delete(tag);
  }
  if (tags) for (const tag of tags) if (!taps.has(tag)) taps.set(tag, { routes: [], dependents: [], stale: staleRules.get(tag) ?? null, follow: true });
  for (const script of scripts) script.followed = tags !== null && script.outputTags.some((tag) => tags.has(tag));
}

/** Appends an output of a followed tag to a pass's follower list (value, ts and quality, as a raw value). */
export function forwardOutput(followed: TagValue[] | null, tags: ReadonlySet<string> | null, output: OutputValue): void {
  if (followed !== null && tags?.has(output.tag)) followed.push({ tag: output.tag, value: output.value, ts: output.ts, quality: output.quality });
}
