import type { ApiHandler } from '@/lib/http/handle-api-request';

/**
 * Route handlers only forward to the framework-free API handler built by the server's composition
 * root (server.ts). Importing its type only keeps the core out of Next's bundles: the server process
 * holds one instance of every service.
 */
const API_KEY = Symbol.for('script-server.api');

type RouteContext = { params: Promise<Record<string, string | string[] | undefined>> };

export function apiHandler(): ApiHandler | null {
  return ((globalThis as Record<symbol, unknown>)[API_KEY] as ApiHandler | undefined) ?? null;
}

function starting(): Response {
  return Response.json(
    { error: { code: 'UNAVAILABLE', message: 'Script Server is starting; try again in a moment', details: {} } },
    { status: 503, headers: { 'retry-after': '1' } },
  );
}

export function forward(operationId: string) {
  return async (request: Request, context: RouteContext): Promise<Response> => {
    const api = apiHandler();
    if (!api) return starting();
    return api.handle(operationId, request, await context.params);
  };
}

export function forwardTagPath() {
  return async (request: Request): Promise<Response> => {
    const api = apiHandler();
    return api ? api.handleTagPath(request) : starting();
  };
}

export function notFound() {
  return async (request: Request): Promise<Response> => {
    const api = apiHandler();
    return api ? api.notFound(request) : starting();
  };
}

export function openApi() {
  return async (): Promise<Response> => {
    const api = apiHandler();
    return api ? api.openApi() : starting();
  };
}
