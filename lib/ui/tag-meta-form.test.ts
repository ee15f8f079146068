import { describe, expect, it } from 'vitest';
import { translator } from './i18n/translate';
import { checkTagMetaForm, formatRange, qualityTitle, removalText, tagMetaForm } from './tag-meta-form';

const en = translator('en');
const ko = translator('ko');

describe('tag metadata form', () => {
  it('starts from the tag’s metadata, empty where not known', () => {
    expect(tagMetaForm({ description: 'Drum level', unit: '%', lo: 0, hi: 100 })).toEqual({ description: 'Drum level', unit: '%', lo: '0', hi: '100' });
    expect(tagMetaForm({ description: null })).toEqual({ description: '', unit: '', lo: '', hi: '' });
  });

  it('gives the PUT body: trimmed text, numbers with a comma accepted, empty → null', () => {
    expect(checkTagMetaForm({ description: ' Steam flow ', unit: ' t/h', lo: '0', hi: '12,5' }, en)).toEqual({ ok: true, meta: { description: 'Steam flow', unit: 't/h', lo: 0, hi: 12.5 } });
    expect(checkTagMetaForm({ description: '', unit: '', lo: '', hi: '' }, en)).toEqual({ ok: true, meta: { description: null, unit: null, lo: null, hi: null } });
  });

  it('refuses a limit that is not a number and lo above hi, naming the field, in both languages', () => {
    expect(checkTagMetaForm({ description: '', unit: '', lo: 'ten', hi: '' }, en)).toEqual({ ok: false, field: 'lo', message: 'Normal range: low must be a number (leave it empty for none).' });
    expect(checkTagMetaForm({ description: '', unit: '', lo: '', hi: '1..2' }, en)).toMatchObject({ ok: false, field: 'hi' });
    expect(checkTagMetaForm({ description: '', unit: '', lo: '90', hi: '10' }, en)).toMatchObject({ ok: false, field: 'lo', message: expect.stringContaining('(90) is above the high end (10)') });
    expect(checkTagMetaForm({ description: '', unit: '', lo: '90', hi: '10' }, ko)).toMatchObject({ ok: false, message: expect.stringContaining('하한(90)') });
  });

  it('formats the normal range, open at either end', () => {
    expect(formatRange('en', 0, 100, en)).toBe('0 – 100');
    expect(formatRange('en', -40, null, en)).toBe('≥ -40');
    expect(formatRange('en', null, 5, en)).toBe('≤ 5');
    expect(formatRange('en', null, null, en)).toBe('');
  });
});

describe('texts of removal and quality', () => {
  it('says why a tag cannot be removed, with the script or the dates', () => {
    expect(removalText({ allowed: true }, 'en', en)).toBeNull();
    expect(removalText({ allowed: false, code: 'produced', message: 'x', script: { id: '1', name: 'boiler_eff' } }, 'en', en)).toMatch(/script boiler_eff produces this tag/);
    expect(removalText({ allowed: false, code: 'read', message: 'x', scripts: [{ id: '1', name: 'a' }, { id: '2', name: 'b' }] }, 'ko', ko)).toContain('a, b');
    const recent = removalText(
      { allowed: false, code: 'recent', message: 'x', source: 'raw', lastValueAt: '2026-01-01T00:00:00.000Z', removableAt: '2026-01-08T00:00:00.000Z', retentionDays: 7 },
      'en',
      en,
    );
    expect(recent).toMatch(/a plant tag still receiving values .* after 7 days without a value/);
  });

  it('titles a value that is not good with its quality and reason', () => {
    expect(qualityTitle('good', undefined, en)).toBeUndefined();
    expect(qualityTitle('bad', 'script-quarantined', en)).toBe('bad: script-quarantined');
    expect(qualityTitle('uncertain', 'stale-input', ko)).toBe('불확실 — 원인: stale-input');
    expect(qualityTitle('uncertain', undefined, en)).toBe('Quality uncertain');
  });
});
