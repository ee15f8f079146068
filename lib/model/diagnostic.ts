/** A problem found in a script, placed in the user's own code (1-based line and column). */
export type DiagnosticSource = 'init' | 'calc' | 'definition';
export type DiagnosticKind = 'syntax' | 'reference' | 'runtime' | 'timeout' | 'memory' | 'output' | 'definition';

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  source: DiagnosticSource;
  line?: number;
  column?: number;
  kind: DiagnosticKind;
}

export const CODE_LABEL: Record<DiagnosticSource, string> = { init: 'init', calc: 'calc', definition: 'definition' };

/** "at calc line 3, column 14" */
export function where(source: DiagnosticSource, line?: number, column?: number): string {
  if (line === undefined) return `in ${source === 'definition' ? 'the definition' : `${source}Code`}`;
  return column === undefined ? `at ${source} line ${line}` : `at ${source} line ${line}, column ${column}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}
