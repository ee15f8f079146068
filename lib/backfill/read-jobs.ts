import { notFound, UserError } from '../model/errors';
import type { ChangeAuthor } from '../model/audit';
import type { JobState } from '../model/job';
import type { BackfillPorts } from './backfill-ports';
import { jobStoreOf, toJobView, type JobView } from './job-view';

/** GET /api/jobs/{id}. */
export async function getJob(ports: Pick<BackfillPorts, 'jobs'>, id: string): Promise<JobView> {
  const job = await jobStoreOf(ports).get(id);
  if (!job) throw notFound('job', id);
  return toJobView(job);
}

/** GET /api/jobs?scriptId=&state=: newest first. */
export async function listJobs(ports: Pick<BackfillPorts, 'jobs'>, query: { scriptId?: string; state?: JobState }): Promise<{ jobs: JobView[] }> {
  const jobs = await jobStoreOf(ports).list(query);
  return { jobs: jobs.map(toJobView) };
}

/**
 * POST /api/jobs/{id}/cancel: a queued job never starts; a running one stops at its next chunk (what
 * it wrote stays and is reported). Cancelling an ended job is a 409 naming its state.
 */
export async function cancelJob(ports: Pick<BackfillPorts, 'jobs' | 'store' | 'now'>, id: string, author: ChangeAuthor | undefined): Promise<JobView> {
  const jobs = jobStoreOf(ports);
  const before = await jobs.get(id);
  if (!before) throw notFound('job', id);
  const script = await ports.store.get(before.scriptId);
  const scriptName = script?.definition.name ?? before.scriptId;
  const after = await jobs.cancel(id, new Date(ports.now()), author ? { ...author, scriptName } : null);
  if (!after) throw notFound('job', id);
  if (after.state !== 'cancelled' || before.state === 'cancelled') {
    throw new UserError('CONFLICT', `job ${id} has already ended (${after.state}); only a queued or running job can be cancelled`, { state: after.state });
  }
  return toJobView(after);
}
