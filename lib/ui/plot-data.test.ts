import { describe, expect, it } from 'vitest';
import type { PlotSeries } from './api-types';
import { describeSeries, mergeSeries, normaliseRows, plottable, rawValueAt, scalesDiffer, seriesColours, suggestAxisMode } from './plot-data';

const t = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();
const series = (tag: string, role: 'input' | 'output', values: Array<[number, number | boolean | string | null]>): PlotSeries => ({
  tag,
  role,
  points: values.map(([s, value]) => ({ ts: t(s), value })),
});

describe('mergeSeries', () => {
  it('joins series on their timestamps', () => {
    const rows = mergeSeries([series('A', 'input', [[0, 1], [2, 3]]), series('B', 'output', [[1, 10], [2, 20]])]);
    expect(rows.map((r) => ({ ...r, ts: (r.ts - Date.parse(t(0))) / 1000 }))).toEqual([
      { ts: 0, s0: 1 },
      { ts: 1, s1: 10 },
      { ts: 2, s0: 3, s1: 20 },
    ]);
  });
  it('plots booleans as 1/0 and strings as gaps', () => {
    expect(plottable(true)).toBe(1);
    expect(plottable(false)).toBe(0);
    expect(plottable('AUTO')).toBeNull();
    expect(plottable(null)).toBeNull();
  });
});

describe('describeSeries', () => {
  it('finds the range and whether a series is boolean', () => {
    const [a, b, c] = describeSeries([
      series('A', 'input', [[0, 5], [1, -2], [2, 'x']]),
      series('B', 'output', [[0, true], [1, false]]),
      series('C', 'output', []),
    ]);
    expect(a).toMatchObject({ key: 's0', min: -2, max: 5, boolean: false, points: 3 });
    expect(b).toMatchObject({ key: 's1', min: 0, max: 1, boolean: true });
    expect(c).toMatchObject({ min: null, max: null, boolean: false, points: 0 });
  });
});

describe('axis mode', () => {
  it('shares an axis when the scales are alike', () => {
    const infos = describeSeries([series('A', 'input', [[0, 10], [1, 30]]), series('B', 'output', [[0, 20], [1, 25]])]);
    expect(scalesDiffer(infos)).toBe(false);
    expect(suggestAxisMode(infos)).toBe('shared');
  });
  it('splits inputs and outputs when each side is alike', () => {
    const infos = describeSeries([
      series('A', 'input', [[0, 30], [1, 33]]),
      series('B', 'input', [[0, 2], [1, 2.5]]),
      series('C', 'output', [[0, 0.1], [1, 0.2]]),
    ]);
    expect(scalesDiffer(infos)).toBe(true);
    expect(suggestAxisMode(infos)).toBe('normalised');
    const split = describeSeries([series('A', 'input', [[0, 300], [1, 330]]), series('C', 'output', [[0, 1], [1, 2]])]);
    expect(suggestAxisMode(split)).toBe('split');
  });
});

describe('normaliseRows', () => {
  it('scales each series to 0–100 % of its range', () => {
    const input = [series('A', 'input', [[0, 10], [1, 20]]), series('B', 'output', [[0, 7], [1, 7]])];
    const infos = describeSeries(input);
    const rows = normaliseRows(mergeSeries(input), infos);
    expect(rows.map((r) => [r.s0, r.s1])).toEqual([
      [0, 50],
      [100, 50],
    ]);
  });
  it('finds the raw value at a time', () => {
    const rows = mergeSeries([series('A', 'input', [[0, 10], [1, 20], [2, 30]])]);
    expect(rawValueAt(rows, rows[1].ts, 's0')).toBe(20);
    expect(rawValueAt(rows, 0, 's0')).toBeUndefined();
  });
});

describe('seriesColours', () => {
  it('gives each series its own colour', () => {
    const infos = describeSeries([series('A', 'input', []), series('B', 'input', []), series('C', 'output', [])]);
    const colours = seriesColours(infos);
    expect(new Set(Object.values(colours)).size).toBe(3);
  });
});
