import http from 'node:http';
import { expect } from 'vitest';
import { authFetch, authorizationFor } from './app-process';

/**
 * Small HTTP helpers for tests that drive a running app: a JSON call through fetch, a raw request
 * through node:http (for headers fetch will not send as given: wrong content-length, chunked bodies,
 * bytes that are not UTF-8), and the check of the error envelope of api.md.
 */

export interface ApiAnswer {
  status: number;
  /** The parsed JSON body, the text when it is not JSON, null when empty. */
  json: any;
  text: string;
  headers: Headers;
}

export async function callApi(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 60_000,
): Promise<ApiAnswer> {
  const response = await authFetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: response.status, json, text, headers: response.headers };
}

export interface RawAnswer {
  status: number;
  json: any;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/**
 * Sends exactly the given headers and body chunks, on a connection of its own that is closed after
 * the answer (a request whose declared length was never sent must not be reused). A content-length is
 * added when neither it nor transfer-encoding is given. The server may answer (413) before the body
 * is sent in full and close the connection: the answer counts, a write error after it does not.
 */
export function rawRequest(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: Array<string | Uint8Array>; timeoutMs?: number },
): Promise<RawAnswer> {
  return authorizationFor(`${base}${options.path}`).then((authorization) =>
    sendRaw(base, { ...options, headers: { ...authorization, ...(options.headers ?? {}) } }),
  );
}

function sendRaw(
  base: string,
  options: { method: string; path: string; headers?: Record<string, string>; chunks?: Array<string | Uint8Array>; timeoutMs?: number },
): Promise<RawAnswer> {
  const url = new URL(base);
  const headers = { ...(options.headers ?? {}) };
  const named = Object.keys(headers).map((name) => name.toLowerCase());
  if (options.chunks?.length && !named.includes('content-length') && !named.includes('transfer-encoding')) {
    headers['content-length'] = String(options.chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = http.request(
      { host: url.hostname, port: Number(url.port), method: options.method, path: options.path, headers, agent: false },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => {
          settled = true;
          const text = Buffer.concat(parts).toString('utf8');
          let json: any = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = text;
          }
          resolve({ status: response.statusCode ?? 0, json, text, headers: response.headers });
          request.destroy();
        });
        response.on('error', (error) => !settled && reject(error));
      },
    );
    request.setTimeout(options.timeoutMs ?? 30_000, () => request.destroy(new Error(`no answer to ${options.method} ${options.path} in time`)));
    request.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE/ECONNRESET while still writing: the server refused early; its answer may still arrive.
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') setTimeout(() => !settled && reject(error), 2_000);
      else if (!settled) reject(error);
    });
    (async () => {
      for (const chunk of options.chunks ?? []) {
        if (request.destroyed) return;
        if (!request.write(chunk)) await new Promise((resume) => request.once('drain', resume));
      }
      request.end();
    })().catch(() => undefined);
  });
}

export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PAYLOAD_TOO_LARGE',
  'SCRIPT_INVALID',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const;

export const STATUS_OF_CODE: Record<(typeof ERROR_CODES)[number], number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  SCRIPT_INVALID: 422,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** A stack frame ("at fn (file:1:2)") or an internal file path leaking into a message. */
export const STACK_TRACE = /\bat .*\(?[^\s()]+:\d+:\d+\)?\s*$|\n\s+at .*(:\d+:\d+|<anonymous>|native)|node:internal|\/node_modules\/|\/dist\/[\w-]+\.mjs/m;

/** Why `answer` is not a well-formed error envelope (the exact shape of api.md), or null when it is. */
export function envelopeProblem(answer: { status: number; json: any }): string | null {
  const body = answer.json;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return `the body is not a JSON object: ${String(answer.json).slice(0, 200)}`;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `the body has keys ${JSON.stringify(keys)}, expected only "error"`;
  const error = body.error;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const errorKeys = Object.keys(error).sort();
  if (JSON.stringify(errorKeys) !== JSON.stringify(['code', 'details', 'message'])) return `error has keys ${JSON.stringify(errorKeys)}`;
  if (!(ERROR_CODES as readonly string[]).includes(error.code)) return `unknown error code ${JSON.stringify(error.code)}`;
  if (STATUS_OF_CODE[error.code as (typeof ERROR_CODES)[number]] !== answer.status) return `code ${error.code} with status ${answer.status}`;
  if (typeof error.message !== 'string' || error.message.length === 0) return 'message is not a non-empty string';
  if (STACK_TRACE.test(error.message)) return `the message shows a stack trace or a source path: ${error.message.slice(0, 300)}`;
  if (typeof error.details !== 'object' || error.details === null || Array.isArray(error.details)) return 'details is not an object';
  return null;
}

/** Asserts the documented status and code, the exact envelope shape and no stack trace. */
export function expectErrorEnvelope(answer: { status: number; json: any }, status: number, code: (typeof ERROR_CODES)[number]): void {
  const shown = typeof answer.json === 'string' ? answer.json.slice(0, 300) : JSON.stringify(answer.json)?.slice(0, 500);
  expect(answer.status, shown).toBe(status);
  expect(answer.json?.error?.code, shown).toBe(code);
  expect(envelopeProblem(answer), shown).toBeNull();
}
