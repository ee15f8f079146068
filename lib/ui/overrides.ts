import type { InputOverride, Quality, TagScalar } from './api-types';
import { parseDecimal } from './script-form';

/**
 * Input values typed for one run ("what if fuel were 0?"): numbers (dot or comma), true/false, null,
 * and anything else as text. An empty field means "use the latest value". A run may also set an
 * input's quality (to try isGood() branches) and time (to try old values).
 */

export function parseOverride(text: string): { value: TagScalar } | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  const number = parseDecimal(trimmed);
  if (number !== null) return { value: number };
  if (trimmed === 'true') return { value: true };
  if (trimmed === 'false') return { value: false };
  if (trimmed === 'null') return { value: null };
  // Quotes force text ("12" stays a string).
  const quoted = /^"(.*)"$/s.exec(trimmed) ?? /^'(.*)'$/s.exec(trimmed);
  return { value: quoted ? quoted[1] : trimmed };
}

/** What the run panel holds for one input: the typed value, a quality ('' = as is) and a local time ('' = now). */
export interface OverrideFields {
  value: string;
  quality: '' | Quality;
  /** As an <input type="datetime-local"> gives it: local time, "2026-11-27T10:00:05". */
  time: string;
}

export const NO_OVERRIDE: OverrideFields = { value: '', quality: '', time: '' };

export function fieldsOf(entry: string | OverrideFields | undefined): OverrideFields {
  return typeof entry === 'string' ? { ...NO_OVERRIDE, value: entry } : (entry ?? NO_OVERRIDE);
}

export function isOverridden(entry: string | OverrideFields | undefined): boolean {
  const fields = fieldsOf(entry);
  return fields.value.trim() !== '' || fields.quality !== '' || fields.time !== '';
}

/** A datetime-local text (the browser's zone) as epoch ms; null when empty or not a time. */
export function localTimeToEpoch(text: string): number | null {
  if (!text.trim()) return null;
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The overrides of a run, by alias, keeping only aliases of the script; undefined when none. A bare
 * value when only the value is typed (as before); `{ value, quality?, ts? }` when a quality or time is
 * set — with the latest value (`latest`, null when never seen) when no value is typed.
 */
export function overridesFor(
  entries: Record<string, string | OverrideFields>,
  aliases: readonly string[],
  latest: Record<string, TagScalar | undefined> = {},
): Record<string, InputOverride> | undefined {
  const result: Record<string, InputOverride> = {};
  let any = false;
  for (const alias of aliases) {
    const fields = fieldsOf(entries[alias]);
    const parsed = parseOverride(fields.value);
    const ts = localTimeToEpoch(fields.time);
    if (fields.quality === '' && ts === null) {
      if (!parsed) continue;
      result[alias] = parsed.value;
    } else {
      result[alias] = {
        value: parsed ? parsed.value : (latest[alias] ?? null),
        ...(fields.quality !== '' ? { quality: fields.quality } : {}),
        ...(ts !== null ? { ts } : {}),
      };
    }
    any = true;
  }
  return any ? result : undefined;
}
