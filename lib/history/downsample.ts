import type { HistoryPoint } from '../ports/history-store';
import { QUALITIES, type Quality, type TagScalar } from '../model/tag-value';
import { qualityCode } from './history-columns';

const NUMBER = 1;
const FALSE = 2;
const TRUE = 3;

/**
 * Streaming downsampler that keeps each bucket's minimum and maximum, so a spike never vanishes from
 * a trend. Points arrive in time order; memory stays bounded by `maxPoints` whatever the input size.
 * While there are no more points than `maxPoints`, they are kept as they are.
 *
 * A plot feeds it millions of values (every input point and every output of every evaluation), so
 * the extremes are kept in typed arrays and `addValue` allocates nothing for numbers and booleans;
 * point objects are built once, by `points()`.
 */
export class MinMaxDownsampler {
  private raw: HistoryPoint[] | null = [];
  private readonly buckets: number;
  private readonly width: number;
  /** Per bucket, the minimum and the maximum: arrival number (-1 for none), ts, value, kind, quality code. */
  private readonly min: Extreme;
  private readonly max: Extreme;
  /** Points whose value is not a number (strings, nulls): the first of each bucket is kept. */
  private readonly bucketOther: Array<HistoryPoint | null>;
  private count = 0;

  constructor(
    private readonly from: number,
    to: number,
    private readonly maxPoints: number,
  ) {
    this.buckets = Math.max(1, Math.floor(maxPoints / 2));
    this.width = Math.max(1, (to - from + 1) / this.buckets);
    this.min = extremes(this.buckets);
    this.max = extremes(this.buckets);
    this.bucketOther = new Array(this.buckets).fill(null);
  }

  add(point: HistoryPoint): void {
    this.addValue(point.ts, point.value, point.quality);
  }

  addValue(ts: number, value: TagScalar, quality: Quality): void {
    const seq = this.count++;
    if (this.raw) {
      this.raw.push({ ts, value, quality });
      if (this.raw.length <= this.maxPoints) return;
      const buffered = this.raw;
      this.raw = null;
      for (let index = 0; index < buffered.length; index++) {
        const earlier = buffered[index];
        this.bucketize(index, earlier.ts, earlier.value, earlier.quality);
      }
      return;
    }
    this.bucketize(seq, ts, value, quality);
  }

  get seen(): number {
    return this.count;
  }

  points(): HistoryPoint[] {
    if (this.raw) return this.raw;
    const result: HistoryPoint[] = [];
    const { min, max } = this;
    for (let bucket = 0; bucket < this.buckets; bucket++) {
      if (min.seq[bucket] >= 0) {
        if (min.seq[bucket] === max.seq[bucket]) result.push(pointOf(min, bucket));
        else if (min.ts[bucket] <= max.ts[bucket]) result.push(pointOf(min, bucket), pointOf(max, bucket));
        else result.push(pointOf(max, bucket), pointOf(min, bucket));
      } else {
        const other = this.bucketOther[bucket];
        if (other) result.push(other);
      }
    }
    return result;
  }

  private bucketize(seq: number, ts: number, value: TagScalar, quality: Quality): void {
    const bucket = Math.min(this.buckets - 1, Math.max(0, Math.floor((ts - this.from) / this.width)));
    let numeric: number;
    let kind: number;
    if (typeof value === 'number') {
      numeric = value;
      kind = NUMBER;
    } else if (typeof value === 'boolean') {
      numeric = value ? 1 : 0;
      kind = value ? TRUE : FALSE;
    } else {
      this.bucketOther[bucket] ??= { ts, value, quality };
      return;
    }
    const { min, max } = this;
    if (min.seq[bucket] < 0 || numeric < min.value[bucket]) set(min, bucket, seq, ts, numeric, kind, quality);
    if (max.seq[bucket] < 0 || numeric > max.value[bucket]) set(max, bucket, seq, ts, numeric, kind, quality);
  }
}

interface Extreme {
  seq: Float64Array;
  ts: Float64Array;
  value: Float64Array;
  kind: Uint8Array;
  quality: Uint8Array;
}

function extremes(buckets: number): Extreme {
  return {
    seq: new Float64Array(buckets).fill(-1),
    ts: new Float64Array(buckets),
    value: new Float64Array(buckets),
    kind: new Uint8Array(buckets),
    quality: new Uint8Array(buckets),
  };
}

function set(extreme: Extreme, bucket: number, seq: number, ts: number, value: number, kind: number, quality: Quality): void {
  extreme.seq[bucket] = seq;
  extreme.ts[bucket] = ts;
  extreme.value[bucket] = value;
  extreme.kind[bucket] = kind;
  extreme.quality[bucket] = qualityCode(quality);
}

function pointOf(extreme: Extreme, bucket: number): HistoryPoint {
  const kind = extreme.kind[bucket];
  const value = kind === NUMBER ? extreme.value[bucket] : kind === TRUE;
  return { ts: extreme.ts[bucket], value, quality: QUALITIES[extreme.quality[bucket]] ?? 'bad' };
}
