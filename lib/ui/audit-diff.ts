/**
 * The unified diffs of a script change's audit entry (`details.diff.calcCode`, …), split into lines
 * the IDE colours: added, removed, hunk headers, file headers and context.
 */

export type DiffLineKind = 'file' | 'hunk' | 'add' | 'remove' | 'context' | 'note';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/**
 * Classifies each line of a unified diff. `---`/`+++` are file headers only before the first hunk:
 * inside a hunk, a removed line `-- comment` reads `--- comment` and is a removal.
 */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.replace(/\n$/, '').split('\n');
  let inHunk = false;
  return lines
    .filter((line) => !line.startsWith('Index: ') && !/^=+$/.test(line))
    .map((text): DiffLine => {
      if (text.startsWith('@@')) {
        inHunk = true;
        return { kind: 'hunk', text };
      }
      if (!inHunk) return { kind: text.startsWith('---') || text.startsWith('+++') ? 'file' : 'note', text };
      if (text.startsWith('+')) return { kind: 'add', text };
      if (text.startsWith('-')) return { kind: 'remove', text };
      if (text.startsWith('\\')) return { kind: 'note', text };
      return { kind: 'context', text };
    });
}

/** How many lines a diff adds and removes. */
export function diffStat(diff: string): { added: number; removed: number } {
  const lines = diffLines(diff);
  return { added: lines.filter((line) => line.kind === 'add').length, removed: lines.filter((line) => line.kind === 'remove').length };
}

export interface AuditDetailsView {
  /** The changed fields of a script change, when listed. */
  fields: string[];
  /** The code diffs, by field. */
  diffs: Array<{ field: string; diff: string }>;
  /** Everything else in `details`, shown as it is. */
  rest: Record<string, unknown>;
}

/** Splits an entry's `details` into the changed fields, the code diffs and the rest. */
export function auditDetailsView(details: Record<string, unknown>): AuditDetailsView {
  const { fields, diff, ...rest } = details;
  const diffs =
    diff && typeof diff === 'object'
      ? Object.entries(diff as Record<string, unknown>)
          .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
          .map(([field, text]) => ({ field, diff: text }))
      : [];
  return { fields: Array.isArray(fields) ? fields.filter((field): field is string => typeof field === 'string') : [], diffs, rest };
}
