import { describe, expect, it } from 'vitest';
import type { Diagnostic } from './api-types';
import { diagnosticField, diagnosticsToMarkers, markerColumns, sameDiagnostics, sortDiagnostics } from './diagnostic-markers';

const diag = (over: Partial<Diagnostic>): Diagnostic => ({ severity: 'error', message: 'm', source: 'calc', kind: 'syntax', ...over });

describe('markerColumns', () => {
  it('spans the identifier at the column', () => {
    expect(markerColumns('const eff = stem * 2;', 13)).toEqual({ start: 13, end: 17 });
  });
  it('marks one character for punctuation', () => {
    expect(markerColumns('const eff = (steam * 2;', 23)).toEqual({ start: 23, end: 24 });
  });
  it('marks the last character when the column is past the end', () => {
    expect(markerColumns('let a = (', 20)).toEqual({ start: 9, end: 10 });
  });
  it('handles an empty line', () => {
    expect(markerColumns('', 1)).toEqual({ start: 1, end: 2 });
  });
  it('spans non-ASCII identifiers', () => {
    expect(markerColumns('const 효율 = 1;', 7)).toEqual({ start: 7, end: 9 });
  });
});

describe('diagnosticsToMarkers', () => {
  const code = 'runs++;\nconst eff = stem * 2;';
  it('keeps only the diagnostics of the given part, at their line and column', () => {
    const markers = diagnosticsToMarkers(
      [
        diag({ source: 'calc', line: 2, column: 13, kind: 'reference', message: "'stem' is not defined — did you mean 'steam'?" }),
        diag({ source: 'init', line: 1, column: 1 }),
        diag({ source: 'definition', message: 'inputs[0].alias: bad' }),
      ],
      'calc',
      code,
    );
    expect(markers).toEqual([
      {
        startLineNumber: 2,
        startColumn: 13,
        endLineNumber: 2,
        endColumn: 17,
        message: "'stem' is not defined — did you mean 'steam'?",
        severity: 'error',
        kind: 'reference',
      },
    ]);
  });
  it('skips diagnostics without a line', () => {
    expect(diagnosticsToMarkers([diag({ line: undefined })], 'calc', code)).toEqual([]);
  });
  it('puts a line past the end of the code at the end of the last line', () => {
    const [marker] = diagnosticsToMarkers([diag({ line: 5, column: 1 })], 'calc', 'let a = (');
    expect(marker).toMatchObject({ startLineNumber: 1, startColumn: 9, endColumn: 10 });
  });
  it('keeps warnings as warnings', () => {
    const [marker] = diagnosticsToMarkers([diag({ line: 1, column: 1, severity: 'warning' })], 'calc', 'x');
    expect(marker.severity).toBe('warning');
  });
});

describe('diagnosticField', () => {
  it('parses the field path of a definition problem', () => {
    expect(diagnosticField({ message: "inputs[1].alias: 'class' is a reserved word" })).toEqual({ section: 'inputs', index: 1, field: 'alias' });
    expect(diagnosticField({ message: 'outputs[0].tag: x' })).toEqual({ section: 'outputs', index: 0, field: 'tag' });
    expect(diagnosticField({ message: 'name: must be' })).toEqual({ section: 'name', index: undefined, field: undefined });
    expect(diagnosticField({ message: "trigger.inputs[0]: 'x' is not an alias" })).toEqual({ section: 'trigger', index: undefined, field: 'inputs' });
  });
  it('returns null for other messages', () => {
    expect(diagnosticField({ message: "'stem' is not defined" })).toBeNull();
  });
});

describe('sortDiagnostics / sameDiagnostics', () => {
  it('puts errors first, then definition, init, calc by line', () => {
    const sorted = sortDiagnostics([
      diag({ severity: 'warning', source: 'definition' }),
      diag({ source: 'calc', line: 3 }),
      diag({ source: 'calc', line: 1 }),
      diag({ source: 'init', line: 9 }),
    ]);
    expect(sorted.map((d) => `${d.severity}:${d.source}:${d.line ?? ''}`)).toEqual(['error:init:9', 'error:calc:1', 'error:calc:3', 'warning:definition:']);
  });
  it('compares lists', () => {
    expect(sameDiagnostics([diag({ line: 1 })], [diag({ line: 1 })])).toBe(true);
    expect(sameDiagnostics([diag({ line: 1 })], [diag({ line: 2 })])).toBe(false);
    expect(sameDiagnostics([], [diag({})])).toBe(false);
  });
});
