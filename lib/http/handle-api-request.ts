import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { isAppError, messageOf, UserError } from '../model/errors';
import { formatIssues } from '../model/script-schema';
import { findOperation } from './api-operations';
import type { ApiResult, ApiServices, Operation } from './operation';
import { authenticateRequest, CLIENT_IP_HEADER, cookieOf, SESSION_COOKIE, sessionCookie } from './authenticate-request';
import type { Identity } from '../security/identity';
import { RefusalBudget, recordRefusal } from '../security/record-refusal';
import { bearerTokenOf } from '../security/secrets';
import { buildOpenApiDocument } from './openapi';

/**
 * The framework-free edge of the API: takes a web-standard Request, parses and validates it with the
 * operation's schemas, calls the use case and answers a Response — errors always in the envelope of
 * api.md. Next.js route handlers only forward to this (see app/api/_lib/forward.ts).
 */

export interface ApiHandler {
  handle(operationId: string, request: Request, params?: Record<string, string | string[] | undefined>): Promise<Response>;
  /** /api/tags/<name>[/history]: routed from the raw path so names may contain an encoded '/'. */
  handleTagPath(request: Request): Promise<Response> | Response;
  /** Unknown /api paths: a 404 in the envelope. */
  notFound(request: Request): Response;
  openApi(): Response;
}

export function createApiHandler(services: ApiServices): ApiHandler {
  let openApiText: string | null = null;
  const refusals = new RefusalBudget({ now: services.now });

  async function handle(operationId: string, request: Request, rawParams: Record<string, string | string[] | undefined> = {}): Promise<Response> {
    const requestId = request.headers.get('x-request-id')?.slice(0, 100) || randomUUID();
    const operation = findOperation(operationId);
    const started = performance.now();
    let caller: Identity | null = null;
    let stage: 'authenticate' | 'run' = 'authenticate';
    try {
      if (!operation) throw new UserError('NOT_FOUND', `no API operation ${operationId}`);
      // Who is calling, and may they: refused here, before the body is read or any use case runs.
      const { identity, sessionId, ip } = await authenticateRequest(services, operation, request);
      caller = identity;
      stage = 'run';
      const params = parse(operation.params, flattenParams(rawParams), 'path');
      const query = parse(operation.query, Object.fromEntries(new URL(request.url).searchParams), 'query');
      const body = operation.body ? parse(operation.body, await readJsonBody(request, services.config.BODY_LIMIT_BYTES), 'body') : undefined;
      const result = await operation.run({ services, body, query, params, requestId, identity, ip, request });
      const response = toResponse(result, requestId);
      if (result.session !== undefined) response.headers.append('set-cookie', sessionCookie(result.session?.id ?? null, request, services.sessionIdleMs));
      else if (sessionId !== null) response.headers.append('set-cookie', sessionCookie(sessionId, request, services.sessionIdleMs));
      for (const cookie of result.cookies ?? []) response.headers.append('set-cookie', cookie);
      return response;
    } catch (error) {
      // Every refusal is recorded (R9) — but a failed sign-in already wrote its own entry.
      if (operation && isRefusal(error) && !(stage === 'run' && operation.id === 'login')) {
        const url = new URL(request.url);
        await recordRefusal(
          services,
          refusals,
          {
            status: error.status,
            code: error.code,
            message: error.message,
            method: request.method,
            path: url.pathname,
            operationId: operation.id,
            identity: caller,
            bearerToken: bearerTokenOf(request.headers.get('authorization')),
            sessionId: cookieOf(request.headers.get('cookie'), SESSION_COOKIE),
          },
          { requestId, ip: request.headers.get(CLIENT_IP_HEADER) ?? undefined },
        );
      }
      return errorResponse(error, requestId, services, operation);
    } finally {
      services.log.debug({ requestId, operationId, ms: Math.round(performance.now() - started) }, 'api request');
    }
  }

  return {
    handle,
    handleTagPath(request) {
      // Read the path as sent: a tag named "A/B" arrives as A%2FB, unlike the /history and /meta suffixes.
      const url = new URL(request.url);
      const raw = url.pathname.replace(/^\/api\/tags\//, '');
      const history = raw.endsWith('/history');
      const meta = raw.endsWith('/meta');
      const encoded = history ? raw.slice(0, -'/history'.length) : meta ? raw.slice(0, -'/meta'.length) : raw;
      let tag: string;
      try {
        tag = decodeURIComponent(encoded);
      } catch {
        return errorResponse(new UserError('VALIDATION_FAILED', 'the tag name in the path is not valid URL encoding'), randomUUID(), services);
      }
      const target = history ? 'history' : meta ? 'meta' : 'tag';
      const operationId = tagOperation(request.method, target);
      if (!operationId) {
        const allowed = TAG_PATH_METHODS[target];
        const answer = envelope(404, 'NOT_FOUND', `no API endpoint ${request.method} ${url.pathname.slice(0, 300)}; this path takes ${allowed} — see /api/openapi.json`, {});
        answer.headers.set('allow', `${allowed}, HEAD, OPTIONS`);
        return answer;
      }
      return handle(operationId, request, { tag });
    },
    notFound(request) {
      const path = new URL(request.url).pathname;
      return envelope(404, 'NOT_FOUND', `no API endpoint ${request.method} ${path} — see /api/openapi.json`, {});
    },
    openApi() {
      openApiText ??= JSON.stringify(buildOpenApiDocument(services.version));
      return new Response(openApiText, { status: 200, headers: { 'content-type': 'application/json' } });
    },
  };
}

const TAG_PATH_METHODS = { tag: 'DELETE, GET', history: 'GET', meta: 'PUT' } as const;

/** The operation of a method on /api/tags/{tag}[/history|/meta], or null (then a 404 names the methods it takes). */
function tagOperation(method: string, target: 'tag' | 'history' | 'meta'): string | null {
  if (target === 'history') return method === 'GET' ? 'getTagHistory' : null;
  if (target === 'meta') return method === 'PUT' ? 'setTagMeta' : null;
  return method === 'GET' ? 'getTag' : method === 'DELETE' ? 'removeTag' : null;
}

/** A 401 or a 403: the request was refused for who it is (or is not), not for what it asked. */
function isRefusal(error: unknown): error is UserError {
  return isAppError(error) && error.kind === 'user' && (error.code === 'UNAUTHORIZED' || error.code === 'FORBIDDEN');
}

function flattenParams(params: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) if (value !== undefined) flat[key] = Array.isArray(value) ? value.join('/') : value;
  return flat;
}

