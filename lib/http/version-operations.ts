import { testScript } from '../editor-runs/test-script';
import { getScriptVersion } from '../scripts/get-script-version';
import { listScriptVersions } from '../scripts/list-script-versions';
import { rollbackScript } from '../scripts/rollback-script';
import { authorOf } from '../security/identity';
import {
  ForceQuerySchema,
  RollbackRequestSchema,
  ScriptIdParams,
  ScriptSchema,
  ScriptVersionListSchema,
  ScriptVersionParams,
  ScriptVersionSchema,
  TestReportSchema,
  TestRequestSchema,
} from './api-schemas';
import { ok, operation, type Operation } from './operation';

/**
 * Changing a live script safely (changes.md): versions, rollback and regression tests; part of
 * OPERATIONS in api-operations.ts, dispatched and documented like every other.
 */
export const VERSION_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'listScriptVersions',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts/{id}/versions',
    summary: 'Every saved version of a script, newest first (also of a deleted script)',
    tag: 'scripts',
    params: ScriptIdParams,
    responses: { 200: { description: 'The versions', schema: ScriptVersionListSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await listScriptVersions(services, params.id)),
  }),
  operation({
    id: 'getScriptVersion',
    role: 'viewer',
    method: 'GET',
    path: '/api/scripts/{id}/versions/{version}',
    summary: 'One saved version of a script with its whole definition (also of a deleted script)',
    tag: 'scripts',
    params: ScriptVersionParams,
    responses: { 200: { description: 'The version', schema: ScriptVersionSchema } },
    errors: [400, 404, 503],
    run: async ({ services, params }) => ok(await getScriptVersion(services, params.id, params.version)),
  }),
  operation({
    id: 'rollbackScript',
    role: 'editor',
    method: 'POST',
    path: '/api/scripts/{id}/rollback',
    summary: 'Save a new version equal to an earlier one; a registered script is hot-swapped to it as on update',
    tag: 'scripts',
    params: ScriptIdParams,
    query: ForceQuerySchema,
    body: RollbackRequestSchema,
    responses: { 200: { description: 'The script at its new version', schema: ScriptSchema } },
    errors: [400, 404, 409, 413, 422, 503],
    run: async ({ services, params, query, body, identity, requestId, ip }) =>
      ok(await rollbackScript(services, params.id, body, authorOf(identity, { requestId, ip }), { force: query.force })),
  }),
  operation({
    id: 'testScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/test',
    summary: 'Run the regression tests of a draft or a saved script (each from a fresh initialisation, steps in order)',
    tag: 'runs',
    body: TestRequestSchema,
    responses: { 200: { description: 'Pass or fail per test, with the outputs and what did not match', schema: TestReportSchema } },
    errors: [400, 404, 413],
    run: async ({ services, body }) => ok(await testScript(services, body)),
  }),
];
