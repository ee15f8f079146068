import { describe, expect, it } from 'vitest';
import { shortcutFor, shortcutLabel } from './shortcuts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; shiftKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...mods,
});

describe('shortcutFor', () => {
  it('maps the editor shortcuts', () => {
    expect(shortcutFor(key('s', { ctrlKey: true }))).toBe('save');
    expect(shortcutFor(key('S', { metaKey: true }))).toBe('save');
    expect(shortcutFor(key('Enter', { ctrlKey: true }))).toBe('calculate');
    expect(shortcutFor(key('F10'))).toBe('debugNext');
    expect(shortcutFor(key('F10', { shiftKey: true }))).toBe('debugPrevious');
  });
  it('ignores everything else', () => {
    expect(shortcutFor(key('s'))).toBeNull();
    expect(shortcutFor(key('Enter'))).toBeNull();
    expect(shortcutFor(key('s', { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor(key('F10', { ctrlKey: true }))).toBeNull();
  });
  it('labels shortcuts per platform', () => {
    expect(shortcutLabel('save', true)).toBe('⌘S');
    expect(shortcutLabel('calculate', false)).toBe('Ctrl+Enter');
  });
});
