import { authorOf, changedByOf } from '../security/identity';
import { getShadow, getShadowSeries, promoteShadow, startShadow, stopShadow } from '../shadows/shadow-runs-api';
import { ForceQuerySchema, ScriptIdParams, ScriptSchema } from './api-schemas';
import { ok, operation, type Operation } from './operation';
import { ShadowSchema, ShadowSeriesQuerySchema, ShadowSeriesSchema, ShadowStartedSchema, StartShadowBodySchema } from './shadow-schemas';

/** Shadow runs (changes.md): a candidate tried on the live stream beside the registered version; part of OPERATIONS. */

export const SHADOW_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'startShadow',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/shadow',
    summary: 'Try a candidate draft on the live values beside the registered version (replaces its shadow); never published',
    tag: 'scripts',
    params: ScriptIdParams,
    body: StartShadowBodySchema,
    responses: { 201: { description: 'Started; the engine running the script picks it up within a second', schema: ShadowStartedSchema } },
    errors: [400, 404, 409, 413, 422, 503],
    run: async ({ services, params, body, identity }) => ok(await startShadow(services, params.id, body.script, identity ? changedByOf(identity) : null), 201),
  }),
  operation({
    id: 'getShadow',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts/{id}/shadow',
    summary: 'The running shadow: per output the latest live and shadow values, how often compared, differing, max abs diff',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 200: { description: 'The comparison', schema: ShadowSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await getShadow(services, params.id)),
  }),
  operation({
    id: 'stopShadow',
    role: 'editor',
    method: 'DELETE',
    path: '/api/scripts/{id}/shadow',
    summary: 'Stop the shadow run',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 204: { description: 'Stopped' } },
    errors: [400, 404, 503],
    async run({ services, params }) {
      await stopShadow(services, params.id);
      return { status: 204 };
    },
  }),
  operation({
    id: 'getShadowSeries',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts/{id}/shadow/series',
    summary: 'The live and shadow series of each output (and their difference), for a diff plot',
    tag: 'scripts',
    params: ScriptIdParams,
    query: ShadowSeriesQuerySchema,
    responses: { 200: { description: 'The series', schema: ShadowSeriesSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params, query }) => ok(await getShadowSeries(services, params.id, query)),
  }),
  operation({
    id: 'promoteShadow',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/shadow/promote',
    summary: 'The candidate becomes the next version and the registered one (as PUT, hot-swapped); the shadow ends',
    tag: 'scripts',
    params: ScriptIdParams,
    query: ForceQuerySchema,
    responses: { 200: { description: 'The promoted script', schema: ScriptSchema } },
    errors: [400, 404, 409, 422, 503],
    run: async ({ services, params, query, identity, requestId, ip }) =>
      ok(await promoteShadow(services, params.id, authorOf(identity, { requestId, ip }), { force: query.force })),
  }),
];
