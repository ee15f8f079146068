import { describe, expect, it } from 'vitest';
import type { HistoryPoint, HistoryRecord, HistoryStore } from '../ports/history-store';
import {
  columnsFromPoints,
  emptyColumns,
  isColumnarReader,
  KIND_FALSE,
  KIND_NULL,
  KIND_NUMBER,
  KIND_STRING,
  KIND_TRUE,
  pointChunks,
  pointsFromColumns,
  readHistoryColumns,
  setValue,
  valueAt,
  type HistoryColumns,
} from './history-columns';

const points: HistoryPoint[] = [
  { ts: 1000, value: 1.5, quality: 'good' },
  { ts: 2000, value: 'running', quality: 'uncertain' },
  { ts: 3000, value: true, quality: 'bad' },
  { ts: 4000, value: false, quality: 'good' },
  { ts: 5000, value: null, quality: 'good' },
  { ts: 6000, value: Number.NaN, quality: 'good' },
  { ts: 7000, value: '', quality: 'good' },
  { ts: 8000, value: -0, quality: 'good' },
  { ts: 9000, value: 'running', quality: 'good' },
];

/** A store with `read` only, in chunks of 2. */
class PointStore implements Omit<HistoryStore, 'readRows' | 'readTimestamps' | 'deleteRange' | 'writeBulk'> {
  readonly kind = 'embedded' as const;
  async write(_records: readonly HistoryRecord[]): Promise<void> {}
  async *read(_tag: string, from: number, to: number): AsyncIterable<HistoryPoint[]> {
    const inRange = points.filter((point) => point.ts >= from && point.ts <= to);
    for (let start = 0; start < inRange.length; start += 2) yield inRange.slice(start, start + 2);
  }
  async readLatestBefore(): Promise<HistoryPoint | null> {
    return null;
  }
  async prune(): Promise<number> {
    return 0;
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('history columns', () => {
  it('turns points into columns and back, every kind and quality', () => {
    const columns = columnsFromPoints(points);
    expect(columns.length).toBe(points.length);
    expect([...columns.kind]).toEqual([KIND_NUMBER, KIND_STRING, KIND_TRUE, KIND_FALSE, KIND_NULL, KIND_NUMBER, KIND_STRING, KIND_NUMBER, KIND_STRING]);
    expect([...columns.quality]).toEqual([0, 1, 2, 0, 0, 0, 0, 0, 0]);
    expect(columns.texts).toEqual(['running', '', 'running']);
    expect(pointsFromColumns(columns)).toEqual(points);
    expect(Object.is(valueAt(columns, 7), -0)).toBe(true);
  });

  it('reads only the points held, whatever the length of the arrays', () => {
    const columns = emptyColumns(10);
    setValue(columns, 0, 'a');
    setValue(columns, 1, 2);
    columns.ts.set([5, 6]);
    columns.length = 2;
    expect(pointsFromColumns(columns)).toEqual([
      { ts: 5, value: 'a', quality: 'good' },
      { ts: 6, value: 2, quality: 'good' },
    ]);
  });

  it('reads a store without readColumns through its read, page by page', async () => {
    const store = new PointStore();
    expect(isColumnarReader(store)).toBe(false);
    const pages: HistoryColumns[] = [];
    for await (const page of readHistoryColumns(store, 'x', 2000, 8000)) pages.push(page);
    expect(pages.map((page) => page.length)).toEqual([2, 2, 2, 1]);
    expect(pages.flatMap(pointsFromColumns)).toEqual(points.slice(1, 8));
  });

  it('uses readColumns when the store has it, and turns pages back into point chunks', async () => {
    const store = Object.assign(new PointStore(), {
      async *readColumns(): AsyncIterable<HistoryColumns> {
        yield columnsFromPoints(points.slice(0, 3));
        yield columnsFromPoints([]);
        yield columnsFromPoints(points.slice(3));
      },
    });
    expect(isColumnarReader(store)).toBe(true);
    const chunks: HistoryPoint[][] = [];
    for await (const chunk of pointChunks(readHistoryColumns(store, 'x', 0, 1))) chunks.push(chunk);
    // Empty pages are left out.
    expect(chunks.map((chunk) => chunk.length)).toEqual([3, 6]);
    expect(chunks.flat()).toEqual(points);
  });
});
