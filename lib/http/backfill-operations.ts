import { startBackfill } from '../backfill/start-backfill';
import { cancelJob, getJob, listJobs } from '../backfill/read-jobs';
import { authorOf } from '../security/identity';
import { ScriptIdParams } from './api-schemas';
import { JobIdParams, JobListQuerySchema, JobListSchema, JobSchema, StartBackfillBodySchema, StartedJobSchema } from './backfill-schemas';
import { ok, operation, type Operation } from './operation';

/** Backfill jobs (history-ml.md "Backfill"); part of OPERATIONS. */

export const BACKFILL_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'startBackfill',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/backfill',
    summary: "Compute the script's outputs over a past period from its inputs' history and write them to the history store (a job)",
    tag: 'scripts',
    params: ScriptIdParams,
    body: StartBackfillBodySchema,
    responses: { 202: { description: 'Queued; follow it with GET /api/jobs/{id}', schema: StartedJobSchema } },
    errors: [400, 404, 409, 413, 503],
    run: async ({ services, params, body, identity, requestId, ip }) =>
      ok(await startBackfill(services, params.id, body, authorOf(identity, { requestId, ip })), 202),
  }),
  operation({
    id: 'listJobs',
    role: 'viewer',
    method: 'GET',
    path: '/api/jobs',
    summary: 'Background jobs (backfills), newest first, of one script or in one state',
    tag: 'scripts',
    query: JobListQuerySchema,
    responses: { 200: { description: 'The jobs', schema: JobListSchema } },
    errors: [400, 503],
    run: async ({ services, query }) => ok(await listJobs(services, query)),
  }),
  operation({
    id: 'getJob',
    role: 'viewer',
    method: 'GET',
    path: '/api/jobs/{id}',
    summary: 'A job and its progress',
    tag: 'scripts',
    params: JobIdParams,
    responses: { 200: { description: 'The job', schema: JobSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await getJob(services, params.id)),
  }),
  operation({
    id: 'cancelJob',
    role: 'editor',
    method: 'POST',
    path: '/api/jobs/{id}/cancel',
    summary: 'Cancel a job: it stops at its next chunk; what it wrote stays and is reported',
    tag: 'scripts',
    params: JobIdParams,
    responses: { 200: { description: 'The cancelled job', schema: JobSchema } },
    errors: [400, 404, 409, 503],
    run: async ({ services, params, identity, requestId, ip }) => ok(await cancelJob(services, params.id, authorOf(identity, { requestId, ip }))),
  }),
];
