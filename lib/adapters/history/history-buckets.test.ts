import { describe, expect, it } from 'vitest';
import type { HistoryRecord } from '../../ports/history-store';
import { bucketRecords, decodeBucket, encodeBuckets, firstIndexAtOrAfter } from './history-buckets';

const T0 = Date.UTC(2026, 11, 7, 10, 0, 0);
const v1 = { id: 's-1', name: 'Filter', version: 1 };
const v2 = { id: 's-1', name: 'Filter', version: 2 };

describe('history buckets', () => {
  it('round-trips every kind, quality, reason and lineage run through the packed columns', () => {
    const records: HistoryRecord[] = [
      { tag: 'T', ts: T0, value: 1.5, quality: 'good', source: 'raw' },
      { tag: 'T', ts: T0 + 1, value: 'a "b"', quality: 'uncertain', source: 'raw' },
      { tag: 'T', ts: T0 + 2, value: true, quality: 'good', source: 'script', script: v1 },
      { tag: 'T', ts: T0 + 3, value: false, quality: 'good', source: 'script', script: v1 },
      { tag: 'T', ts: T0 + 4, value: null, quality: 'bad', source: 'script', script: v2, reason: 'error' },
      { tag: 'T', ts: T0 + 5, value: Number.NEGATIVE_INFINITY, quality: 'good', source: 'script', script: v2 },
      { tag: 'T', ts: T0 + 6, value: '', quality: 'good', source: 'raw' },
    ];
    const [row, ...more] = encodeBuckets('T', records);
    expect(more).toEqual([]);
    expect([row.start, row.end, row.count]).toEqual([T0, T0 + 6, 7]);
    expect(bucketRecords(decodeBucket(row))).toEqual(records);
  });

  it('cuts every 4 096 points and keeps NUL and lone surrogates out of the text', () => {
    const records = Array.from({ length: 9_000 }, (_, i): HistoryRecord => ({ tag: 'T', ts: T0 + i * 1000, value: i, quality: 'good', source: 'raw' }));
    const rows = encodeBuckets('T', records);
    expect(rows.map((row) => row.count)).toEqual([4_096, 4_096, 808]);
    expect(rows.flatMap((row) => bucketRecords(decodeBucket(row)))).toEqual(records);
    const [odd] = encodeBuckets('T\u0000', [{ tag: 'T\u0000', ts: T0, value: 'x\ud800', quality: 'good', source: 'raw' }]);
    expect(bucketRecords(decodeBucket(odd))[0]).toMatchObject({ tag: 'T\ufffd', value: 'x\ufffd' });
  });

  it('refuses a bucket whose columns disagree, and finds a point by time', () => {
    const [row] = encodeBuckets('T', [0, 10, 20].map((offset): HistoryRecord => ({ tag: 'T', ts: T0 + offset, value: offset, quality: 'good', source: 'raw' })));
    expect(() => decodeBucket({ ...row, count: 4 })).toThrow(/malformed: a column holds 24 bytes for 4 points/);
    expect(() => decodeBucket({ ...row, lineage: JSON.stringify([[7, 0, null, null, null]]) })).toThrow(/lineage runs are out of order/);
    const { columns } = decodeBucket(row);
    expect([T0 - 1, T0, T0 + 5, T0 + 20, T0 + 21].map((ts) => firstIndexAtOrAfter(columns, ts))).toEqual([0, 0, 1, 2, 3]);
  });
});
