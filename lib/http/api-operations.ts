import { z } from 'zod';
import { messageOf, UserError } from '../model/errors';
import { diagnostic, fieldName } from '../model/diagnostic-messages';
import { calculateScript } from '../editor-runs/calculate-script';
import { validateScript } from '../editor-runs/validate-script';
import { createScript } from '../scripts/create-script';
import { deleteScript } from '../scripts/delete-script';
import { getScript } from '../scripts/get-script';
import { listScripts } from '../scripts/list-scripts';
import { registerScript } from '../scripts/register-script';
import { formatIssues, formatPath, RunnableDraftSchema } from '../model/script-schema';
import { unregisterScript } from '../scripts/unregister-script';
import { updateScript } from '../scripts/update-script';
import { getTagHistory } from '../history/get-tag-history';
import { CONTENT_TYPES, exportHistory } from '../history/export-history';
import { logFailure } from './log-stream-failure';
import { getDescribedTag, listDescribedTags } from '../tags/describe-tags';
import { removeTag } from '../tags/remove-tag';
import { setTagMeta } from '../tags/set-tag-meta';
import { publishValues } from '../tags/publish-values';
import {
  AcceptedSchema,
  CalcResultSchema,
  ExportQuerySchema,
  ForceQuerySchema,
  HealthSchema,
  HistoryQuerySchema,
  HistoryResponseSchema,
  InputOverridesSchema,
  lookupKey,
  RunRequestSchema,
  SaveScriptSchema,
  ScriptIdParams,
  ScriptListSchema,
  ScriptSchema,
  TagListQuerySchema,
  TagDetailSchema,
  TagListSchema,
  TagMetaBodySchema,
  TagMetaSchema,
  TagParams,
  ValidateResponseSchema,
  ValuesRequestSchema,
} from './api-schemas';
import { checkHealth } from './check-health';
import { authorOf } from '../security/identity';
import { recordValuesPosted } from '../security/record-values-posted';
import { AUTH_OPERATIONS } from './auth-operations';
import { DEBUG_OPERATIONS } from './debug-operations';
import { SHADOW_OPERATIONS } from './shadow-operations';
import { BACKFILL_OPERATIONS } from './backfill-operations';
import { VERSION_OPERATIONS } from './version-operations';
import { WORKER_OPERATIONS } from './worker-operations';
import { workerMetricsText } from '../partitioning/list-workers';
import { ok, operation, type Operation } from './operation';

/**
 * Every operation of api.md: its method and path, the schemas of what it takes and answers, and the
 * use case it calls. The dispatcher validates with these schemas and the OpenAPI document is built
 * from them.
 */

