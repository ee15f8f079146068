import type { Diagnostic } from './api-types';

/**
 * Diagnostics of the API → editor markers. The API gives a 1-based line and column of where the
 * problem starts; a marker needs a range, so it spans the word (or the single character) there, which
 * is what the user needs to see underlined.
 */

export type CodeSource = 'init' | 'calc';

export interface EditorMarker {
  startLineNumber: number;
  startColumn: number;
  endLineNumber: number;
  endColumn: number;
  message: string;
  severity: 'error' | 'warning';
  kind: Diagnostic['kind'];
}

const WORD_CHAR = /[\p{ID_Continue}$\u200c\u200d]/u;

/** The range [start, end) of columns (1-based) to underline on a line for a problem at `column`. */
export function markerColumns(lineText: string, column: number): { start: number; end: number } {
  const length = lineText.length;
  if (length === 0) return { start: 1, end: 2 };
  // Past the end (e.g. "unexpected end of input"): mark the last character of the line.
  if (column > length) return { start: length, end: length + 1 };
  const start = Math.max(1, column);
  const char = lineText[start - 1];
  if (WORD_CHAR.test(char)) {
    let end = start;
    while (end <= length && WORD_CHAR.test(lineText[end - 1])) end += 1;
    return { start, end };
  }
  return { start, end: start + 1 };
}

/** The markers for one of the two code editors. Diagnostics without a line stay in the problems list. */
/** `text` says a diagnostic in the user's language (its English message when absent). */
export function diagnosticsToMarkers(
  diagnostics: readonly Diagnostic[],
  source: CodeSource,
  code: string,
  text: (diagnostic: Diagnostic) => string = (diagnostic) => diagnostic.message,
): EditorMarker[] {
  const lines = code.split(/\r\n|\r|\n/);
  const markers: EditorMarker[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== source || diagnostic.line === undefined || diagnostic.line < 1) continue;
    const line = Math.min(diagnostic.line, lines.length);
    const lineText = lines[line - 1] ?? '';
    // A line beyond the code (e.g. end of input) is shown at the end of the last line.
    const column = diagnostic.line > lines.length ? lineText.length + 1 : (diagnostic.column ?? 1);
    const { start, end } = markerColumns(lineText, column);
    markers.push({
      startLineNumber: line,
      startColumn: start,
      endLineNumber: line,
      endColumn: end,
      message: text(diagnostic),
      severity: diagnostic.severity,
      kind: diagnostic.kind,
    });
  }
  return markers;
}

/** The field a definition diagnostic is about, parsed from its "inputs[1].alias: …" prefix. */
export interface DiagnosticField {
  section: 'name' | 'description' | 'inputs' | 'outputs' | 'trigger' | 'initCode' | 'calcCode';
  index?: number;
  field?: string;
}

const FIELD_PATH = /^(name|description|inputs|outputs|trigger|initCode|calcCode)(?:\[(\d+)\])?(?:\.([A-Za-z]+))?(?:\[\d+\])?:\s/;

export function diagnosticField(diagnostic: Pick<Diagnostic, 'message' | 'params'>): DiagnosticField | null {
  const path = diagnostic.params?.path;
  const match = FIELD_PATH.exec(typeof path === 'string' && path ? `${path}: ` : diagnostic.message);
  if (!match) return null;
  return {
    section: match[1] as DiagnosticField['section'],
    index: match[2] === undefined ? undefined : Number(match[2]),
    field: match[3],
  };
}

/** Problems in the order a user fixes them: errors first, then by part (definition, init, calc) and line. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const partOrder = { definition: 0, init: 1, calc: 2 } as const;
  return [...diagnostics].sort(
    (a, b) =>
      (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1) ||
      partOrder[a.source] - partOrder[b.source] ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Same diagnostics (the editor skips redrawing markers when nothing changed). */
export function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((d, i) => {
    const e = b[i];
    return d.message === e.message && d.source === e.source && d.line === e.line && d.column === e.column && d.severity === e.severity;
  });
}
