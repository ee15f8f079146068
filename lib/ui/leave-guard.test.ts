import { describe, expect, it } from 'vitest';
import { guardState, isGuardState, leavingLink, mustAsk } from './leave-guard';

const click = { defaultPrevented: false, button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false };
const here = 'http://plant:3000/scripts/abc';
const link = (href: string, extra: Partial<{ target: string; download: boolean }> = {}) => ({ href, target: '', download: false, ...extra });

describe('mustAsk', () => {
  it('asks only with changes not yet confirmed away', () => {
    expect(mustAsk({ changed: true, leaving: false })).toBe(true);
    expect(mustAsk({ changed: false, leaving: false })).toBe(false);
    expect(mustAsk({ changed: true, leaving: true })).toBe(false);
  });
});

describe('leavingLink', () => {
  it('returns the in-app address a plain click leaves for', () => {
    expect(leavingLink(click, link('/'), here)).toBe('/');
    expect(leavingLink(click, link('http://plant:3000/trends?script=abc#x'), here)).toBe('/trends?script=abc#x');
  });

  it('lets through what does not leave the page or opens elsewhere', () => {
    expect(leavingLink(click, null, here)).toBeNull();
    expect(leavingLink(click, link('/scripts/abc#problems'), here)).toBeNull();
    expect(leavingLink(click, link('https://example.com/'), here)).toBeNull();
    expect(leavingLink(click, link('/', { target: '_blank' }), here)).toBeNull();
    expect(leavingLink(click, link('/', { download: true }), here)).toBeNull();
    expect(leavingLink({ ...click, ctrlKey: true }, link('/'), here)).toBeNull();
    expect(leavingLink({ ...click, button: 1 }, link('/'), here)).toBeNull();
    expect(leavingLink({ ...click, defaultPrevented: true }, link('/'), here)).toBeNull();
  });

  it('treats target=_self as the same tab', () => {
    expect(leavingLink(click, link('/tags', { target: '_self' }), here)).toBe('/tags');
  });
});

describe('guard history entry', () => {
  it('keeps the router state and is recognised', () => {
    const state = guardState({ __NA: true, tree: ['x'] });
    expect(state).toMatchObject({ __NA: true, tree: ['x'] });
    expect(isGuardState(state)).toBe(true);
    expect(isGuardState({ __NA: true })).toBe(false);
    expect(isGuardState(null)).toBe(false);
    expect(isGuardState(guardState(null))).toBe(true);
  });
});
