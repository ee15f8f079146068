import type { TagScalar } from './api-types';
import { parseDecimal } from './script-form';

/**
 * Input values typed for one run ("what if fuel were 0?"): numbers (dot or comma), true/false, null,
 * and anything else as text. An empty field means "use the latest value".
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

/** The overrides of a run, by alias, keeping only aliases of the script; undefined when none. */
export function overridesFor(texts: Record<string, string>, aliases: readonly string[]): Record<string, TagScalar> | undefined {
  const result: Record<string, TagScalar> = {};
  let any = false;
  for (const alias of aliases) {
    const parsed = parseOverride(texts[alias] ?? '');
    if (!parsed) continue;
    result[alias] = parsed.value;
    any = true;
  }
  return any ? result : undefined;
}
