import { randomUUID } from 'node:crypto';
import type { ChangeAuthor } from '../model/audit';
import { notFound, UserError } from '../model/errors';
import { EMPTY_PROGRESS, type BackfillMode, type StoredJob } from '../model/job';
import { isoTime } from '../model/tag-value';
import { parseRange } from '../history/get-tag-history';
import { versionNotFound } from '../scripts/get-script-version';
import type { BackfillPorts } from './backfill-ports';
import { jobStoreOf, toJobView, type JobView } from './job-view';

export interface StartBackfillRequest {
  from: string;
  to: string;
  version?: number;
  mode?: BackfillMode;
}

/**
 * POST /api/scripts/{id}/backfill: queues a job that computes the script's outputs over [from, to)
 * from its inputs' history and writes them to the history store. 409 when a queued or running job
 * of the script overlaps the period. `warnings` names the scripts fed by its outputs (not recomputed).
 */
export async function startBackfill(
  ports: Pick<BackfillPorts, 'store' | 'jobs' | 'now' | 'backfillRunner'>,
  scriptId: string,
  request: StartBackfillRequest,
  author: ChangeAuthor | undefined,
): Promise<JobView & { warnings: string[] }> {
  const jobs = jobStoreOf(ports);
  const now = ports.now();
  const { from, to } = parseRange(request.from, request.to, now);
  if (from >= to) throw new UserError('VALIDATION_FAILED', 'from must be before to: a backfill covers [from, to)', { from: request.from, to: request.to });
  if (to > now) {
    throw new UserError('VALIDATION_FAILED', `to (${isoTime(to)}) is in the future: a backfill computes the past; choose a time up to now`, { to: request.to });
  }
  const script = await ports.store.get(scriptId);
  if (!script) throw notFound('script', scriptId);
  const name = script.definition.name;
  const version = request.version ?? script.version;
  let definition = script.definition;
  if (version !== script.version) {
    const found = await ports.store.getVersion(scriptId, version);
    if (!found?.found) throw versionNotFound(name, scriptId, version, found?.latest ?? script.version);
    definition = found.found.definition;
  }
  if (definition.outputs.length === 0) {
    throw new UserError('VALIDATION_FAILED', `script '${name}' version ${version} has no outputs: there is nothing to backfill`);
  }

  const outputTags = new Set(definition.outputs.map((output) => output.tag));
  const warnings: string[] = [];
  for (const other of await ports.store.list()) {
    if (other.id === scriptId) continue;
    const fed = other.definition.inputs.filter((input) => outputTags.has(input.tag)).map((input) => input.tag);
    for (const tag of new Set(fed)) {
      warnings.push(
        `output '${tag}' feeds script '${other.definition.name}', which this backfill does not recompute; backfill '${other.definition.name}' over the same period afterwards`,
      );
    }
  }

  const job: StoredJob = {
    id: randomUUID(),
    kind: 'backfill',
    scriptId,
    version,
    from,
    to,
    mode: request.mode ?? 'replace',
    state: 'queued',
    progress: EMPTY_PROGRESS,
    warnings,
    createdAt: new Date(now),
    startedAt: null,
    finishedAt: null,
    heartbeatAt: null,
    error: null,
    createdBy: author?.by ?? null,
  };
  const created = await jobs.create(job, author ? { ...author, scriptName: name } : null);
  if (!created.ok) {
    const other = created.overlapping;
    throw new UserError(
      'CONFLICT',
      `script '${name}' already has a ${other.state} backfill (job ${other.id}) over ${isoTime(other.from)} – ${isoTime(other.to)}, which overlaps this period; wait for it to end or cancel it (POST /api/jobs/${other.id}/cancel)`,
      { jobId: other.id },
    );
  }
  ports.backfillRunner?.kick();
  return { ...toJobView(created.job), warnings };
}
