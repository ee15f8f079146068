import { describe, expect, it } from 'vitest';
import type { HistoryRow } from '../ports/history-store';
import type { Quality, TagScalar } from '../model/tag-value';
import { alignBlock, gridRowCount, parseStep, readStart, rowPages, rowsPage, TagCursor, type ExportFill } from './export-grid';

const T0 = Date.UTC(2026, 0, 5, 0, 0, 0);

function row(offsetMs: number, value: TagScalar, quality: Quality = 'good', version?: number): HistoryRow {
  return { tag: 't', ts: T0 + offsetMs, value, quality, source: version === undefined ? 'raw' : 'script', ...(version === undefined ? {} : { script: { id: 's1', name: 'S', version } }) };
}

/** Rows served in chunks of `size` (chunk boundaries must not matter). */
async function* chunks(rows: HistoryRow[], size: number): AsyncIterable<HistoryRow[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/** The grid over `rows` as [value, quality, version] per row time, as the export reads them. */
async function grid(rows: HistoryRow[], options: { from: number; to: number; step: number; fill: ExportFill; before?: HistoryRow | null; chunk?: number; block?: number }) {
  const start = readStart(T0 + options.from, options.step, options.fill);
  const count = gridRowCount(T0 + options.from, T0 + options.to, options.step);
  const inStream = rows.filter((r) => r.ts >= start);
  const cursor = new TagCursor(rowPages(chunks(inStream, options.chunk ?? 2)), options.before ? rowsPage([options.before]) : null);
  const cells: Array<[TagScalar, Quality | null, number | null]> = [];
  const times: number[] = [];
  for (let first = 0; first < count; first += options.block ?? 3) {
    const block = await alignBlock([cursor], { from: T0 + options.from, step: options.step, fill: options.fill }, first, Math.min(options.block ?? 3, count - first));
    times.push(...block.ts.map((ts) => ts - T0));
    for (let i = 0; i < block.ts.length; i++) cells.push([block.tags[0].values[i], block.tags[0].qualities[i], block.tags[0].versions[i]]);
  }
  return { times, cells };
}

describe('export grid', () => {
  it('reads steps as short forms and ISO 8601 durations', () => {
    expect(parseStep('1s')).toBe(1000);
    expect(parseStep('1m')).toBe(60_000);
    expect(parseStep('15m')).toBe(900_000);
    expect(parseStep('2h')).toBe(7_200_000);
    expect(parseStep('1d')).toBe(86_400_000);
    expect(parseStep('250ms')).toBe(250);
    expect(parseStep('PT1S')).toBe(1000);
    expect(parseStep('PT15M')).toBe(900_000);
    expect(parseStep('PT0.5S')).toBe(500);
    expect(parseStep('P1DT12H')).toBe(129_600_000);
    expect(parseStep('P1W')).toBe(604_800_000);
  });

  it('refuses steps that are not one, with what to write instead', () => {
    expect(() => parseStep('fast')).toThrow(/not a step; use e.g. 1s, 1m, 15m/);
    expect(() => parseStep('0s')).toThrow(/at least 1 ms/);
    expect(() => parseStep('0.3ms')).toThrow(/whole number of milliseconds/);
    expect(() => parseStep('P1M')).toThrow(/months and years have no fixed length/);
    expect(() => parseStep('P1Y')).toThrow(/months and years/);
    expect(() => parseStep('P')).toThrow(/not a step/);
    expect(() => parseStep('PT')).toThrow(/not a step/);
  });

  it('has one row per step for row times in [from, to)', () => {
    expect(gridRowCount(0, 10_000, 1000)).toBe(10);
    expect(gridRowCount(0, 10_001, 1000)).toBe(11);
    expect(gridRowCount(0, 999, 1000)).toBe(1);
    expect(gridRowCount(5, 5, 1000)).toBe(0);
    expect(gridRowCount(604_800_000 * 0, 604_800_000, 1000)).toBe(604_800);
  });

  const points = [row(-5000, 1), row(0, 2), row(2500, 3, 'uncertain'), row(3000, null, 'bad'), row(7100, 5)];

  it('fill=previous: the last value at or before each row time, including one from before `from`', async () => {
    const { times, cells } = await grid(points, { from: 0, to: 9000, step: 1000, fill: 'previous', before: points[0] });
    expect(times).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000]);
    expect(cells.map((cell) => cell[0])).toEqual([2, 2, 2, null, null, null, null, null, 5]);
    expect(cells.map((cell) => cell[1])).toEqual(['good', 'good', 'good', 'bad', 'bad', 'bad', 'bad', 'bad', 'good']);
  });

  it('fill=previous from a point before `from` when nothing is at `from`', async () => {
    const { cells } = await grid(points, { from: 500, to: 2500, step: 1000, fill: 'previous', before: points[1] });
    expect(cells).toEqual([
      [2, 'good', null],
      [2, 'good', null],
    ]);
  });

  it('fill=none: only a value in (row − step, row], else empty', async () => {
    const { cells } = await grid(points, { from: 0, to: 9000, step: 1000, fill: 'none' });
    expect(cells.map((cell) => cell[0])).toEqual([2, null, null, null, null, null, null, null, 5]);
    // 2500 is in (2000, 3000] but 3000 (null, bad) is later and also in it: the last one wins.
    expect(cells.map((cell) => cell[1])).toEqual(['good', null, null, 'bad', null, null, null, null, 'good']);
    // A point exactly at row − step belongs to the row before.
    const edge = await grid([row(0, 1), row(1000, 2)], { from: 1000, to: 3000, step: 1000, fill: 'none' });
    expect(edge.cells).toEqual([
      [2, 'good', null],
      [null, null, null],
    ]);
    // The first row sees a point just after from − step, read from before `from`.
    const early = await grid([row(-999, 7)], { from: 0, to: 1000, step: 1000, fill: 'none' });
    expect(early.cells).toEqual([[7, 'good', null]]);
  });

  it('carries each value’s script version, empty where no script wrote it', async () => {
    const computed = [row(0, 1, 'good', 3), row(1000, 2, 'good', 4), row(2000, 9)];
    const { cells } = await grid(computed, { from: 0, to: 4000, step: 1000, fill: 'previous' });
    expect(cells.map((cell) => cell[2])).toEqual([3, 4, null, null]);
    const none = await grid(computed, { from: -1000, to: 2000, step: 1000, fill: 'none' });
    expect(none.cells.map((cell) => cell[2])).toEqual([null, 3, 4]);
  });

  it('gives the same cells whatever the chunk and block sizes', async () => {
    const many = Array.from({ length: 200 }, (_, i) => row(i * 730 - 1000, i % 7 === 0 ? null : i, i % 5 === 0 ? 'uncertain' : 'good', i % 3));
    for (const fill of ['previous', 'none'] as const) {
      const reference = await grid(many, { from: 0, to: 140_000, step: 1000, fill, before: fill === 'previous' ? many[1] : null, chunk: 1000, block: 1000 });
      for (const [chunk, block] of [
        [1, 1],
        [3, 7],
        [64, 2],
      ]) {
        expect(await grid(many, { from: 0, to: 140_000, step: 1000, fill, before: fill === 'previous' ? many[1] : null, chunk, block })).toEqual(reference);
      }
    }
  });
});
