import type { Diagnostic } from './diagnostic';
import type { Quality, TagScalar } from './tag-value';

/** Shadow runs (changes.md "Shadow runs"): what a candidate version running beside the live one shows. */

export interface ShadowSample {
  value: TagScalar;
  /** Epoch ms. */
  ts: number;
  quality: Quality;
}

export interface OutputComparison {
  live: ShadowSample | null;
  shadow: ShadowSample | null;
  compared: number;
  differing: number;
  /** The largest |live − shadow| of two numbers compared; null until two numbers were. */
  maxAbsDiff: number | null;
}

export interface SeriesPoint {
  ts: number;
  value: TagScalar;
  quality: Quality;
}

export interface ShadowSeries {
  live: SeriesPoint[];
  shadow: SeriesPoint[];
  /** shadow − live at each comparison of two numbers. */
  difference: SeriesPoint[];
}

/** The candidate's runtime state, as its engine reports it. */
export interface ShadowActivity {
  state: 'running' | 'waiting' | 'quarantined';
  evaluations: number;
  errors: number;
  lastError: Diagnostic | null;
}

/** What the engine running a shadow reports (saved by a worker for the web processes to read). */
export interface ShadowReport {
  comparison: Record<string, OutputComparison>;
  series: Record<string, ShadowSeries>;
  activity: ShadowActivity | null;
}
