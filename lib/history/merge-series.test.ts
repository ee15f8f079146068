import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../ports/history-store';
import { columnsFromPoints, KIND_ABSENT, pointsFromColumns, valueAt, type HistoryColumns } from './history-columns';
import { mergeColumns, mergeSeries, mergeSeriesBatches, type MergedColumns, type SeriesChunks, type SeriesGroup } from './merge-series';

const p = (ts: number, value: number | string | boolean | null = ts): HistoryPoint => ({ ts, value, quality: 'good' });

/** A series as `read` yields it: the points cut into chunks of the given sizes. */
function chunked(points: HistoryPoint[], ...sizes: number[]): SeriesChunks & { closed: boolean; pulled: number } {
  const state = {
    closed: false,
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      let at = 0;
      try {
        for (const size of sizes.length > 0 ? sizes : [points.length]) {
          state.pulled++;
          yield points.slice(at, at + size);
          at += size;
        }
        if (at < points.length) throw new Error('test series has points beyond its chunk sizes');
      } finally {
        state.closed = true;
      }
    },
  };
  return state;
}

async function collect(series: Iterable<readonly [string, SeriesChunks]>): Promise<{ ts: number; values: Record<string, unknown> }[]> {
  const groups: { ts: number; values: Record<string, unknown> }[] = [];
  for await (const group of mergeSeries(series)) {
    groups.push({ ts: group.ts, values: Object.fromEntries([...group.values].map(([tag, point]) => [tag, point.value])) });
  }
  return groups;
}

describe('mergeSeries', () => {
  it('interleaves series in time order', async () => {
    const groups = await collect([
      ['a', chunked([p(1), p(4), p(7)])],
      ['b', chunked([p(2), p(5)])],
      ['c', chunked([p(3), p(6), p(8), p(9)])],
    ]);
    expect(groups.map((group) => group.ts)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(groups[0].values).toEqual({ a: 1 });
    expect(groups[8].values).toEqual({ c: 9 });
  });

  it('puts the points of several tags sharing a timestamp in one group', async () => {
    const groups = await collect([
      ['flow', chunked([p(10, 1.5), p(20, 2.5), p(30, 3.5)])],
      ['temp', chunked([p(10, 80), p(30, 82)])],
      ['state', chunked([p(20, 'run'), p(30, 'stop')])],
    ]);
    expect(groups).toEqual([
      { ts: 10, values: { flow: 1.5, temp: 80 } },
      { ts: 20, values: { flow: 2.5, state: 'run' } },
      { ts: 30, values: { flow: 3.5, temp: 82, state: 'stop' } },
    ]);
  });

  it('handles empty series, empty chunks and no series at all', async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect([['a', chunked([])], ['b', chunked([], 0, 0)]])).toEqual([]);
    const groups = await collect([
      ['a', chunked([])],
      ['b', chunked([p(1), p(2), p(3)], 0, 1, 0, 0, 2, 0)],
    ]);
    expect(groups.map((group) => group.ts)).toEqual([1, 2, 3]);
  });

  it('joins groups across chunk boundaries that differ between series', async () => {
    const times = Array.from({ length: 50 }, (_, i) => i * 10);
    const groups = await collect([
      ['a', chunked(times.map((ts) => p(ts)), 7, 7, 7, 7, 7, 7, 7, 1)],
      ['b', chunked(times.map((ts) => p(ts)), 1, 49)],
      ['c', chunked(times.filter((ts) => ts % 20 === 0).map((ts) => p(ts)), 3, 3, 3, 3, 3, 3, 3, 3, 1)],
    ]);
    expect(groups.map((group) => group.ts)).toEqual(times);
    for (const group of groups) {
      expect(Object.keys(group.values).sort()).toEqual(group.ts % 20 === 0 ? ['a', 'b', 'c'] : ['a', 'b']);
    }
  });

  it('matches a reference merge on random series', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 20; round++) {
      const series = new Map<string, HistoryPoint[]>();
      for (let s = 0; s < 1 + Math.floor(random() * 5); s++) {
        const points: HistoryPoint[] = [];
        let ts = Math.floor(random() * 5);
        for (let i = Math.floor(random() * 60); i > 0; i--) {
          points.push(p(ts, `${s}:${ts}`));
          ts += 1 + Math.floor(random() * 4);
        }
        series.set(`tag${s}`, points);
      }
      const expected = new Map<number, Record<string, unknown>>();
      for (const [tag, points] of series) for (const point of points) expected.set(point.ts, { ...expected.get(point.ts), [tag]: point.value });
      const reference = [...expected].sort(([a], [b]) => a - b).map(([ts, values]) => ({ ts, values }));

      const sizes = () => Array.from({ length: 80 }, () => Math.floor(random() * 6));
      const merged = await collect([...series].map(([tag, points]) => [tag, chunked(points, ...sizes(), 1_000)] as const));
      expect(merged).toEqual(reference);
    }
  });

  it('reads ahead no further than one batch of groups and one chunk per series', async () => {
    const long = chunked(Array.from({ length: 1_000 }, (_, i) => p(i)), ...Array(100).fill(10));
    const short = chunked([p(0), p(500)], 1, 1);
    const iterator = mergeSeriesBatches([['long', long], ['short', short]], { maxGroups: 25 })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.map((group: SeriesGroup) => group.ts)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    // Groups 0-24 came from the first three chunks; the fourth is the one chunk read ahead.
    expect(long.pulled).toBeLessThanOrEqual(4);
    await iterator.return?.(undefined);
    expect(long.closed).toBe(true);
  });

  it('closes every reader when the consumer stops early', async () => {
    const a = chunked(Array.from({ length: 100 }, (_, i) => p(i)), 10, 10, 10, 10, 10, 10, 10, 10, 10, 10);
    const b = chunked(Array.from({ length: 100 }, (_, i) => p(i * 2)), 50, 50);
    let seen = 0;
    for await (const group of mergeSeries([['a', a], ['b', b]])) {
      expect(group.ts).toBe(seen);
      if (++seen === 15) break;
    }
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(true);
  });

  it('passes on a reader failure and closes the other readers', async () => {
    const healthy = chunked([p(1), p(2), p(3)], 1, 1, 1);
    const failing: SeriesChunks = {
      async *[Symbol.asyncIterator]() {
        yield [p(1)];
        throw new Error('InfluxDB went away');
      },
    };
    await expect(collect([['ok', healthy], ['bad', failing]])).rejects.toThrow('InfluxDB went away');
    expect(healthy.closed).toBe(true);
  });

  it('refuses a series that goes back in time', async () => {
    await expect(collect([['a', chunked([p(1), p(3), p(2)], 2, 1)]])).rejects.toThrow(/'a' is not in time order/);
  });

  it('hands out batches of bounded size', async () => {
    const points = Array.from({ length: 2_500 }, (_, i) => p(i));
    const sizes: number[] = [];
    const all: SeriesGroup[] = [];
    for await (const batch of mergeSeriesBatches([['a', chunked(points, 1_000, 1_000, 500)]], { maxGroups: 600 })) {
      sizes.push(batch.length);
      all.push(...batch);
    }
    expect(sizes).toEqual([600, 600, 600, 600, 100]);
    expect(all.map((group) => group.ts)).toEqual(points.map((point) => point.ts));
  });
});

