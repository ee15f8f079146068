import { describe, expect, it } from 'vitest';
import { exportProblem, exportRows, exportUrl, initialExportForm, toggleTag } from './export-form';
import { toDateTimeLocal } from './time-range';

const NOW = Date.UTC(2026, 4, 10, 12, 0, 0);
const HOUR = 3_600_000;

describe('export form', () => {
  it('starts with the tags and period given, 1 min steps, CSV, fill previous, quality column', () => {
    const form = initialExportForm(['FT-101.PV', 'TT-201.PV'], NOW - HOUR, NOW);
    expect(form).toMatchObject({ tags: ['FT-101.PV', 'TT-201.PV'], step: '1m', format: 'csv', fill: 'previous', quality: 'column' });
    expect(exportRows(form, NOW)).toBe(60);
    expect(exportRows({ ...form, step: '1s' }, NOW)).toBe(3600);
    expect(exportRows({ ...form, step: '15m' }, NOW)).toBe(4);
  });

  it('builds the GET /api/export URL of the spec', () => {
    const form = { ...initialExportForm(['a,b?', 'FT 1'], NOW - HOUR, NOW), step: '15m' as const, format: 'parquet' as const, fill: 'none' as const, quality: 'mask' as const };
    const url = new URL(exportUrl(form, NOW), 'http://x');
    expect(url.pathname).toBe('/api/export');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      tags: 'a,b?,FT 1',
      from: new Date(form.from).toISOString(),
      to: new Date(form.to).toISOString(),
      step: '15m',
      format: 'parquet',
      fill: 'none',
      quality: 'mask',
    });
  });

  it('says what is missing: tags, too many tags, a period in order', () => {
    const form = initialExportForm([], NOW - HOUR, NOW);
    expect(exportProblem(form, NOW)).toEqual({ key: 'noTags' });
    const many = Array.from({ length: 201 }, (_, i) => `t${i}`);
    expect(exportProblem({ ...form, tags: many }, NOW)).toEqual({ key: 'tooManyTags', max: 200 });
    expect(exportProblem({ ...form, tags: ['a'], from: toDateTimeLocal(NOW), to: toDateTimeLocal(NOW - HOUR) }, NOW)).toEqual({ key: 'range.order' });
    expect(exportProblem({ ...form, tags: ['a'], from: '' }, NOW)).toEqual({ key: 'range.invalid' });
    expect(exportRows({ ...form, from: '' }, NOW)).toBeNull();
    expect(exportProblem({ ...form, tags: ['a'] }, NOW)).toBeNull();
  });

  it('picks and unpicks tags in the order picked', () => {
    expect(toggleTag(['a', 'b'], 'c')).toEqual(['a', 'b', 'c']);
    expect(toggleTag(['a', 'b', 'c'], 'b')).toEqual(['a', 'c']);
  });
});
