import type { ChangeAuthor } from '../model/audit';
import type { JobProgress, JobState, StoredJob } from '../model/job';

/**
 * Where background jobs live (history-ml.md "Backfill"), on the scripts' database (PGlite or
 * PostgreSQL). Starting and cancelling a job write their audit entry (`backfill.start`,
 * `backfill.cancel`) in the same transaction as the row.
 */

export interface JobQuery {
  scriptId?: string;
  state?: JobState;
  limit?: number;
}

/** Who changes a job, for its audit entry (null: not audited, e.g. AUTH=off). */
export type JobAuthor = ChangeAuthor & { scriptName: string };

export interface JobStore {
  /**
   * Inserts a queued job, unless a queued or running job of the same script overlaps [from, to):
   * then returns that job and inserts nothing (checked under a per-script lock).
   */
  create(job: StoredJob, author: JobAuthor | null): Promise<{ ok: true; job: StoredJob } | { ok: false; overlapping: StoredJob }>;
  get(id: string): Promise<StoredJob | null>;
  /** Newest first. */
  list(query: JobQuery): Promise<StoredJob[]>;
  /** Cancels a queued or running job (finishedAt = at); returns the job as it is after (unchanged when it had ended); null when unknown. */
  cancel(id: string, at: Date, author: JobAuthor | null): Promise<StoredJob | null>;
  /**
   * Claims the oldest queued job, or a running one whose heartbeat is older than `staleBefore`
   * (its process died): state running, heartbeat now. Null when there is none.
   */
  claim(now: Date, staleBefore: Date): Promise<StoredJob | null>;
  /** Saves progress and the heartbeat while the job is running; false when it is no longer running (cancelled). */
  saveProgress(id: string, progress: JobProgress, now: Date): Promise<boolean>;
  /** Ends a running job (done or failed); the progress is saved even when it was cancelled meanwhile. */
  finish(id: string, state: 'done' | 'failed', progress: JobProgress, error: string | null, at: Date): Promise<void>;
}
