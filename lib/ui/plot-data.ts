import type { PlotPoint, PlotSeries, TagScalar } from './api-types';

/**
 * Turns the plot API's series (one list of points per tag) into the rows a chart draws, and decides
 * how to lay them out: one shared axis when the scales are alike, inputs and outputs on two axes when
 * each side is alike, or a normalised 0–100 % view when the scales differ too much to read together.
 */

export interface SeriesInfo {
  key: string;
  tag: string;
  alias?: string;
  role: 'input' | 'output';
  min: number | null;
  max: number | null;
  points: number;
  /** The series holds booleans (drawn as steps of 0 and 1). */
  boolean: boolean;
}

export type ChartRow = { ts: number } & Record<string, number | null>;

export type AxisMode = 'shared' | 'split' | 'normalised';

/** Numbers plot as they are; booleans as 1/0; strings and null leave a gap. */
export function plottable(value: TagScalar): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

export function seriesKey(index: number): string {
  return `s${index}`;
}

export function describeSeries(series: readonly PlotSeries[]): SeriesInfo[] {
  return series.map((one, index) => {
    let min: number | null = null;
    let max: number | null = null;
    let boolean = one.points.length > 0;
    for (const point of one.points) {
      if (typeof point.value !== 'boolean') boolean = false;
      const value = plottable(point.value);
      if (value === null) continue;
      min = min === null ? value : Math.min(min, value);
      max = max === null ? value : Math.max(max, value);
    }
    return { key: seriesKey(index), tag: one.tag, alias: one.alias, role: one.role, min, max, points: one.points.length, boolean };
  });
}

/**
 * One row per distinct timestamp, in time order; a series without a point at that time has no entry
 * there. `write` puts a point into its row under the series' key (by default its plottable value).
 */
export function mergeSeries(
  series: readonly PlotSeries[],
  write: (row: ChartRow, key: string, point: PlotPoint) => void = (row, key, point) => {
    row[key] = plottable(point.value);
  },
): ChartRow[] {
  const rows = new Map<number, ChartRow>();
  series.forEach((one, index) => {
    const key = seriesKey(index);
    for (const point of one.points) {
      const ts = Date.parse(point.ts);
      if (Number.isNaN(ts)) continue;
      let row = rows.get(ts);
      if (!row) {
        row = { ts } as ChartRow;
        rows.set(ts, row);
      }
      write(row, key, point);
    }
  });
  return [...rows.values()].sort((a, b) => a.ts - b.ts);
}

function magnitude(info: SeriesInfo): number | null {
  if (info.min === null || info.max === null) return null;
  return Math.max(Math.abs(info.min), Math.abs(info.max), info.max - info.min);
}

/** True when the largest series' magnitude is more than `ratio` times the smallest one's. */
export function scalesDiffer(infos: readonly SeriesInfo[], ratio = 10): boolean {
  const magnitudes = infos.map(magnitude).filter((m): m is number => m !== null && m > 0);
  if (magnitudes.length < 2) return false;
  return Math.max(...magnitudes) / Math.min(...magnitudes) > ratio;
}

export function suggestAxisMode(infos: readonly SeriesInfo[]): AxisMode {
  if (!scalesDiffer(infos)) return 'shared';
  const inputs = infos.filter((i) => i.role === 'input');
  const outputs = infos.filter((i) => i.role === 'output');
  if (inputs.length > 0 && outputs.length > 0 && !scalesDiffer(inputs) && !scalesDiffer(outputs)) return 'split';
  return 'normalised';
}

/** Each series scaled to 0–100 % of its own min–max (a flat series sits at 50 %). */
export function normaliseRows(rows: readonly ChartRow[], infos: readonly SeriesInfo[]): ChartRow[] {
  return rows.map((row) => {
    const scaled: ChartRow = { ts: row.ts } as ChartRow;
    for (const info of infos) {
      const value = row[info.key];
      if (value === undefined) continue;
      if (value === null || info.min === null || info.max === null) {
        scaled[info.key] = null;
        continue;
      }
      const span = info.max - info.min;
      scaled[info.key] = span === 0 ? 50 : ((value - info.min) / span) * 100;
    }
    return scaled;
  });
}

/** The raw value of a series at a timestamp (for the tooltip of the normalised view). */
export function rawValueAt(rows: readonly ChartRow[], ts: number, key: string): number | null | undefined {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (rows[mid].ts === ts) return rows[mid][key];
    if (rows[mid].ts < ts) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** A fixed palette readable on white, inputs in cool colours and outputs in warm ones. */
const INPUT_COLOURS = ['#1f6fb2', '#2a9d8f', '#6a4c93', '#3d5a80', '#00838f', '#5c6bc0'];
const OUTPUT_COLOURS = ['#d1495b', '#e07a1f', '#b5179e', '#8d6e00', '#c2185b', '#6d4c41'];

export function seriesColours(infos: readonly SeriesInfo[]): Record<string, string> {
  const colours: Record<string, string> = {};
  let input = 0;
  let output = 0;
  for (const info of infos) {
    colours[info.key] = info.role === 'input' ? INPUT_COLOURS[input++ % INPUT_COLOURS.length] : OUTPUT_COLOURS[output++ % OUTPUT_COLOURS.length];
  }
  return colours;
}
