import { OPERATIONS } from './api-operations';

/**
 * What Next.js answers outside the error envelope, caught before the request reaches it: a path whose
 * percent-encoding does not decode (Next answers a plain-text 500 while matching the route), a known
 * path with a method it does not take (an empty 405), and /api itself (an HTML page). The web server
 * calls this first with the raw method and URL; null lets the request through.
 */

export interface ScreenedAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface Route {
  pattern: RegExp;
  /** Static segments win over parameters, as in Next's routing: fewer parameters = more specific. */
  parameters: number;
  methods: Set<string>;
}

/** Methods Next answers for every route by itself (HEAD as GET, OPTIONS with an Allow header). */
const ALWAYS_ALLOWED = new Set(['HEAD', 'OPTIONS']);

let routes: Route[] | null = null;

function apiRoutes(): Route[] {
  if (routes) return routes;
  const byPath = new Map<string, Set<string>>([['/api/openapi.json', new Set(['GET'])]]);
  for (const operation of OPERATIONS) {
    // Every /api/tags/{tag}… path is one route (the handler tells /history and /meta apart).
    const path = operation.path.startsWith('/api/tags/{tag}') ? '/api/tags/{tag}' : operation.path;
    const methods = byPath.get(path) ?? new Set<string>();
    methods.add(operation.method);
    byPath.set(path, methods);
  }
  routes = [...byPath].map(([path, methods]) => {
    // A tag name may hold encoded slashes and is routed from the raw path: /api/tags/ and anything below.
    const source = path.startsWith('/api/tags/{tag}')
      ? '^/api/tags/.+$'
      : `^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}/?$`;
    return { pattern: new RegExp(source), parameters: (path.match(/\{/g) ?? []).length, methods };
  });
  routes.sort((a, b) => a.parameters - b.parameters);
  return routes;
}

export function screenApiRequest(method: string, rawUrl: string): ScreenedAnswer | null {
  const path = rawUrl.split('?')[0].split('#')[0];
  if (path !== '/api' && path !== '/api/' && !path.startsWith('/api/')) return null;
  for (const segment of path.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return envelope(400, 'VALIDATION_FAILED', 'the request path is not valid URL encoding (a % must start %XX of UTF-8 bytes)');
    }
  }
  if (path === '/api' || path === '/api/') return envelope(404, 'NOT_FOUND', `no API endpoint ${method} ${path} — see /api/openapi.json`);
  const upper = method.toUpperCase();
  if (ALWAYS_ALLOWED.has(upper)) return null;
  const route = apiRoutes().find((candidate) => candidate.pattern.test(path));
  if (!route || route.methods.has(upper)) return null;
  const allowed = [...route.methods].sort().join(', ');
  return envelope(404, 'NOT_FOUND', `no API endpoint ${upper} ${path.slice(0, 300)}; this path takes ${allowed} — see /api/openapi.json`, {
    allow: `${allowed}, HEAD, OPTIONS`,
  });
}

function envelope(status: number, code: string, message: string, headers: Record<string, string> = {}): ScreenedAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify({ error: { code, message, details: {} } }),
  };
}