/** A series as `readColumns` yields it: pages of the given sizes. */
function paged(points: HistoryPoint[], ...sizes: number[]): AsyncIterable<HistoryColumns> & { closed: boolean } {
  const state = {
    closed: false,
    async *[Symbol.asyncIterator]() {
      let at = 0;
      try {
        for (const size of sizes.length > 0 ? sizes : [points.length]) {
          yield columnsFromPoints(points.slice(at, at + size));
          at += size;
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return state;
}

async function collectColumns(series: Array<readonly [string, AsyncIterable<HistoryColumns>]>, maxInstants?: number): Promise<MergedColumns[]> {
  const batches: MergedColumns[] = [];
  for await (const batch of mergeColumns(series, { maxInstants })) batches.push(batch);
  return batches;
}

describe('mergeColumns', () => {
  it('aligns every series on the instants, absent where a series has no point', async () => {
    const [batch, ...rest] = await collectColumns([
      ['flow', paged([p(10, 1.5), p(20, 'run'), p(30, true)], 1, 2)],
      ['temp', paged([p(10, 80), p(30, null)])],
    ]);
    expect(rest).toEqual([]);
    expect(Array.from(batch.ts.subarray(0, batch.length))).toEqual([10, 20, 30]);
    const column = (s: number) => Array.from({ length: batch.length }, (_, i) => (batch.series[s].kind[i] === KIND_ABSENT ? 'absent' : valueAt(batch.series[s], i)));
    expect(column(0)).toEqual([1.5, 'run', true]);
    expect(column(1)).toEqual([80, 'absent', null]);
    expect(batch.series.map((series) => series.length)).toEqual([3, 3]);
  });

  it('hands out batches of at most maxInstants that it never writes to again', async () => {
    const points = Array.from({ length: 25 }, (_, i) => p(i, `s${i}`));
    const batches = await collectColumns([['a', paged(points, 7, 7, 7, 4)]], 10);
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    // Strings travel with the batch that holds them.
    expect(batches.flatMap((batch) => pointsFromColumns({ ...batch.series[0], length: batch.length }))).toEqual(points);
  });

  it('matches mergeSeries on random series', async () => {
    let seed = 3;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 10; round++) {
      const series: Array<[string, HistoryPoint[]]> = [];
      for (let s = 0; s < 1 + Math.floor(random() * 4); s++) {
        const points: HistoryPoint[] = [];
        let ts = Math.floor(random() * 5);
        for (let i = Math.floor(random() * 80); i > 0; i--) {
          points.push(p(ts, random() < 0.3 ? `${s}:${ts}` : random() < 0.5 ? ts : random() < 0.5));
          ts += 1 + Math.floor(random() * 4);
        }
        series.push([`tag${s}`, points]);
      }
      const sizes = () => [...Array.from({ length: 40 }, () => Math.floor(random() * 6)), 1_000];
      const merged: Array<{ ts: number; values: Record<string, unknown> }> = [];
      for (const batch of await collectColumns(
        series.map(([tag, points]) => [tag, paged(points, ...sizes())] as const),
        1 + Math.floor(random() * 20),
      )) {
        for (let i = 0; i < batch.length; i++) {
          const values: Record<string, unknown> = {};
          series.forEach(([tag], s) => {
            if (batch.series[s].kind[i] !== KIND_ABSENT) values[tag] = valueAt(batch.series[s], i);
          });
          merged.push({ ts: batch.ts[i], values });
        }
      }
      expect(merged).toEqual(await collect(series.map(([tag, points]) => [tag, chunked(points)] as const)));
    }
  });

  it('closes every reader when the consumer stops early, and refuses a series that goes back in time', async () => {
    const a = paged(Array.from({ length: 100 }, (_, i) => p(i)), 10, 90);
    const b = paged(Array.from({ length: 100 }, (_, i) => p(i * 2)), 50, 50);
    for await (const batch of mergeColumns([['a', a], ['b', b]], { maxInstants: 5 })) if (batch.ts[0] >= 10) break;
    expect([a.closed, b.closed]).toEqual([true, true]);
    await expect(collectColumns([['a', paged([p(1), p(3), p(2)], 2, 1)]])).rejects.toThrow(/'a' is not in time order/);
  });
});
