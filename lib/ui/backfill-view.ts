import { api, type ApiClient } from './api-client';
import { fromDateTimeLocal } from './time-range';
import type { JobView } from '../backfill/job-view';
import type { BackfillMode, JobState } from '../model/job';

/** Backfill jobs in the IDE (history-ml.md "Backfill"): the API calls, the form's checks, rate and time left. */

export type JobStateJson = JobState;
export type BackfillModeJson = BackfillMode;

/** The API's `Job`; the answer of a start also carries `warnings`. */
export type JobJson = JobView & { warnings?: string[] };

export function createBackfillApi(client: ApiClient = api) {
  const { request } = client;
  return {
    start: (scriptId: string, body: { from: string; to: string; version?: number; mode: BackfillModeJson }) =>
      request<JobJson>('POST', `/api/scripts/${encodeURIComponent(scriptId)}/backfill`, body),
    list: (scriptId: string, options?: { signal?: AbortSignal }) =>
      request<{ jobs: JobJson[] }>('GET', `/api/jobs?scriptId=${encodeURIComponent(scriptId)}`, undefined, options),
    cancel: (jobId: string) => request<JobJson>('POST', `/api/jobs/${encodeURIComponent(jobId)}/cancel`),
  };
}

export const backfillApi = createBackfillApi();

export const isActive = (job: JobJson) => job.state === 'queued' || job.state === 'running';

export interface BackfillForm {
  /** datetime-local values. */
  from: string;
  to: string;
  /** '' = the running (or else latest) version. */
  version: string;
  mode: BackfillModeJson;
}

export type BackfillProblem = 'invalid' | 'order' | 'future' | 'version';

/** The request of a form, or why it cannot be sent. */
export function backfillRequest(form: BackfillForm, now: number): { from: string; to: string; version?: number; mode: BackfillModeJson } | { problem: BackfillProblem } {
  const from = fromDateTimeLocal(form.from);
  const to = fromDateTimeLocal(form.to);
  if (!from || !to) return { problem: 'invalid' };
  if (Date.parse(from) >= Date.parse(to)) return { problem: 'order' };
  if (Date.parse(to) > now) return { problem: 'future' };
  if (form.version.trim() === '') return { from, to, mode: form.mode };
  const version = Number(form.version);
  if (!Number.isInteger(version) || version < 1) return { problem: 'version' };
  return { from, to, version, mode: form.mode };
}

export interface ProgressSample {
  /** Wall clock of the observation (ms). */
  at: number;
  /** Period processed until then (ms), from the job's processedUntil. */
  processed: number;
}

/**
 * Rate (period computed per second of wall clock) and time left of a running job, from the first and
 * the last observation of its progress; null until the progress has moved.
 */
export function backfillPace(job: JobJson, first: ProgressSample | null, last: ProgressSample | null): { speed: number; leftMs: number } | null {
  if (!first || !last || last.at <= first.at || last.processed <= first.processed) return null;
  const speed = (last.processed - first.processed) / (last.at - first.at);
  const remaining = Date.parse(job.to) - last.processed;
  return { speed, leftMs: Math.max(0, remaining / speed) };
}

/** A duration in words-free units: 45 s, 3 min 20 s, 2 h 05 min, 3 d 4 h. */
export function formatSpan(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${String(minutes % 60).padStart(2, '0')} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}