/** The draft of validate is parsed in two steps: shape errors are 400, definition problems become diagnostics. */
const ValidateRequestSchema = z
  .object({ script: z.unknown().optional(), scriptId: lookupKey('scriptId', 200).optional(), inputs: InputOverridesSchema.optional() })
  .superRefine((body, ctx) => {
    if ((body.script === undefined) === (body.scriptId === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give either "script" (a draft) or "scriptId" (a saved script), not both' });
    }
  })
  ;

export const OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'health',
    role: 'public',
    method: 'GET',
    path: '/api/health',
    summary: 'Health of the process and of each backing service',
    tag: 'operations',
    responses: { 200: { description: 'Everything answers', schema: HealthSchema } },
    errors: [503],
    run: async ({ services }) => ok(await checkHealth(services)),
  }),
  operation({
    id: 'metrics',
    role: 'public',
    method: 'GET',
    path: '/api/metrics',
    summary: 'Prometheus metrics',
    tag: 'operations',
    responses: { 200: { description: 'Prometheus text exposition', contentType: 'text/plain' } },
    errors: [],
    async run({ services }) {
      // WORKER_MODE=partitioned: each worker's figures from its heartbeat, labelled by member.
      const workers = services.workerRegistry ? await services.workerRegistry.list().catch(() => []) : [];
      return { status: 200, text: (await services.metrics.text()) + workerMetricsText(workers), contentType: services.metrics.contentType };
    },
  }),
  operation({
    id: 'listScripts',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts',
    summary: 'All scripts with their status',
    tag: 'scripts',
    responses: { 200: { description: 'The scripts', schema: ScriptListSchema } },
    errors: [503],
    run: async ({ services }) => ok({ scripts: await listScripts(services) }),
  }),
  operation({
    id: 'createScript',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts',
    summary: 'Save a new script (unregistered) as its version 1, with an optional message',
    tag: 'scripts',
    body: SaveScriptSchema,
    responses: { 201: { description: 'Saved', schema: ScriptSchema } },
    errors: [400, 409, 413, 503],
    async run({ services, body: { message, ...draft }, identity, requestId, ip }) {
      return ok(await createScript(services, draft, authorOf(identity, { requestId, ip }), { message }), 201);
    },
  }),
  operation({
    id: 'getScript',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts/{id}',
    summary: 'One script',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 200: { description: 'The script', schema: ScriptSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await getScript(services, params.id)),
  }),
  operation({
    id: 'updateScript',
    role: 'editor',
    method: 'PUT',
    path: '/api/scripts/{id}',
    summary: 'Save a new version (with an optional message); a registered script is hot-swapped once its regression tests pass',
    tag: 'scripts',
    params: ScriptIdParams,
    query: ForceQuerySchema,
    body: SaveScriptSchema,
    responses: { 200: { description: 'Saved', schema: ScriptSchema } },
    errors: [400, 404, 409, 413, 422, 503],
    async run({ services, params, query, body: { message, ...draft }, identity, requestId, ip }) {
      return ok(await updateScript(services, params.id, draft, authorOf(identity, { requestId, ip }), { message, force: query.force }));
    },
  }),
  operation({
    id: 'deleteScript',
    role: 'editor',
    method: 'DELETE',
    path: '/api/scripts/{id}',
    summary: 'Unregister and delete a script',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 404, 503],
    async run({ services, params, identity, requestId, ip }) {
      await deleteScript(services, params.id, authorOf(identity, { requestId, ip }));
      return { status: 204 };
    },
  }),
  operation({
    id: 'registerScript',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/register',
    summary: 'Start computing a script (runs its initCode) once its regression tests pass',
    tag: 'scripts',
    params: ScriptIdParams,
    query: ForceQuerySchema,
    responses: { 200: { description: 'Registered', schema: ScriptSchema } },
    errors: [400, 404, 409, 422, 503],
    run: async ({ services, params, query, identity, requestId, ip }) =>
      ok(await registerScript(services, params.id, authorOf(identity, { requestId, ip }), { force: query.force })),
  }),
  operation({
    id: 'unregisterScript',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/unregister',
    summary: 'Stop computing a script without deleting it',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 200: { description: 'Unregistered', schema: ScriptSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params, identity, requestId, ip }) => ok(await unregisterScript(services, params.id, authorOf(identity, { requestId, ip }))),
  }),
  operation({
    id: 'validateScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/validate',
    summary: 'Compile, check names and run once on the latest data',
    tag: 'runs',
    body: ValidateRequestSchema,
    documentedBody: RunRequestSchema,
    responses: { 200: { description: 'Diagnostics and the result of one run', schema: ValidateResponseSchema } },
    errors: [400, 404, 413],
    async run({ services, body }) {
      if (body.scriptId !== undefined) return ok(await validateScript(services, { scriptId: body.scriptId, inputs: body.inputs }));
      const parsed = RunnableDraftSchema.safeParse(body.script);
      if (!parsed.success) {
        // Wrong types or missing fields are a bad request; names and rules are what the editor shows.
        const structural = parsed.error.issues.some((issue) => issue.code !== 'custom');
        if (structural) throw new UserError('VALIDATION_FAILED', `script: ${formatIssues(parsed.error)}`);
        return ok({
          ok: false,
          diagnostics: parsed.error.issues.map((issue) =>
            // `path` (not shown) tells the IDE which field to mark.
            diagnostic(
              'invalid-definition',
              { field: issue.path.length ? fieldName(issue.path) : 'script', problem: issue.message, path: formatPath(issue.path) },
              { source: 'definition', kind: 'definition' },
            ),
          ),
          result: null,
        });
      }
      return ok(await validateScript(services, { script: parsed.data, inputs: body.inputs }));
    },
  }),
  operation({
    id: 'calculateScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/calculate',
    summary: 'Run a draft or a saved script once on the latest data (optionally overriding inputs)',
    tag: 'runs',
    body: RunRequestSchema,
    responses: { 200: { description: 'The result', schema: CalcResultSchema } },
    errors: [400, 404, 413],
    run: async ({ services, body }) => ok(await calculateScript(services, body)),
  }),
  operation({
    id: 'listTags',
    role: 'viewer',
    method: 'GET',
    path: '/api/tags',
    summary: 'Search the tag catalog (case-insensitive substring of the name or the description)',
    tag: 'tags',
    query: TagListQuerySchema,
    responses: { 200: { description: 'Matching tags with their metadata', schema: TagListSchema } },
    errors: [400, 503],
    run: async ({ services, query }) => ok({ tags: await listDescribedTags(services, query.query, query.limit) }),
  }),
  operation({
    id: 'getTag',
    role: 'viewer',
    method: 'GET',
    path: '/api/tags/{tag}',
    summary: 'Latest value of one tag (the name URL-encoded), its metadata and whether it may be removed',
    tag: 'tags',
    params: TagParams,
    responses: { 200: { description: 'The tag', schema: TagDetailSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await getDescribedTag(services, params.tag)),
  }),
  operation({
    id: 'setTagMeta',
    role: 'editor',
    method: 'PUT',
    path: '/api/tags/{tag}/meta',
    summary: 'Replace the description, unit and normal range of a raw tag (an absent field becomes null)',
    tag: 'tags',
    params: TagParams,
    body: TagMetaBodySchema,
    responses: { 200: { description: 'What is stored', schema: TagMetaSchema } },
    errors: [400, 404, 409, 413, 503],
    run: async ({ services, params, body }) => ok(await setTagMeta(services, params.tag, body)),
  }),
  operation({
    id: 'removeTag',
    role: 'editor',
    method: 'DELETE',
    path: '/api/tags/{tag}',
    summary: 'Remove a tag no script produces or reads and that has had no value for HISTORY_RETENTION_DAYS',
    tag: 'tags',
    params: TagParams,
    responses: { 204: { description: 'Removed (its catalog entry, snapshot row and metadata); a later value brings it back' } },
    errors: [400, 404, 409, 503],
    async run({ services, params }) {
      await removeTag(services, params.tag);
      return { status: 204 };
    },
  }),
  operation({
    id: 'getTagHistory',
    role: 'viewer',
    method: 'GET',
    path: '/api/tags/{tag}/history',
    summary: 'History of one tag over a range, downsampled keeping each bucket’s extremes',
    tag: 'tags',
    params: TagParams,
    query: HistoryQuerySchema,
    responses: { 200: { description: 'Points in time order', schema: HistoryResponseSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params, query }) => ok(await getTagHistory(services, params.tag, query)),
  }),
  operation({
    id: 'exportHistory',
    role: 'viewer',
    method: 'GET',
    path: '/api/export',
    summary: 'Tags aligned on a time grid for training, streamed as CSV or Parquet (a download)',
    tag: 'tags',
    query: ExportQuerySchema,
    responses: {
      200: {
        description: 'One row per step in [from, to): ts, then per tag its value, quality and (computed tags) the script version that produced it',
        binaryContentTypes: ['text/csv', CONTENT_TYPES.parquet],
      },
    },
    errors: [400, 404, 503],
    async run({ services, query, requestId }) {
      const file = await exportHistory(services, query);
      services.log.info({ requestId, tags: file.layout.tags.length, rows: file.rows, file: file.filename }, 'export started');
      return {
        status: 200,
        stream: logFailure(file.body, (err) => services.log.error({ requestId, err: messageOf(err) }, 'export failed while streaming; the download was cut off')),
        contentType: file.contentType,
        headers: { 'content-disposition': `attachment; filename="${file.filename}"` },
      };
    },
  }),
  operation({
    id: 'publishValues',
    role: 'editor',
    method: 'POST',
    path: '/api/values',
    summary: 'Publish raw values to the input bus, as the plant would',
    tag: 'tags',
    body: ValuesRequestSchema,
    responses: { 202: { description: 'Accepted', schema: AcceptedSchema } },
    errors: [400, 413, 503],
    async run({ services, body, identity, requestId, ip }) {
      const accepted = await publishValues(services, body);
      await recordValuesPosted(services, identity, accepted, { requestId, ip });
      return ok({ accepted }, 202);
    },
  }),
  ...DEBUG_OPERATIONS,
  ...SHADOW_OPERATIONS,
  ...BACKFILL_OPERATIONS,
  ...VERSION_OPERATIONS,
  ...WORKER_OPERATIONS,
  ...AUTH_OPERATIONS,
];

export function findOperation(id: string): Operation<any, any, any> | undefined {
  return OPERATIONS.find((candidate) => candidate.id === id);
}
