/** Background jobs (history-ml.md "Backfill"): the vocabulary shared by the store, the runner and the API. */

export const JOB_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export const BACKFILL_MODES = ['replace', 'fill'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

export interface JobProgress {
  /** Share of the period processed, 0 to 1. */
  fraction: number;
  /** Everything before this instant (epoch ms) is computed and written; null before the first chunk. */
  processedUntil: number | null;
  evaluations: number;
  /** Values written to the history store. */
  written: number;
  /** Evaluations that failed (each wrote its outputs null/bad with reason "error", as live). */
  errors: number;
}

/** A job as stored (times in epoch ms). */
export interface StoredJob {
  id: string;
  kind: 'backfill';
  scriptId: string;
  version: number;
  from: number;
  to: number;
  mode: BackfillMode;
  state: JobState;
  progress: JobProgress;
  warnings: string[];
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  heartbeatAt: Date | null;
  error: string | null;
  createdBy: { id: string; name: string } | null;
}

export const EMPTY_PROGRESS: JobProgress = { fraction: 0, processedUntil: null, evaluations: 0, written: 0, errors: 0 };

export function isActiveJob(state: JobState): boolean {
  return state === 'queued' || state === 'running';
}
