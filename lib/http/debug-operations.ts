import { benchmarkScript } from '../editor-runs/benchmark-script';
import { closeDebugSession } from '../editor-runs/close-debug-session';
import { debugScript } from '../editor-runs/debug-script';
import { openDebugSession } from '../editor-runs/open-debug-session';
import { plotScript } from '../editor-runs/plot-script';
import { runDebugSession } from '../editor-runs/run-debug-session';
import { ok, operation, type Operation } from './operation';
import {
  BenchmarkRequestSchema,
  BenchmarkResultSchema,
  DebugResultSchema,
  DebugSessionCreateSchema,
  DebugSessionParams,
  DebugSessionRunSchema,
  DebugSessionSchema,
  PlotRequestSchema,
  PlotResultSchema,
  RunRequestSchema,
} from './api-schemas';

/**
 * The operations that explain a result (api.md: debug, debug sessions, benchmark, plot); part of
 * OPERATIONS in api-operations.ts, dispatched and documented like every other.
 */

export const DEBUG_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'debugScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/debug',
    summary: 'Run a draft or a saved script once, traced: every statement with the variables after it, and the console output',
    tag: 'debug',
    body: RunRequestSchema,
    responses: { 200: { description: 'The result, its trace and its logs', schema: DebugResultSchema } },
    errors: [400, 404, 413],
    run: async ({ services, body }) => ok(await debugScript(services, body)),
  }),
  operation({
    id: 'benchmarkScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/benchmark',
    summary: 'Run a script repeatedly on the latest data, as the engine does, and time its evaluations',
    tag: 'debug',
    body: BenchmarkRequestSchema,
    responses: { 200: { description: 'Iterations and per-evaluation times', schema: BenchmarkResultSchema } },
    errors: [400, 404, 413, 422],
    run: async ({ services, body }) => ok(await benchmarkScript(services, body)),
  }),
  operation({
    id: 'plotScript',
    role: 'viewer',
    method: 'POST',
    path: '/api/scripts/plot',
    summary: 'Inputs from history and outputs computed over them in time order, downsampled keeping extremes',
    tag: 'debug',
    body: PlotRequestSchema,
    responses: { 200: { description: 'One series per input and output', schema: PlotResultSchema } },
    errors: [400, 404, 413, 422, 503],
    run: async ({ services, body }) => ok(await plotScript(services, body)),
  }),
  operation({
    id: 'openDebugSession',
    role: 'viewer',
    method: 'POST',
    path: '/api/debug-sessions',
    summary: 'Open a debug session: the draft’s initCode runs once, later runs continue from its state',
    tag: 'debug',
    body: DebugSessionCreateSchema,
    responses: { 201: { description: 'Opened', schema: DebugSessionSchema } },
    errors: [400, 413, 422],
    run: async ({ services, body }) => ok(await openDebugSession(services, body.script), 201),
  }),
  operation({
    id: 'runDebugSession',
    role: 'viewer',
    method: 'POST',
    path: '/api/debug-sessions/{id}/run',
    summary: 'Run the session’s calcCode once more, traced, continuing from the previous run’s state',
    tag: 'debug',
    params: DebugSessionParams,
    body: DebugSessionRunSchema,
    responses: { 200: { description: 'Same answer as /api/scripts/debug', schema: DebugResultSchema } },
    errors: [400, 404, 413],
    run: async ({ services, params, body }) => ok(await runDebugSession(services, params.id, body.inputs)),
  }),
  operation({
    id: 'closeDebugSession',
    role: 'viewer',
    method: 'DELETE',
    path: '/api/debug-sessions/{id}',
    summary: 'End a debug session and free its sandbox',
    tag: 'debug',
    params: DebugSessionParams,
    responses: { 204: { description: 'Closed' } },
    errors: [400, 404],
    async run({ services, params }) {
      await closeDebugSession(services, params.id);
      return { status: 204 };
    },
  }),
];