function parse<T>(schema: z.ZodType<T> | undefined, input: unknown, where: 'path' | 'query' | 'body'): T {
  if (!schema) return undefined as T;
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const prefix = where === 'body' ? '' : `${where} `;
  throw new UserError('VALIDATION_FAILED', `${prefix}${formatIssues(parsed.error)}`, { issues: parsed.error.issues.map(({ path, message }) => ({ path, message })) });
}

/**
 * How much of a body over the limit is read and thrown away before the 413 is sent. Answering while
 * the client is still sending and then closing the connection makes the kernel reset it, and the
 * reset can destroy the answer before the client reads it: the client sees EPIPE or ECONNRESET, not
 * the 413 that says what to do. Within these bounds the body is read to its end first; a client that
 * sends more, or for longer, is cut off.
 */
export interface DiscardBounds {
  maxBytes: number;
  maxMs: number;
}

export const DEFAULT_DISCARD_BOUNDS: DiscardBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 };

/**
 * Reads at most `limit` bytes of JSON; 413 beyond it, 400 when it does not parse. The body must be
 * UTF-8 and, when a content type is given, JSON: a browser may send text/plain, form or multipart
 * bodies to another site without asking it first, so those are refused rather than parsed.
 */
export async function readJsonBody(request: Request, limit: number, discardBounds: DiscardBounds = DEFAULT_DISCARD_BOUNDS): Promise<unknown> {
  const contentType = request.headers.get('content-type');
  if (contentType !== null && !isJsonContentType(contentType)) {
    throw new UserError('VALIDATION_FAILED', `the request body must be JSON (content-type: application/json), not ${contentType.slice(0, 100)}`);
  }
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const reader = request.body?.getReader();
  if (!reader) throw new UserError('VALIDATION_FAILED', 'the request has no body; send JSON');
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      // The client went away (or lied about the length) before sending the whole body.
      throw new UserError('VALIDATION_FAILED', 'the request body was cut off before its end');
    }
    const { done, value } = chunk;
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await discardRest(reader, discardBounds);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  let text: string;
  try {
    // fatal: bytes that are not UTF-8 would otherwise become U+FFFD and be saved altered.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UserError('VALIDATION_FAILED', 'the request body is not valid UTF-8 text; send JSON encoded as UTF-8');
  }
  if (text.trim() === '') throw new UserError('VALIDATION_FAILED', 'the request body is empty; send JSON');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError('VALIDATION_FAILED', `the request body is not valid JSON: ${messageOf(error)}`);
  }
}

