import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryPoint, HistoryRecord, HistoryStore } from '../../ports/history-store';
import type { Quality, TagScalar, TagSource } from '../../model/tag-value';
import { describeBulkOperations } from './history-bulk.contract';

/**
 * What every HistoryStore must do, whatever keeps the data: run over the embedded table (unit
 * tests) and over a real InfluxDB (integration tests). One store is opened for the whole suite;
 * each test uses tag names of its own.
 */

export interface OpenedHistoryStore {
  store: HistoryStore;
  cleanup(): Promise<void>;
}

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);

export function describeHistoryStoreContract(
  name: string,
  open: () => Promise<OpenedHistoryStore>,
  options: { skip?: boolean } = {},
): void {
  describe.skipIf(Boolean(options.skip))(`HistoryStore contract: ${name}`, () => {
    let opened: OpenedHistoryStore | undefined;
    const store = (): HistoryStore => {
      if (!opened) throw new Error('the store did not open');
      return opened.store;
    };

    beforeAll(async () => {
      opened = await open();
    });
    afterAll(async () => {
      await opened?.cleanup();
    });

    it('answers ping', async () => {
      await expect(store().ping()).resolves.toBeUndefined();
    });

    it('accepts an empty write', async () => {
      await expect(store().write([])).resolves.toBeUndefined();
    });

    it('reads back every value type and quality as written', async () => {
      const values: [TagScalar, Quality][] = [
        [12.5, 'good'],
        [-0.001, 'uncertain'],
        [0, 'bad'],
        [42, 'good'],
        [0.1 + 0.2, 'good'],
        [Math.PI, 'good'],
        [1.7976931348623157e308, 'good'],
        [5e-324, 'good'],
        [-1e21, 'good'],
        [true, 'good'],
        [false, 'uncertain'],
        ['running', 'good'],
        ['', 'good'],
        ['with "double" and \'single\' quotes, a comma, a = and a \\ backslash', 'uncertain'],
        ['line one\nline two\ttabbed', 'good'],
        ['유량 정상 ✓', 'bad'],
        [null, 'bad'],
        [null, 'good'],
      ];
      const tag = 'roundtrip.TAG';
      const records = values.map(([value, quality], i) => record(tag, T0 + i * 1000, value, quality, i % 2 ? 'script' : 'raw'));
      await store().write(records);
      expect(await readAll(store(), tag, T0, T0 + values.length * 1000)).toEqual(records.map(point));
    });

    it('reads every value type in pages of any size, strings and nulls among numbers', async () => {
      const tag = 'mixed.pages';
      const values: TagScalar[] = [1, 'a', 2, 3, null, true, 4, 'b,c', false, 5, 6, 7, 'd', Number.NaN, Number.NEGATIVE_INFINITY, 8, null, null, 9, ''];
      const records = values.map((value, i) => record(tag, T0 + i * 1000, value, (['good', 'uncertain', 'bad'] as const)[i % 3]));
      await store().write(records);
      for (const chunkSize of [1, 2, 3, 7, 100]) {
        expect({ chunkSize, points: await readAll(store(), tag, T0, T0 + values.length * 1000, chunkSize) }).toEqual({ chunkSize, points: records.map(point) });
      }
      // A range that starts and ends on points that are not numbers.
      expect(await readAll(store(), tag, T0 + 1000, T0 + 4000, 2)).toEqual(records.slice(1, 5).map(point));
    });

    it('overwrites a point written again at the same tag and timestamp', async () => {
      const tag = 'replay.TAG';
      await store().write([record(tag, T0, 1.5, 'good'), record(tag, T0 + 1000, 'text', 'good'), record(tag, T0 + 2000, true, 'good')]);
      // Each point replaced by a value of another type: nothing of the first write may show through.
      await store().write([
        record(tag, T0, 'now a string', 'bad', 'script'),
        record(tag, T0 + 1000, null, 'uncertain'),
        record(tag, T0 + 2000, 7.25, 'good'),
      ]);
      await store().write([record(tag, T0 + 1000, 3, 'good')]);
      expect(await readAll(store(), tag, T0, T0 + 10_000)).toEqual([
        { ts: T0, value: 'now a string', quality: 'bad' },
        { ts: T0 + 1000, value: 3, quality: 'good' },
        { ts: T0 + 2000, value: 7.25, quality: 'good' },
      ]);
    });

    it('keeps the last of several writes of one point in the same call', async () => {
      const tag = 'replay.same-call';
      await store().write([record(tag, T0, 1, 'good'), record(tag, T0 + 1000, 2, 'good'), record(tag, T0, 3, 'uncertain')]);
      expect(await readAll(store(), tag, T0, T0 + 1000)).toEqual([
        { ts: T0, value: 3, quality: 'uncertain' },
        { ts: T0 + 1000, value: 2, quality: 'good' },
      ]);
    });

    it('includes both ends of the time range', async () => {
      const tag = 'range.TAG';
      await store().write([1000, 2000, 3000, 4000].map((offset) => record(tag, T0 + offset, offset, 'good')));
      const offsets = async (from: number, to: number) => (await readAll(store(), tag, T0 + from, T0 + to)).map((p) => p.ts - T0);
      expect(await offsets(2000, 3000)).toEqual([2000, 3000]);
      expect(await offsets(1500, 3500)).toEqual([2000, 3000]);
      expect(await offsets(1000, 1000)).toEqual([1000]);
      expect(await offsets(0, 999)).toEqual([]);
      expect(await offsets(4001, 9000)).toEqual([]);
      expect(await offsets(3000, 2000)).toEqual([]);
    });

    it('keeps timestamps in whole milliseconds', async () => {
      const tag = 'fractional.TAG';
      await store().write([record(tag, T0 + 0.4, 1, 'good'), record(tag, T0 + 1000.6, 2, 'good')]);
      expect(await readAll(store(), tag, T0 - 0.5, T0 + 1001.5)).toEqual([
        { ts: T0, value: 1, quality: 'good' },
        { ts: T0 + 1001, value: 2, quality: 'good' },
      ]);
      expect(await store().readLatestBefore(tag, T0 + 1000.9)).toEqual({ ts: T0, value: 1, quality: 'good' });
    });

    it('reads in time order whatever the order of writing', async () => {
      const tag = 'order.TAG';
      const offsets = [5, 1, 9, 3, 7, 2, 8, 4, 6, 0];
      await store().write(offsets.map((offset) => record(tag, T0 + offset * 1000, offset, 'good')));
      expect((await readAll(store(), tag, T0, T0 + 60_000)).map((p) => p.value)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('streams a long range in chunks of the requested size, every point once and in order', async () => {
      const tag = 'chunks.TAG';
      const total = 25_000;
      const records = Array.from({ length: total }, (_, i) => record(tag, T0 + i * 1000, i, 'good'));
      await store().write(records);

      const sizes: number[] = [];
      let expected = 0;
      let misplaced = 0;
      for await (const chunk of store().read(tag, T0, T0 + total * 1000, { chunkSize: 1_000 })) {
        sizes.push(chunk.length);
        for (const p of chunk) {
          if (p.value !== expected || p.ts !== T0 + expected * 1000) misplaced++;
          expected++;
        }
      }
      expect(misplaced).toBe(0);
      expect(expected).toBe(total);
      expect(sizes.length).toBe(25);
      expect(sizes.every((size) => size === 1_000)).toBe(true);

      // A range that ends inside a chunk, and a chunk size that does not divide it.
      let count = 0;
      let last = -1;
      const chunkSizes = new Set<number>();
      for await (const chunk of store().read(tag, T0 + 1000, T0 + 7_499_000, { chunkSize: 777 })) {
        chunkSizes.add(chunk.length);
        for (const p of chunk) {
          expect(p.value).toBe(last === -1 ? 1 : last + 1);
          last = p.value as number;
          count++;
        }
      }
      expect(count).toBe(7_499);
      expect(Math.max(...chunkSizes)).toBeLessThanOrEqual(777);
    });

    it('keeps tag names with special characters apart and intact', async () => {
      const names = [
        'with space',
        'area/unit/FT-101',
        '100%',
        '%2F',
        '../etc/passwd',
        '..',
        "it's",
        'say "hi"',
        'a,b',
        'a=b',
        'a\\b',
        'C:\\plant\\line 1',
        'a\\,b',
        'a\\ b',
        'a\\=b',
        'a\\\\b',
        'x\\\'y',
        '유량계-1.PV',
        "'; DROP TABLE history; --",
        'tag_values,tag=fake value=1',
        'time',
      ];
      await store().write(names.map((tag, i) => record(tag, T0 + i * 1000, i, 'good')));
      for (const [i, tag] of names.entries()) {
        expect({ tag, points: await readAll(store(), tag, T0, T0 + 60_000) }).toEqual({
          tag,
          points: [{ ts: T0 + i * 1000, value: i, quality: 'good' }],
        });
        expect(await store().readLatestBefore(tag, T0 + 60_000)).toEqual({ ts: T0 + i * 1000, value: i, quality: 'good' });
      }
    });

    it('keeps tags with common prefixes apart', async () => {
      const tags = ['FT-1', 'FT-10', 'FT-1.PV', 'ft-1', 'FT-1 '];
      await store().write(tags.flatMap((tag, i) => [record(tag, T0, i, 'good'), record(tag, T0 + (i + 1) * 1000, i * 10, 'good')]));
      for (const [i, tag] of tags.entries()) {
        expect((await readAll(store(), tag, T0, T0 + 60_000)).map((p) => p.value)).toEqual([i, i * 10]);
      }
      expect(await readAll(store(), 'FT', T0, T0 + 60_000)).toEqual([]);
      expect(await readAll(store(), 'FT-1*', T0, T0 + 60_000)).toEqual([]);
      expect(await readAll(store(), 'FT-1%', T0, T0 + 60_000)).toEqual([]);
      expect(await readAll(store(), 'FT-1.*', T0, T0 + 60_000)).toEqual([]);
    });

    it('reads nothing for a tag that has no history', async () => {
      const chunks: HistoryPoint[][] = [];
      for await (const chunk of store().read('never.written', T0 - 86_400_000, T0 + 86_400_000)) chunks.push(chunk);
      expect(chunks).toEqual([]);
      expect(await store().readLatestBefore('never.written', T0 + 86_400_000)).toBeNull();
    });

    it('finds the value a tag held at an instant', async () => {
      const tag = 'latest.TAG';
      await store().write([
        record(tag, T0 + 1000, 1, 'good'),
        record(tag, T0 + 2000, 'two', 'uncertain'),
        record(tag, T0 + 3000, null, 'bad'),
      ]);
      expect(await store().readLatestBefore(tag, T0 + 999)).toBeNull();
      expect(await store().readLatestBefore(tag, T0 + 1000)).toEqual({ ts: T0 + 1000, value: 1, quality: 'good' });
      expect(await store().readLatestBefore(tag, T0 + 2999)).toEqual({ ts: T0 + 2000, value: 'two', quality: 'uncertain' });
      expect(await store().readLatestBefore(tag, T0 + 3000)).toEqual({ ts: T0 + 3000, value: null, quality: 'bad' });
      expect(await store().readLatestBefore(tag, T0 + 86_400_000)).toEqual({ ts: T0 + 3000, value: null, quality: 'bad' });
      // A neighbour with a later point does not leak into the answer.
      await store().write([record(`${tag}.other`, T0 + 2500, 99, 'good')]);
      expect(await store().readLatestBefore(tag, T0 + 2999)).toEqual({ ts: T0 + 2000, value: 'two', quality: 'uncertain' });
    });

    describeBulkOperations(store);

    it('answers prune with a count', async () => {
      const deleted = await store().prune(Date.UTC(1995, 0, 1));
      expect(Number.isInteger(deleted) && deleted >= 0).toBe(true);
    });
  });
}

export function record(tag: string, ts: number, value: TagScalar, quality: Quality, source: TagSource = 'raw'): HistoryRecord {
  return { tag, ts, value, quality, source };
}

function point({ ts, value, quality }: HistoryRecord): HistoryPoint {
  return { ts, value, quality };
}

export async function readAll(store: HistoryStore, tag: string, from: number, to: number, chunkSize?: number): Promise<HistoryPoint[]> {
  const points: HistoryPoint[] = [];
  for await (const chunk of store.read(tag, from, to, { chunkSize })) points.push(...chunk);
  return points;
}
