import { BUILTIN_GLOBALS, HELPER_NAMES, isValidIdentifier, RESERVED_WORDS } from '../model/names';

/**
 * The alias offered when a tag is picked: a readable JavaScript name made from the tag name
 * ("FT-101.PV" → ft_101, "B-100.MODE" → b_100_mode), never one the script already uses and never
 * one the server would refuse.
 */

/** Suffixes that name the measurement's role rather than the instrument; dropped from the alias. */
const NOISE_SUFFIXES = new Set(['pv', 'value', 'val', 'out']);
/** A leading segment shared by many tags that would only lengthen every alias. */
const NOISE_PREFIXES = new Set(['calc']);
const MAX_LENGTH = 40;

export type AliasProblem =
  | { code: 'empty' }
  | { code: 'invalid' }
  | { code: 'reserved' }
  | { code: 'helper' }
  | { code: 'builtin' }
  | { code: 'internal' }
  | { code: 'duplicate' };

/** Why an alias cannot be used (as a code the UI translates), or null when it can. */
export function aliasProblem(alias: string, otherAliases: Iterable<string> = []): AliasProblem | null {
  if (alias.trim() === '') return { code: 'empty' };
  if (!isValidIdentifier(alias)) return { code: 'invalid' };
  if (RESERVED_WORDS.has(alias)) return { code: 'reserved' };
  if ((HELPER_NAMES as readonly string[]).includes(alias)) return { code: 'helper' };
  if (BUILTIN_GLOBALS.has(alias)) return { code: 'builtin' };
  if (alias.startsWith('__ss')) return { code: 'internal' };
  for (const other of otherAliases) if (other === alias) return { code: 'duplicate' };
  return null;
}

function words(tag: string): string[] {
  return tag
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((word) => word.toLowerCase());
}

export function suggestAlias(tag: string, taken: Iterable<string> = []): string {
  const used = new Set(taken);
  let parts = words(tag);
  if (parts.length > 1 && NOISE_SUFFIXES.has(parts[parts.length - 1])) parts = parts.slice(0, -1);
  if (parts.length > 1 && NOISE_PREFIXES.has(parts[0])) parts = parts.slice(1);
  let base = parts.join('_').slice(0, MAX_LENGTH).replace(/_+$/, '');
  if (base === '') base = 'input';
  if (/^\p{N}/u.test(base)) base = `tag_${base}`;
  if (aliasProblem(base) !== null) base = `${base}_value`;
  if (aliasProblem(base) !== null) base = 'input';
  let candidate = base;
  for (let n = 2; used.has(candidate); n += 1) candidate = `${base}_${n}`;
  return candidate;
}
