import type { PlotSeries, Quality, TagScalar } from './api-types';
import { mergeSeries, plottable, seriesKey, type ChartRow } from './plot-data';

/**
 * What a trend draws beyond the plain lines: units on the Y axes (one axis per unit when the user
 * asks), the quality of each point (bad values are gaps in the line, uncertain ones are marked), and
 * every series' value at the cursor for the tooltip, not only the hovered one's.
 */

/** The key of the quality mark of a series in a chart row: 1 uncertain, 2 bad. */
export const qualityKey = (key: string) => `${key}~q`;

export interface UnitAxis {
  id: string;
  unit: string | null;
  orientation: 'left' | 'right';
  /** The series drawn against it. */
  keys: string[];
}

/** One Y axis per distinct unit (series without a unit share one), alternating left and right. */
export function unitAxes(series: ReadonlyArray<{ key: string; unit: string | null | undefined }>): { axes: UnitAxis[]; axisOf: Record<string, string> } {
  const axes: UnitAxis[] = [];
  const byUnit = new Map<string, UnitAxis>();
  const axisOf: Record<string, string> = {};
  for (const one of series) {
    const unit = one.unit?.trim() || null;
    const id = unit === null ? 'unit:' : `unit:${unit}`;
    let axis = byUnit.get(id);
    if (!axis) {
      axis = { id, unit, orientation: axes.length % 2 === 0 ? 'left' : 'right', keys: [] };
      byUnit.set(id, axis);
      axes.push(axis);
    }
    axis.keys.push(one.key);
    axisOf[one.key] = id;
  }
  return { axes, axisOf };
}

/** The label of an axis shared by several series: their distinct units, joined (none when no unit). */
export function sharedUnitLabel(units: ReadonlyArray<string | null | undefined>): string | undefined {
  const distinct = [...new Set(units.map((unit) => unit?.trim() || '').filter((unit) => unit !== ''))];
  return distinct.length ? distinct.join(', ') : undefined;
}

/**
 * Chart rows with the quality of each point: a bad point is a gap (null), an uncertain one keeps
 * its value and is marked; between two of its own points a series is interpolated at the other
 * series' timestamps (held for step series), so a gap only ever means a bad or missing value.
 */
export function qualityRows(series: readonly PlotSeries[], steps: ReadonlySet<string> = new Set()): ChartRow[] {
  const sorted = mergeSeries(series, (row, key, point) => {
    const quality = point.quality ?? 'good';
    row[key] = quality === 'bad' ? null : plottable(point.value);
    if (quality !== 'good') row[qualityKey(key)] = quality === 'bad' ? 2 : 1;
  });
  series.forEach((_one, index) => fillBetween(sorted, seriesKey(index), steps.has(seriesKey(index))));
  return sorted;
}

function fillBetween(rows: ChartRow[], key: string, step: boolean): void {
  let previous = -1;
  for (let index = 0; index < rows.length; index++) {
    if (!(key in rows[index])) continue;
    if (previous >= 0 && index - previous > 1) {
      const from = rows[previous];
      const to = rows[index];
      const a = from[key];
      const b = to[key];
      if (a !== null && a !== undefined && b !== null && b !== undefined) {
        for (let gap = previous + 1; gap < index; gap++) {
          const row = rows[gap];
          row[key] = step ? a : a + ((b - a) * (row.ts - from.ts)) / (to.ts - from.ts);
        }
      }
    }
    previous = index;
  }
}

export interface ValueAtCursor {
  value: TagScalar;
  quality: Quality;
  reason?: string;
  /** When the value was taken (at or before the cursor). */
  ts: number;
}

/**
 * For each series, the latest point at or before `ts` (the value a plant operator would read then),
 * or null when the series has none yet. `times` is from `seriesTimes`, computed once per plot.
 */
export function valuesAt(series: readonly PlotSeries[], times: readonly number[][], ts: number): Record<string, ValueAtCursor | null> {
  const out: Record<string, ValueAtCursor | null> = {};
  series.forEach((one, index) => {
    const list = times[index];
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid] <= ts) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const point = found >= 0 ? one.points[found] : null;
    out[seriesKey(index)] = point ? { value: point.value, quality: point.quality ?? 'good', ...(point.reason ? { reason: point.reason } : {}), ts: list[found] } : null;
  });
  return out;
}

/** The timestamps of each series' points, in ms (points come in time order). */
export function seriesTimes(series: readonly PlotSeries[]): number[][] {
  return series.map((one) => one.points.map((point) => Date.parse(point.ts)));
}
