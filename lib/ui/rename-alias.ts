import * as walk from 'acorn-walk';
import { analyzeCode } from '../compiler/analyze-code';
import type { TextEdit } from './editor-sync';

/**
 * Renaming an input's alias in the code: the identifiers that read the alias (free references, found
 * by the compiler's scope analysis) are renamed — a local variable of the same name, text in strings
 * and comments and property names stay as they are (`{ steam }` becomes `{ steam: vapour }`).
 */

export type AliasRename =
  | { ok: true; code: string; edits: TextEdit[]; count: number }
  | { ok: false; reason: 'syntax' | 'conflict'; line?: number; column?: number };

function lineStarts(code: string): number[] {
  const starts = [0];
  for (let i = 0; i < code.length; i += 1) {
    const char = code.charCodeAt(i);
    if (char === 10) starts.push(i + 1);
    else if (char === 13) {
      if (code.charCodeAt(i + 1) === 10) i += 1;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Offsets in `code` of the references to the free variable `name`; null when the code does not parse. */
export function aliasReferences(code: string, name: string): { start: number; end: number; shorthand: boolean }[] | null {
  const analysis = analyzeCode(code, 'calc');
  if (!analysis.ast) return null;
  const starts = lineStarts(code);
  const shorthand = new Set<number>();
  walk.full(analysis.ast, (node) => {
    if (node.type === 'Property') {
      const property = node as unknown as { shorthand: boolean; value: { type: string; start: number } };
      if (property.shorthand && property.value.type === 'Identifier') shorthand.add(property.value.start);
    }
  });
  return analysis.free
    .filter((reference) => reference.name === name)
    .map((reference) => {
      const start = starts[reference.line - 1] + reference.column - 1;
      return { start, end: start + name.length, shorthand: shorthand.has(start) };
    })
    .sort((a, b) => a.start - b.start);
}

/** Whether `name` is already used by the code for something (declared anywhere, or read as a global). */
export function nameInUse(code: string, name: string): boolean {
  const analysis = analyzeCode(code, 'calc');
  return analysis.topLevel.has(name) || analysis.nested.has(name) || analysis.free.some((reference) => reference.name === name);
}

export function applyEdits(code: string, edits: readonly TextEdit[]): string {
  let result = code;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  return result;
}

/** The code with the alias `from` renamed to `to`, or why it cannot be done safely. */
export function renameAliasInCode(code: string, from: string, to: string): AliasRename {
  const references = aliasReferences(code, from);
  if (references === null) {
    const syntax = analyzeCode(code, 'calc').diagnostics[0];
    return { ok: false, reason: 'syntax', line: syntax?.line, column: syntax?.column };
  }
  if (references.length > 0 && nameInUse(code, to)) return { ok: false, reason: 'conflict' };
  const edits = references.map((reference) => ({ start: reference.start, end: reference.end, text: reference.shorthand ? `${from}: ${to}` : to }));
  return { ok: true, code: applyEdits(code, edits), edits, count: edits.length };
}
