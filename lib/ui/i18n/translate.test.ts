import { describe, expect, it } from 'vitest';
import { en } from './en';
import { ko } from './ko';
import { interpolate, pickLocale, translate } from './translate';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  it('translate every key into Korean', () => {
    expect(Object.keys(ko).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(ko)) expect(text.trim(), key).not.toBe('');
  });
  it('use the same placeholders in both languages', () => {
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      // The singular English form may leave the count out.
      if (key.endsWith('_one')) continue;
      expect(placeholders(ko[key]), key).toEqual(placeholders(en[key]));
    }
  });
  it('actually translate (no English left in Korean texts but names and code)', () => {
    const untranslated = Object.entries(ko).filter(([key, text]) => text === en[key as keyof typeof en] && !/^(range\.|run\.seconds)/.test(key));
    expect(untranslated).toEqual([]);
  });
});

describe('translate', () => {
  it('fills placeholders and picks the singular', () => {
    expect(translate('en', 'scripts.deleteTitle', { name: 'x' })).toBe('Delete x?');
    expect(translate('en', 'editor.fixBeforeSave', { count: 1 })).toBe('Fix the problem listed under the code before saving.');
    expect(translate('en', 'editor.fixBeforeSave', { count: 3 })).toBe('Fix the 3 problems listed under the code before saving.');
    expect(translate('ko', 'editor.fixBeforeSave', { count: 1 })).toBe('저장하기 전에 코드 아래에 표시된 문제를 고치세요.');
  });
  it('leaves unknown placeholders visible', () => {
    expect(interpolate('a {b} {c}', { b: 1 })).toBe('a 1 {c}');
  });
});

describe('pickLocale', () => {
  it('prefers the saved choice, then the browser languages', () => {
    expect(pickLocale('ko', 'en-US')).toBe('ko');
    expect(pickLocale(undefined, 'ko-KR,ko;q=0.9,en;q=0.8')).toBe('ko');
    expect(pickLocale('fr', 'de-DE,en;q=0.5')).toBe('en');
    expect(pickLocale(null, null)).toBe('en');
  });
});
