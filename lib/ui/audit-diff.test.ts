import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../support/script-diff';
import { auditDetailsView, diffLines, diffStat } from './audit-diff';

describe('diffLines', () => {
  it('classifies the lines of a diff the audit trail stores', () => {
    const diff = unifiedDiff('calcCode', 'const a = 1;\nconst b = 2;\nout = a + b;', 'const a = 1;\nconst b = 3;\nout = a + b;');
    const kinds = diffLines(diff).map((line) => `${line.kind} ${line.text}`);
    expect(kinds).toEqual([
      'file --- a/calcCode',
      'file +++ b/calcCode',
      'hunk @@ -1,3 +1,3 @@',
      'context  const a = 1;',
      'remove -const b = 2;',
      'add +const b = 3;',
      'context  out = a + b;',
    ]);
  });
  it('reads a removed line that starts with -- as a removal, not a file header', () => {
    const lines = diffLines('--- a/x\n+++ b/x\n@@ -1 +1 @@\n--- old comment\n+++ new text\n');
    expect(lines.map((line) => line.kind)).toEqual(['file', 'file', 'hunk', 'remove', 'add']);
  });
  it('marks "No newline at end of file" as a note', () => {
    expect(diffLines('@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b').map((line) => line.kind)).toEqual(['hunk', 'remove', 'note', 'add']);
  });
  it('counts added and removed lines', () => {
    expect(diffStat(unifiedDiff('c', 'a\nb\n', 'a\nc\nd\n'))).toEqual({ added: 2, removed: 1 });
  });
});

describe('auditDetailsView', () => {
  it('splits a script change into its fields, code diffs and the rest', () => {
    const view = auditDetailsView({ fields: ['calcCode', 'name'], diff: { calcCode: '@@ -1 +1 @@\n-a\n+b' }, from: 'x' });
    expect(view.fields).toEqual(['calcCode', 'name']);
    expect(view.diffs).toEqual([{ field: 'calcCode', diff: '@@ -1 +1 @@\n-a\n+b' }]);
    expect(view.rest).toEqual({ from: 'x' });
  });
  it('copes with details that are not a script change', () => {
    expect(auditDetailsView({ reason: 'wrong-credentials' })).toEqual({ fields: [], diffs: [], rest: { reason: 'wrong-credentials' } });
    expect(auditDetailsView({ fields: 'x', diff: 3 })).toEqual({ fields: [], diffs: [], rest: {} });
  });
});
