import type { HistoryPoint } from '../ports/history-store';

/**
 * Streaming downsampler that keeps each bucket's minimum and maximum, so a spike never vanishes from
 * a trend. Points arrive in time order; memory stays bounded by `maxPoints` whatever the input size.
 * While there are no more points than `maxPoints`, they are kept as they are.
 */
export class MinMaxDownsampler {
  private raw: HistoryPoint[] | null = [];
  private readonly buckets: number;
  private readonly width: number;
  private readonly bucketMin: Array<HistoryPoint | null>;
  private readonly bucketMax: Array<HistoryPoint | null>;
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
    this.bucketMin = new Array(this.buckets).fill(null);
    this.bucketMax = new Array(this.buckets).fill(null);
    this.bucketOther = new Array(this.buckets).fill(null);
  }

  add(point: HistoryPoint): void {
    this.count++;
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

  get seen(): number {
    return this.count;
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
    const min = this.bucketMin[bucket];
    if (!min || numeric < numericOf(min)) this.bucketMin[bucket] = point;
    const max = this.bucketMax[bucket];
    if (!max || numeric > numericOf(max)) this.bucketMax[bucket] = point;
  }
}

function numericOf(point: HistoryPoint): number {
  return typeof point.value === 'number' ? point.value : point.value ? 1 : 0;
}
