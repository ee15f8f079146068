import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../ports/history-store';
import type { Quality, TagScalar } from '../model/tag-value';
import { MinMaxDownsampler } from './downsample';

/** The downsampler as first written (one point object kept per extreme): the reference. */
class ReferenceDownsampler {
  private raw: HistoryPoint[] | null = [];
  private readonly buckets: number;
  private readonly width: number;
  private readonly bucketMin: Array<HistoryPoint | null>;
  private readonly bucketMax: Array<HistoryPoint | null>;
  private readonly bucketOther: Array<HistoryPoint | null>;

  constructor(
    private readonly from: number,
    to: number,
    private readonly maxPoints: number,
  ) {
    this.buckets = Math.max(1, Math.floor(maxPoints / 2));
    this.width = Math.max(1, (to - from + 1) / this.buckets);
    this.bucketMin = new Array(this.buckets).fill(null);
    this.bucketMax = new Array(this.buckets).fill(null);
    this.bucketOther = new Array(this.buckets).fill(null);
  }

  add(point: HistoryPoint): void {
    if (this.raw) {
      this.raw.push(point);
      if (this.raw.length <= this.maxPoints) return;
      const buffered = this.raw;
      this.raw = null;
      for (const earlier of buffered) this.bucketize(earlier);
      return;
    }
    this.bucketize(point);
  }

  points(): HistoryPoint[] {
    if (this.raw) return this.raw;
    const result: HistoryPoint[] = [];
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      const min = this.bucketMin[bucket];
      const max = this.bucketMax[bucket];
      if (min && max) {
        if (min === max) result.push(min);
        else if (min.ts <= max.ts) result.push(min, max);
        else result.push(max, min);
      } else {
        const other = this.bucketOther[bucket];
        if (other) result.push(other);
      }
    }
    return result;
  }

  private bucketize(point: HistoryPoint): void {
    const bucket = Math.min(this.buckets - 1, Math.max(0, Math.floor((point.ts - this.from) / this.width)));
    const numeric = typeof point.value === 'number' ? point.value : typeof point.value === 'boolean' ? (point.value ? 1 : 0) : null;
    if (numeric === null) {
      this.bucketOther[bucket] ??= point;
      return;
    }
    const numericOf = (p: HistoryPoint) => (typeof p.value === 'number' ? p.value : p.value ? 1 : 0);
    const min = this.bucketMin[bucket];
    if (!min || numeric < numericOf(min)) this.bucketMin[bucket] = point;
    const max = this.bucketMax[bucket];
    if (!max || numeric > numericOf(max)) this.bucketMax[bucket] = point;
  }
}

describe('MinMaxDownsampler', () => {
  it('keeps the points as they are while there are no more than maxPoints', () => {
    const sampler = new MinMaxDownsampler(0, 100, 4);
    const points: HistoryPoint[] = [
      { ts: 1, value: 3, quality: 'good' },
      { ts: 2, value: 'x', quality: 'bad' },
      { ts: 3, value: null, quality: 'uncertain' },
      { ts: 4, value: true, quality: 'good' },
    ];
    for (const point of points) sampler.add(point);
    expect(sampler.points()).toEqual(points);
    expect(sampler.seen).toBe(4);
  });

  it('keeps each bucket’s minimum and maximum in time order, booleans and qualities included', () => {
    const sampler = new MinMaxDownsampler(0, 99, 4);
    const values: Array<[number, TagScalar, Quality]> = [
      [0, 5, 'good'],
      [10, -3, 'uncertain'],
      [20, 9, 'bad'],
      [30, 1, 'good'],
      [50, true, 'bad'],
      [60, false, 'good'],
      [70, 'text', 'good'],
    ];
    for (const [ts, value, quality] of values) sampler.addValue(ts, value, quality);
    expect(sampler.points()).toEqual([
      { ts: 10, value: -3, quality: 'uncertain' },
      { ts: 20, value: 9, quality: 'bad' },
      { ts: 50, value: true, quality: 'bad' },
      { ts: 60, value: false, quality: 'good' },
    ]);
  });

  it('gives what the original downsampler gives on random series of every kind', () => {
    let seed = 11;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const qualities: Quality[] = ['good', 'uncertain', 'bad'];
    for (let round = 0; round < 30; round++) {
      const from = Math.floor(random() * 1000);
      const to = from + 1 + Math.floor(random() * 5000);
      const maxPoints = 1 + Math.floor(random() * 60);
      const sampler = new MinMaxDownsampler(from, to, maxPoints);
      const reference = new ReferenceDownsampler(from, to, maxPoints);
      let ts = from - 10;
      for (let i = Math.floor(random() * 400); i > 0; i--) {
        ts += Math.floor(random() * 30);
        const pick = random();
        const value: TagScalar =
          pick < 0.5 ? Math.round(random() * 100) - 50 : pick < 0.6 ? random() < 0.5 : pick < 0.7 ? `s${i}` : pick < 0.75 ? null : pick < 0.78 ? Number.NaN : random();
        const point = { ts, value, quality: qualities[Math.floor(random() * 3)] };
        sampler.addValue(point.ts, point.value, point.quality);
        reference.add(point);
      }
      expect(sampler.points(), `round ${round}`).toEqual(reference.points());
    }
  });
});
