/**
 * The order of Monaco's completion list for a script: the script's aliases first, then `ctx` and the
 * helpers, then the script's own variables, then JavaScript's built-ins and keywords — a manager
 * typing `s` wants `steam`, not `String` or `switch`.
 */

/** Names every script has besides its aliases (lib/sandbox/prelude.ts). */
export const SCRIPT_HELPERS: readonly string[] = ['ctx', 'clamp', 'avg', 'sum', 'round', 'isGood', 'console'];

export interface CompletionEntry {
  name: string;
  /** The JavaScript service's own sortText ("11" locals, "15" globals and keywords, …). */
  sortText: string;
}

/**
 * The sortText Monaco orders by (after how well the typed text matches). Member completions
 * (`Math.` …) keep the service's order: there the helpers' names mean something else.
 */
export function completionSortText(entry: CompletionEntry, aliases: ReadonlySet<string>, isMemberCompletion: boolean): string {
  if (isMemberCompletion) return `5${entry.sortText}`;
  if (aliases.has(entry.name)) return `0${entry.name}`;
  if (SCRIPT_HELPERS.includes(entry.name)) return `1${entry.name}`;
  // The service ranks what the script declares ("10", "11") before globals and keywords ("15"…).
  if (entry.sortText < '15') return `2${entry.sortText}`;
  return `5${entry.sortText}`;
}

/** The aliases declared in the generated declarations (script-declarations.ts): `declare const steam: number;`. */
export function declaredAliases(declarations: string): Set<string> {
  const aliases = new Set<string>();
  for (const match of declarations.matchAll(/^declare const ([^\s:]+):/gmu)) if (!SCRIPT_HELPERS.includes(match[1])) aliases.add(match[1]);
  return aliases;
}

/** Entries in the order Monaco will show them when nothing narrows the list. */
export function rankCompletions<T extends CompletionEntry>(entries: readonly T[], aliases: ReadonlySet<string>, isMemberCompletion = false): T[] {
  const keyed = entries.map((entry) => ({ entry, key: completionSortText(entry, aliases, isMemberCompletion) }));
  return keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.entry.name.localeCompare(b.entry.name))).map(({ entry }) => entry);
}