/** application/json, or a JSON-based type such as application/merge-patch+json; parameters allowed. */
function isJsonContentType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

/** Reads and drops the rest of a body within `bounds`; cancels it (closing the connection) beyond them. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, bounds: DiscardBounds): Promise<void> {
  let left = bounds.maxBytes;
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), bounds.maxMs)));
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), outOfTime]);
      if (next === 'late') break;
      if (next.done) return;
      left -= next.value.byteLength;
      if (left < 0) break;
    }
  } catch {
    return; // the client went away while it was being drained
  } finally {
    clearTimeout(timer);
  }
  await reader.cancel().catch(() => undefined);
}

function tooLarge(limit: number): UserError {
  return new UserError('PAYLOAD_TOO_LARGE', `the request body is larger than ${formatBytes(limit)}; send less at a time`, { limitBytes: limit });
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB` : `${Math.round(bytes / 1024)} KB`;
}

function toResponse(result: ApiResult, requestId: string): Response {
  const headers: Record<string, string> = { 'x-request-id': requestId, 'cache-control': 'no-store' };
  if (result.location !== undefined) headers.location = result.location;
  if (result.status === 204 || (result.location !== undefined && result.text === undefined)) return new Response(null, { status: result.status, headers });
  if (result.stream) {
    return new Response(pullStream(result.stream), {
      status: result.status,
      headers: { ...headers, 'content-type': result.contentType ?? 'application/octet-stream', ...result.headers },
    });
  }
  if (result.text !== undefined) {
    return new Response(result.text, { status: result.status, headers: { ...headers, 'content-type': result.contentType ?? 'text/plain; charset=utf-8' } });
  }
  return new Response(JSON.stringify(result.json), { status: result.status, headers: { ...headers, 'content-type': 'application/json' } });
}

/**
 * A web stream over an async iterable that produces a piece only when the client has taken the last
 * one (pull): a slow download slows the producer instead of piling up in memory. A client that goes
 * away ends the iterable (its cleanup runs).
 */
function pullStream(source: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      async cancel() {
        await iterator.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

function envelope(status: number, code: string, message: string, details: Record<string, unknown>, requestId?: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (requestId) headers['x-request-id'] = requestId;
  return new Response(JSON.stringify({ error: { code, message, details } }), { status, headers });
}

function errorResponse(error: unknown, requestId: string, services: ApiServices, operation?: Operation<any, any, any>): Response {
  if (isAppError(error)) {
    if (error.kind === 'user') {
      const answer = envelope(error.status, error.code, error.message, error.details, requestId);
      const retryAfter = error.details.retryAfterSeconds;
      if (error.code === 'RATE_LIMITED' && typeof retryAfter === 'number') answer.headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
      if (error.code === 'UNAUTHORIZED') answer.headers.set('www-authenticate', 'Bearer realm="Script Server"');
      return answer;
    }
    if (error.kind === 'operational') {
      services.log.warn({ requestId, operation: operation?.id, err: messageOf(error) }, 'backing service unavailable');
      return envelope(503, 'UNAVAILABLE', error.message, error.details, requestId);
    }
  }
  services.log.error({ requestId, operation: operation?.id, err: error }, 'unexpected error in API request');
  return envelope(500, 'INTERNAL', `internal error (request id ${requestId}); it has been logged`, { requestId }, requestId);
}
