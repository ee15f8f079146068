import { describe, expect, it } from 'vitest';
import type { PlotSeries } from './api-types';
import { qualityKey, qualityRows, seriesTimes, sharedUnitLabel, unitAxes, valuesAt } from './trend-series';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const ms = (second: number) => Date.UTC(2026, 0, 1, 0, 0, second);

describe('unit axes', () => {
  it('gives each distinct unit its own axis, alternating sides; series without a unit share one', () => {
    const { axes, axisOf } = unitAxes([
      { key: 's0', unit: 't/h' },
      { key: 's1', unit: '°C' },
      { key: 's2', unit: 't/h' },
      { key: 's3', unit: null },
      { key: 's4', unit: '' },
    ]);
    expect(axes.map((axis) => [axis.unit, axis.orientation, axis.keys])).toEqual([
      ['t/h', 'left', ['s0', 's2']],
      ['°C', 'right', ['s1']],
      [null, 'left', ['s3', 's4']],
    ]);
    expect(axisOf.s2).toBe(axisOf.s0);
    expect(axisOf.s1).not.toBe(axisOf.s0);
  });

  it('labels a shared axis with the units of its series', () => {
    expect(sharedUnitLabel(['t/h', 't/h'])).toBe('t/h');
    expect(sharedUnitLabel(['t/h', '°C'])).toBe('t/h, °C');
    expect(sharedUnitLabel([null, undefined])).toBeUndefined();
    expect(sharedUnitLabel(['%', null])).toBe('%');
  });
});

describe('quality in the drawn rows', () => {
  const flow: PlotSeries = {
    tag: 'FT',
    role: 'input',
    points: [
      { ts: at(0), value: 10, quality: 'good' },
      { ts: at(2), value: 99, quality: 'bad', reason: 'sensor-fault' },
      { ts: at(4), value: 14, quality: 'uncertain' },
      { ts: at(6), value: 16 },
    ],
  };
  const temp: PlotSeries = { tag: 'TT', role: 'input', points: [{ ts: at(1), value: 1 }, { ts: at(5), value: 5 }] };

  it('turns a bad point into a gap and marks bad and uncertain points', () => {
    const rows = qualityRows([flow]);
    expect(rows.map((row) => row.s0)).toEqual([10, null, 14, 16]);
    expect(rows.map((row) => row[qualityKey('s0')])).toEqual([undefined, 2, 1, undefined]);
  });

  it('interpolates a series at the other series’ times only between two of its drawn points', () => {
    const rows = qualityRows([flow, temp]);
    const byTs = Object.fromEntries(rows.map((row) => [row.ts, row]));
    // between 10 (good) and a bad point: left as a gap
    expect(byTs[ms(1)].s0).toBeUndefined();
    // between 14 and 16
    expect(byTs[ms(5)].s0).toBe(15);
    // temp between 1 and 5 at second 2, 3, 4
    expect([2, 4].map((second) => byTs[ms(second)].s1)).toEqual([2, 4]);
    // outside its own points nothing is drawn
    expect(byTs[ms(0)].s1).toBeUndefined();
    expect(byTs[ms(6)].s1).toBeUndefined();
  });

  it('holds the previous value for a step series', () => {
    const rows = qualityRows([temp, flow], new Set(['s0']));
    expect(rows.find((row) => row.ts === ms(4))!.s0).toBe(1);
  });
});

describe('values at the cursor', () => {
  it('gives every series its latest point at or before the cursor, with quality and reason', () => {
    const series: PlotSeries[] = [
      { tag: 'A', role: 'input', points: [{ ts: at(0), value: 1 }, { ts: at(10), value: null, quality: 'bad', reason: 'script-quarantined' }] },
      { tag: 'B', role: 'output', points: [{ ts: at(5), value: true }] },
    ];
    const times = seriesTimes(series);
    expect(valuesAt(series, times, ms(3))).toEqual({ s0: { value: 1, quality: 'good', ts: ms(0) }, s1: null });
    expect(valuesAt(series, times, ms(12))).toEqual({
      s0: { value: null, quality: 'bad', reason: 'script-quarantined', ts: ms(10) },
      s1: { value: true, quality: 'good', ts: ms(5) },
    });
  });
});
