import { createTwoFilesPatch } from 'diff';
import type { ScriptDraft } from '../model/script-schema';

/**
 * What changed between two versions of a script, for the `details` of a `script.update` audit
 * entry (security.md): the names of the changed fields, and a unified diff of each changed code
 * field (initCode, calcCode) made by the `diff` library.
 */
export interface ScriptChangeDetails {
  fields: string[];
  diff?: Partial<Record<'initCode' | 'calcCode', string>>;
}

const CODE_FIELDS = ['initCode', 'calcCode'] as const;

export function describeScriptChange(before: ScriptDraft, after: ScriptDraft): ScriptChangeDetails {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof ScriptDraft>;
  const fields = [...keys].filter((key) => JSON.stringify(before[key] ?? null) !== JSON.stringify(after[key] ?? null)).sort();
  const diff: ScriptChangeDetails['diff'] = {};
  for (const field of CODE_FIELDS) {
    if (!fields.includes(field)) continue;
    diff[field] = unifiedDiff(`${field}`, String(before[field] ?? ''), String(after[field] ?? ''));
  }
  return Object.keys(diff).length ? { fields, diff } : { fields };
}

/** A unified diff of `before` → `after` with 3 lines of context, without the file header's timestamps. */
export function unifiedDiff(name: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${name}`, `b/${name}`, withNewline(before), withNewline(after), undefined, undefined, { context: 3 })
    .split('\n')
    .filter((line) => !line.startsWith('====='))
    .join('\n');
}

function withNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
