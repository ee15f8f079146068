import { describe, expect, it } from 'vitest';
import { EditorEchoes, minimalEdit } from './editor-sync';

describe('EditorEchoes', () => {
  it('ignores a late echo of an older text while the user has typed further', () => {
    const echoes = new EditorEchoes();
    echoes.sentUp('t');
    echoes.sentUp('to');
    echoes.sentUp('tot');
    // The form renders with "to" while the model already holds "tot": writing it back would drop a key.
    expect(echoes.mustApply('to', 'tot')).toBe(false);
    expect(echoes.mustApply('tot', 'tot')).toBe(false);
  });

  it('applies a change made outside the editor', () => {
    const echoes = new EditorEchoes();
    echoes.sentUp('const a = x;');
    expect(echoes.mustApply('const a = steam;', 'const a = x;')).toBe(true);
  });

  it('forgets echoes the form has caught up with, so an old text coming back later is applied', () => {
    const echoes = new EditorEchoes();
    echoes.sentUp('a');
    echoes.sentUp('ab');
    expect(echoes.mustApply('ab', 'ab')).toBe(false);
    // A restored draft that happens to equal an earlier text is a real change.
    expect(echoes.mustApply('a', 'ab')).toBe(true);
  });

  it('does nothing when the text is already the model text', () => {
    expect(new EditorEchoes().mustApply('same', 'same')).toBe(false);
  });

  it('keeps a bounded memory', () => {
    const echoes = new EditorEchoes(3);
    for (const text of ['1', '2', '3', '4']) echoes.sentUp(text);
    expect(echoes.mustApply('1', '4')).toBe(true);
  });
});

describe('minimalEdit', () => {
  it('replaces only what differs', () => {
    expect(minimalEdit('const a = ft_101;', 'const a = steam;')).toEqual({ start: 10, end: 16, text: 'steam' });
  });

  it('handles insertions, deletions and repeated characters', () => {
    expect(minimalEdit('aaa', 'aaaa')).toEqual({ start: 3, end: 3, text: 'a' });
    expect(minimalEdit('abc', 'ac')).toEqual({ start: 1, end: 2, text: '' });
    expect(minimalEdit('', 'x')).toEqual({ start: 0, end: 0, text: 'x' });
    expect(minimalEdit('same', 'same')).toBeNull();
  });

  it('turns the old text into the new one', () => {
    const cases: [string, string][] = [['let total = 0;', 'let toal = 0;'], ['round(', 'rod('], ['x\ny', 'x\n\ny'], ['abcabc', 'abc']];
    for (const [before, after] of cases) {
      const edit = minimalEdit(before, after)!;
      expect(before.slice(0, edit.start) + edit.text + before.slice(edit.end)).toBe(after);
    }
  });
});
