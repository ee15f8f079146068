import { OperationalError } from '../model/errors';
import type { BackfillMode, JobState, StoredJob } from '../model/job';
import type { JobStore } from '../ports/job-store';
import { isoTime } from '../model/tag-value';

/** The API's `Job` (history-ml.md): times as ISO strings. */
export interface JobView {
  id: string;
  kind: 'backfill';
  scriptId: string;
  version: number;
  from: string;
  to: string;
  mode: BackfillMode;
  state: JobState;
  progress: { fraction: number; processedUntil: string | null; evaluations: number; written: number; errors: number };
  startedAt: string | null;
  finishedAt: string | null;
  error: string | null;
  createdBy: { id: string; name: string } | null;
}

export function toJobView(job: StoredJob): JobView {
  const { progress } = job;
  return {
    id: job.id,
    kind: job.kind,
    scriptId: job.scriptId,
    version: job.version,
    from: isoTime(job.from),
    to: isoTime(job.to),
    mode: job.mode,
    state: job.state,
    progress: {
      fraction: progress.fraction,
      processedUntil: progress.processedUntil === null ? null : isoTime(progress.processedUntil),
      evaluations: progress.evaluations,
      written: progress.written,
      errors: progress.errors,
    },
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    error: job.error,
    createdBy: job.createdBy,
  };
}

/** The job store, or a 503 saying why there is none. */
export function jobStoreOf(ports: { jobs: JobStore | null }): JobStore {
  if (!ports.jobs) throw new OperationalError('database', 'backfill jobs need the database, which this process has not opened');
  return ports.jobs;
}
