/** A problem found in a script, placed in the user's own code (1-based line and column). */
export type DiagnosticSource = 'init' | 'calc' | 'definition';
export type DiagnosticKind = 'syntax' | 'reference' | 'runtime' | 'timeout' | 'memory' | 'output' | 'definition';

export interface Diagnostic {
  severity: 'error' | 'warning';
  /** English, for the API and logs; the IDE shows it in the user's language from `code` and `params`. */
  message: string;
  source: DiagnosticSource;
  line?: number;
  column?: number;
  kind: DiagnosticKind;
  /** Stable name of the message (lib/model/diagnostic-messages.ts). */
  code?: string;
  /** The values in the message (names, lines, a suggestion). */
  params?: Record<string, string | number>;
}

export const CODE_LABEL: Record<DiagnosticSource, string> = { init: 'init', calc: 'calc', definition: 'definition' };

/** The parts of a script as a user names them (never `calcCode`/`initCode`). */
export const PART_NAME_EN: Record<DiagnosticSource, string> = { init: 'the initialization', calc: 'the calculation', definition: 'the definition' };

/** "at line 3, column 14 of the calculation" */
export function where(source: DiagnosticSource, line?: number, column?: number): string {
  if (line === undefined) return `in ${PART_NAME_EN[source]}`;
  return column === undefined ? `at line ${line} of ${PART_NAME_EN[source]}` : `at line ${line}, column ${column} of ${PART_NAME_EN[source]}`;
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((diagnostic) => diagnostic.severity === 'error');
}
