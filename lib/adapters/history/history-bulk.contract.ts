import { expect, it } from 'vitest';
import type { HistoryColumnBatch, HistoryRecord, HistoryRow, HistoryStore } from '../../ports/history-store';
import { emptyColumns, setValue } from '../../history/history-columns';
import { writeColumnBatches } from '../../history/write-columns';
import { QUALITIES } from '../../model/tag-value';

/**
 * The operations backfill and export need, part of the HistoryStore contract (called from
 * describeHistoryStoreContract, so every adapter runs them): bulk writes with lineage, reads of
 * several tags by chunk in time order, the timestamps that have a value, and deleting a range.
 */

const T0 = Date.UTC(2026, 11, 3, 8, 0, 0);
const lineage = (version: number) => ({ id: 'script-42', name: 'Flow balance', version });

export function describeBulkOperations(store: () => HistoryStore): void {
  it('writes in bulk with lineage and reads several tags back by chunk, in time order, with from <= ts < to', async () => {
    const records: HistoryRecord[] = [
      { tag: 'bulk.IN', ts: T0, value: 1.5, quality: 'good', source: 'raw' },
      { tag: 'bulk.OUT', ts: T0, value: 3, quality: 'good', source: 'script', script: lineage(2) },
      { tag: 'bulk.IN', ts: T0 + 1000, value: 'on', quality: 'uncertain', source: 'raw' },
      { tag: 'bulk.OUT', ts: T0 + 2000, value: null, quality: 'bad', source: 'script', reason: 'error', script: lineage(3) },
      { tag: 'bulk.IN', ts: T0 + 2000, value: true, quality: 'good', source: 'raw' },
      { tag: 'bulk.OUT', ts: T0 + 3000, value: 4.25, quality: 'good', source: 'script', script: { id: 'x"y,z', name: 'quote " and , comma', version: 7 } },
      { tag: 'bulk.IN', ts: T0 + 4000, value: 9, quality: 'good', source: 'raw' },
    ];
    expect(await store().writeBulk(records)).toBe(records.length);
    // Written in another order than read; at one instant the order of `tags` decides.
    const expected = [records[0], records[1], records[2], records[4], records[3], records[5]];
    for (const chunkSize of [1, 2, 5, 100]) {
      expect({ chunkSize, rows: await readRowsAll(store(), ['bulk.IN', 'bulk.OUT'], T0, T0 + 4000, chunkSize) }).toEqual({ chunkSize, rows: expected });
    }
    const swapped = await readRowsAll(store(), ['bulk.OUT', 'bulk.IN'], T0, T0 + 1);
    expect(swapped.map((row) => row.tag)).toEqual(['bulk.OUT', 'bulk.IN']);
    expect(await readRowsAll(store(), ['bulk.OUT'], T0 + 1, T0 + 3000)).toEqual([records[3]]);
    expect(await readRowsAll(store(), ['bulk.none'], T0, T0 + 10_000)).toEqual([]);
  });

  it('writes a large bulk of many tags, every point once, read back in bounded chunks', async () => {
    const tags = ['bulk.big.A', 'bulk.big.B', 'bulk.big.C'];
    const count = 4_000;
    const records: HistoryRecord[] = [];
    for (let i = 0; i < count; i++) {
      for (const [t, tag] of tags.entries()) records.push({ tag, ts: T0 + i * 1000, value: i * 10 + t, quality: 'good', source: 'script', script: lineage(i % 5) });
    }
    expect(await store().writeBulk(records)).toBe(records.length);
    let seen = 0;
    let wrong = 0;
    let largest = 0;
    for await (const chunk of store().readRows(tags, T0, T0 + count * 1000, { chunkSize: 999 })) {
      largest = Math.max(largest, chunk.length);
      for (const row of chunk) {
        const i = Math.floor(seen / tags.length);
        const t = seen % tags.length;
        if (row.tag !== tags[t] || row.ts !== T0 + i * 1000 || row.value !== i * 10 + t || row.script?.version !== i % 5) wrong++;
        seen++;
      }
    }
    expect({ seen, wrong }).toEqual({ seen: records.length, wrong: 0 });
    expect(largest).toBeLessThanOrEqual(999);
  });

  it('overwrites a point’s lineage when it is written again', async () => {
    const tag = 'bulk.relineage';
    await store().writeBulk([{ tag, ts: T0, value: 1, quality: 'good', source: 'script', script: lineage(1) }]);
    await store().writeBulk([{ tag, ts: T0, value: 2, quality: 'good', source: 'script', script: lineage(2) }]);
    expect(await readRowsAll(store(), [tag], T0, T0 + 1)).toEqual([{ tag, ts: T0, value: 2, quality: 'good', source: 'script', script: lineage(2) }]);
  });

  it('lists the timestamps that have a value (nulls included), with from <= ts < to, in chunks', async () => {
    const tag = 'bulk.timestamps';
    const offsets = [0, 1000, 2000, 5000, 6000, 9000];
    await store().writeBulk(offsets.map((offset, i) => ({ tag, ts: T0 + offset, value: i === 2 ? null : i, quality: i === 2 ? 'bad' : 'good', source: 'script' as const })));
    const all = async (from: number, to: number, chunkSize?: number) => {
      const found: number[] = [];
      for await (const chunk of store().readTimestamps(tag, T0 + from, T0 + to, { chunkSize })) {
        if (chunkSize !== undefined) expect(chunk.length).toBeLessThanOrEqual(chunkSize);
        found.push(...chunk.map((ts) => ts - T0));
      }
      return found;
    };
    expect(await all(0, 10_000)).toEqual(offsets);
    expect(await all(0, 10_000, 2)).toEqual(offsets);
    expect(await all(1000, 9000)).toEqual([1000, 2000, 5000, 6000]);
    expect(await all(3000, 5000)).toEqual([]);
    expect(await all(9000, 9000)).toEqual([]);
  });

  it('deletes one tag’s points with from <= ts < to and nothing else', async () => {
    const tag = 'bulk.delete';
    const neighbour = 'bulk.delete.neighbour';
    const seconds = Array.from({ length: 10 }, (_, i) => i * 1000);
    await store().writeBulk([tag, neighbour, 'bulk.delet'].flatMap((name) => seconds.map((offset) => ({ tag: name, ts: T0 + offset, value: offset, quality: 'good' as const, source: 'script' as const }))));
    expect(await store().deleteRange(tag, T0 + 2000, T0 + 6000)).toBe(4);
    const left = async (name: string) => (await readRowsAll(store(), [name], T0, T0 + 60_000)).map((row) => row.ts - T0);
    expect(await left(tag)).toEqual([0, 1000, 6000, 7000, 8000, 9000]);
    expect(await left(neighbour)).toEqual(seconds);
    expect(await left('bulk.delet')).toEqual(seconds);
    expect(await store().deleteRange(tag, T0 + 2000, T0 + 6000)).toBe(0);
    expect(await store().deleteRange(tag, T0 + 9000, T0 + 9000)).toBe(0);
    expect(await store().deleteRange(tag, T0 - 60_000, T0 + 60_000)).toBe(6);
    expect(await left(tag)).toEqual([]);
  });

  // The embedded store keeps bulk writes as time buckets of up to 4 096 points and live writes as rows
  // (decision 0020): the cases below cross those edges, and hold on every store.
  it('deletes a range inside a bulk-written run of points, and the points around it stay in order', async () => {
    const tag = 'bulk.edge.inside';
    await store().writeBulk(Array.from({ length: 100 }, (_, i): HistoryRecord => ({ tag, ts: T0 + i * 1000, value: i, quality: 'good', source: 'script', script: lineage(1) })));
    expect(await store().deleteRange(tag, T0 + 30_000, T0 + 60_000)).toBe(30);
    const left = await readRowsAll(store(), [tag], T0, T0 + 100_000, 7);
    expect(left.map((row) => row.value)).toEqual([...Array.from({ length: 30 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => 60 + i)]);
    expect(left.every((row) => row.script?.version === 1 && row.source === 'script')).toBe(true);
    expect(await store().readLatestBefore(tag, T0 + 45_000)).toEqual({ ts: T0 + 29_000, value: 29, quality: 'good' });
    expect(await store().deleteRange(tag, T0 + 30_000, T0 + 60_000)).toBe(0);
    // The first and the last point: a range that cuts both ends.
    expect(await store().deleteRange(tag, T0 - 1, T0 + 1)).toBe(1);
    expect(await store().deleteRange(tag, T0 + 99_000, T0 + 99_001)).toBe(1);
    expect((await readRowsAll(store(), [tag], T0, T0 + 100_000)).map((row) => row.value)).toEqual(left.slice(1, -1).map((row) => row.value));
  });

  it('fills the gaps of a long bulk-written run (more than a bucket) with a second bulk write: every point once, in order', async () => {
    const tag = 'bulk.edge.fill';
    const count = 10_000;
    const point = (i: number): HistoryRecord => ({ tag, ts: T0 + i * 1000, value: i, quality: 'good', source: 'script', script: lineage(i % 2) });
    await store().writeBulk(Array.from({ length: count / 2 }, (_, i) => point(2 * i)));
    await store().writeBulk(Array.from({ length: count / 2 }, (_, i) => point(2 * i + 1)));
    let seen = 0;
    let wrong = 0;
    for await (const chunk of store().readRows([tag], T0, T0 + count * 1000, { chunkSize: 4_093 })) {
      for (const row of chunk) if (row.ts !== T0 + seen * 1000 || row.value !== seen || row.script?.version !== seen++ % 2) wrong++;
    }
    expect({ seen, wrong }).toEqual({ seen: count, wrong: 0 });
    let timestamps = 0;
    for await (const chunk of store().readTimestamps(tag, T0, T0 + count * 1000)) timestamps += chunk.length;
    expect(timestamps).toBe(count);
  });

  it('keeps one point where a live write and a bulk write meet at the same timestamp: the later one', async () => {
    const tag = 'bulk.edge.same';
    const live = (value: number): HistoryRecord => ({ tag, ts: T0 + 5000, value, quality: 'good', source: 'script', script: lineage(1) });
    await store().write([live(1)]);
    await store().writeBulk(Array.from({ length: 10 }, (_, i): HistoryRecord => ({ tag, ts: T0 + i * 1000, value: 100 + i, quality: 'uncertain', source: 'script', script: lineage(2) })));
    const values = async () => (await readRowsAll(store(), [tag], T0, T0 + 10_000)).map((row) => row.value);
    expect(await values()).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    await store().write([live(2)]);
    expect(await values()).toEqual([100, 101, 102, 103, 104, 2, 106, 107, 108, 109]);
    expect(await readRowsAll(store(), [tag], T0 + 5000, T0 + 5001)).toEqual([{ ...live(2) }]);
    expect(await store().readLatestBefore(tag, T0 + 5500)).toEqual({ ts: T0 + 5000, value: 2, quality: 'good' });
    const timestamps: number[] = [];
    for await (const chunk of store().readTimestamps(tag, T0, T0 + 10_000)) timestamps.push(...chunk);
    expect(timestamps).toEqual(Array.from({ length: 10 }, (_, i) => T0 + i * 1000));
    expect(await store().deleteRange(tag, T0 + 5000, T0 + 5001)).toBe(1);
    expect(await values()).toEqual([100, 101, 102, 103, 104, 106, 107, 108, 109]);
  });

  it('reads live and bulk-written points of a tag interleaved in time order, by any chunk, and the last of each grid step', async () => {
    const tag = 'bulk.edge.order';
    const point = (i: number, live: boolean): HistoryRecord => ({ tag, ts: T0 + i * 500, value: live ? -i : i, quality: 'good', source: live ? 'raw' : 'script', ...(live ? {} : { script: lineage(3) }) });
    // Live points at odd half-seconds, one bulk write over the even ones (before and after them).
    await store().write(Array.from({ length: 50 }, (_, i) => point(2 * i + 1, true)));
    await store().writeBulk(Array.from({ length: 60 }, (_, i) => point(2 * i, false)));
    const expected = Array.from({ length: 120 }, (_, i) => (i % 2 === 1 && i < 100 ? point(i, true) : i % 2 === 0 ? point(i, false) : null)).filter((row) => row !== null);
    for (const chunkSize of [1, 3, 7, 1_000]) {
      expect({ chunkSize, rows: await readRowsAll(store(), [tag], T0, T0 + 60_000, chunkSize) }).toEqual({ chunkSize, rows: expected });
    }
    const read = store().readLastPerStep?.bind(store());
    if (!read) return;
    for (const step of [1000, 1500, 7000]) {
      const lastPerStep: HistoryRow[] = [];
      for await (const chunk of read(tag, T0 + 700, T0 + 50_000, { first: T0, step }, { chunkSize: 4 })) lastPerStep.push(...chunk);
      const wanted = expected.filter((row, index) => {
        if (row.ts < T0 + 700 || row.ts >= T0 + 50_000) return false;
        const next = expected[index + 1];
        return !next || next.ts >= T0 + 50_000 || Math.ceil((next.ts - T0) / step) !== Math.ceil((row.ts - T0) / step);
      });
      expect({ step, rows: lastPerStep }).toEqual({ step, rows: wanted });
    }
  });

  it('writes column batches (backfill) exactly as writeBulk writes the same records, over more than a bucket and over points already there', async () => {
    const count = 5_000;
    // Numbers (-0 and NaN included), strings (a NUL), booleans, nulls reporting a failed run.
    const valueOf = (i: number) => (i % 97 === 0 ? null : i % 13 === 0 ? `s${i}\u0000` : i % 11 === 0 ? i % 2 === 0 : i === 7 ? -0 : i === 9 ? Number.NaN : i / 4);
    const record = (tag: string, i: number): HistoryRecord => {
      const value = valueOf(i);
      const row: HistoryRecord = { tag, ts: T0 + i * 1000, value, quality: value === null ? 'bad' : QUALITIES[i % 3], source: 'script', script: lineage(4) };
      if (value === null) row.reason = 'error';
      return row;
    };
    const batchOf = (tag: string, indexes: number[]): HistoryColumnBatch => {
      const batch: HistoryColumnBatch = { ...emptyColumns(indexes.length), tag, reasons: [], source: 'script', script: lineage(4) };
      const reasons: Array<[number, 'error']> = [];
      for (const i of indexes) {
        const at = batch.length++;
        const { ts, value, quality } = record(tag, i);
        batch.ts[at] = ts;
        setValue(batch, at, value);
        batch.quality[at] = QUALITIES.indexOf(quality);
        if (value === null) reasons.push([at, 'error']);
      }
      batch.reasons = reasons;
      return batch;
    };
    const evens = Array.from({ length: count / 2 }, (_, k) => 2 * k);
    const odds = evens.map((i) => i + 1);
    // By records: the even points, then the odd ones over them; the same by columns on another tag.
    await store().writeBulk(evens.map((i) => record('bulk.cols.records', i)));
    await store().writeBulk(odds.map((i) => record('bulk.cols.records', i)));
    expect(await writeColumnBatches(store(), [batchOf('bulk.cols.columns', evens)])).toBe(evens.length);
    expect(await writeColumnBatches(store(), [batchOf('bulk.cols.columns', odds), batchOf('bulk.cols.empty', [])])).toBe(odds.length);
    const byRecords = await readRowsAll(store(), ['bulk.cols.records'], T0, T0 + count * 1000);
    const byColumns = await readRowsAll(store(), ['bulk.cols.columns'], T0, T0 + count * 1000);
    expect(byColumns.length).toBe(count);
    expect(byColumns).toEqual(byRecords.map((row) => ({ ...row, tag: 'bulk.cols.columns' })));
    expect(await readRowsAll(store(), ['bulk.cols.empty'], T0, T0 + count * 1000)).toEqual([]);
  });

  it('writes the column batches of several tags in one call as each tag alone: live rows at their times taken, a tag with points already there merged', async () => {
    const count = 3_000;
    const recordOf = (tag: string, i: number, version = 5): HistoryRecord => ({ tag, ts: T0 + i * 1000, value: i % 7 === 0 ? i % 2 === 0 : i / 8, quality: 'good', source: 'script', script: lineage(version) });
    const batchOf = (tag: string, indexes: number[]): HistoryColumnBatch => {
      const batch: HistoryColumnBatch = { ...emptyColumns(indexes.length), tag, reasons: [], source: 'script', script: lineage(5) };
      for (const i of indexes) {
        const at = batch.length++;
        batch.ts[at] = T0 + i * 1000;
        setValue(batch, at, recordOf(tag, i).value);
        batch.quality[at] = QUALITIES.indexOf('good');
      }
      return batch;
    };
    const all = Array.from({ length: count }, (_, i) => i);
    const tags = ['bulk.many.a', 'bulk.many.b', 'bulk.many.c', 'bulk.many.d'];
    // Live rows among the points of a, bulk points (an older version) among those of c.
    await store().write([recordOf('bulk.many.a', 10, 1), recordOf('bulk.many.a', 2_999, 1), { ...recordOf('bulk.many.a', 5_000, 1) }]);
    await store().writeBulk(all.filter((i) => i % 3 === 0).map((i) => recordOf('bulk.many.c', i, 2)));
    // a and b where nothing is in the way of their buckets, then c (in the way) and d together.
    expect(await writeColumnBatches(store(), tags.slice(0, 2).map((tag) => batchOf(tag, all)))).toBe(2 * count);
    expect(await writeColumnBatches(store(), tags.slice(2).map((tag) => batchOf(tag, all)))).toBe(2 * count);
    for (const tag of tags) {
      const rows = await readRowsAll(store(), [tag], T0, T0 + 10_000 * 1000);
      const expected = all.map((i) => recordOf(tag, i));
      if (tag === 'bulk.many.a') expected.push(recordOf(tag, 5_000, 1));
      expect({ tag, rows: rows.map(({ ts, value, script }) => ({ ts, value, version: script?.version })) }).toEqual({
        tag,
        rows: expected.map(({ ts, value, script }) => ({ ts, value, version: script?.version })),
      });
    }
  });
}

async function readRowsAll(store: HistoryStore, tags: string[], from: number, to: number, chunkSize?: number): Promise<HistoryRow[]> {
  const rows: HistoryRow[] = [];
  for await (const chunk of store.readRows(tags, from, to, { chunkSize })) rows.push(...chunk);
  return rows;
}
