import type {
  BenchmarkResult,
  CalcResult,
  DebugResult,
  DebugSession,
  Diagnostic,
  ErrorCode,
  InputOverride,
  HistoryResponse,
  PlotResponse,
  RunTarget,
  Script,
  ScriptDraft,
  TagDetail,
  TagMeta,
  TagValue,
  ValidateResponse,
} from './api-types';

/**
 * A thin typed client over the HTTP API. Every non-2xx answer becomes an ApiError carrying the
 * envelope's code and message (what the user is shown) and, for 422, the diagnostics to mark.
 */

export type ClientErrorCode = ErrorCode | 'NETWORK' | 'BAD_RESPONSE' | 'ABORTED';

export class ApiError extends Error {
  readonly status: number;
  readonly code: ClientErrorCode;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: ClientErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Diagnostics of a 422 SCRIPT_INVALID (or any answer that carries them in details). */
  get diagnostics(): Diagnostic[] {
    const list = this.details.diagnostics;
    return Array.isArray(list) ? (list as Diagnostic[]) : [];
  }
}

export function isAbort(error: unknown): boolean {
  return (error instanceof ApiError && error.code === 'ABORTED') || (error instanceof Error && error.name === 'AbortError');
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface RequestOptions {
  signal?: AbortSignal;
}

export type Overrides = Record<string, InputOverride>;

export async function readError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: fall through to a generic message
  }
  const envelope = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
  if (envelope && typeof envelope.message === 'string') {
    const details = envelope.details && typeof envelope.details === 'object' ? (envelope.details as Record<string, unknown>) : {};
    return new ApiError(response.status, (envelope.code as ClientErrorCode) ?? 'BAD_RESPONSE', envelope.message, details);
  }
  return new ApiError(response.status, 'BAD_RESPONSE', `HTTP ${response.status} ${response.statusText}`.trim());
}

/** Who wants to know that a request was refused for want of a valid session (it ended meanwhile). */
const unauthorizedListeners = new Set<() => void>();

/**
 * Calls `listener` when an API request answers 401 (the session ended: idle, signed out elsewhere, the
 * user disabled) — not for a wrong password at sign-in. Returns the unsubscribe function.
 */
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function createApiClient(fetchImpl: FetchLike = (input, init) => fetch(input, init), base = '') {
  async function call<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetchImpl(`${base}${path}`, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: options.signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (error instanceof Error && error.name === 'AbortError') throw new ApiError(0, 'ABORTED', 'aborted');
      throw new ApiError(0, 'NETWORK', error instanceof Error ? error.message : String(error));
    }
    if (!response.ok) {
      if (response.status === 401 && !path.startsWith('/api/auth/')) for (const listener of unauthorizedListeners) listener();
      throw await readError(response);
    }
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch {
      throw new ApiError(response.status, 'BAD_RESPONSE', 'the server answered something that is not JSON');
    }
  }

  const run = <T>(path: string, target: RunTarget, extra: Record<string, unknown>, options?: RequestOptions) =>
    call<T>('POST', path, { ...target, ...extra }, options);

  return {
    listScripts: (options?: RequestOptions) => call<{ scripts: Script[] }>('GET', '/api/scripts', undefined, options).then((r) => r.scripts),
    getScript: (id: string, options?: RequestOptions) => call<Script>('GET', `/api/scripts/${encodeURIComponent(id)}`, undefined, options),
    createScript: (draft: ScriptDraft) => call<Script>('POST', '/api/scripts', draft),
    updateScript: (id: string, draft: ScriptDraft) => call<Script>('PUT', `/api/scripts/${encodeURIComponent(id)}`, draft),
    deleteScript: (id: string) => call<void>('DELETE', `/api/scripts/${encodeURIComponent(id)}`),
    registerScript: (id: string) => call<Script>('POST', `/api/scripts/${encodeURIComponent(id)}/register`),
    unregisterScript: (id: string) => call<Script>('POST', `/api/scripts/${encodeURIComponent(id)}/unregister`),

    validate: (target: RunTarget, options?: RequestOptions) => run<ValidateResponse>('/api/scripts/validate', target, {}, options),
    calculate: (target: RunTarget, inputs?: Overrides, options?: RequestOptions) =>
      run<CalcResult>('/api/scripts/calculate', target, inputs ? { inputs } : {}, options),
    debug: (target: RunTarget, inputs?: Overrides, options?: RequestOptions) =>
      run<DebugResult>('/api/scripts/debug', target, inputs ? { inputs } : {}, options),
    benchmark: (target: RunTarget, durationMs: number, inputs?: Overrides, options?: RequestOptions) =>
      run<BenchmarkResult>('/api/scripts/benchmark', target, inputs ? { durationMs, inputs } : { durationMs }, options),
    plot: (target: RunTarget, range: { from: string; to: string; maxPoints?: number }, options?: RequestOptions) =>
      run<PlotResponse>('/api/scripts/plot', target, range, options),

    createDebugSession: (script: ScriptDraft | Omit<ScriptDraft, 'name'>) => call<DebugSession>('POST', '/api/debug-sessions', { script }),
    runDebugSession: (id: string, inputs?: Overrides, options?: RequestOptions) =>
      call<DebugResult>('POST', `/api/debug-sessions/${encodeURIComponent(id)}/run`, inputs ? { inputs } : {}, options),
    deleteDebugSession: (id: string) => call<void>('DELETE', `/api/debug-sessions/${encodeURIComponent(id)}`),

    listTags: (query: string, limit = 50, options?: RequestOptions) =>
      call<{ tags: TagValue[] }>('GET', `/api/tags?${new URLSearchParams({ query, limit: String(limit) })}`, undefined, options).then((r) => r.tags),
    getTag: (tag: string, options?: RequestOptions) => call<TagDetail>('GET', `/api/tags/${encodeURIComponent(tag)}`, undefined, options),
    setTagMeta: (tag: string, meta: Omit<TagMeta, 'tag'>) => call<TagMeta>('PUT', `/api/tags/${encodeURIComponent(tag)}/meta`, meta),
    removeTag: (tag: string) => call<void>('DELETE', `/api/tags/${encodeURIComponent(tag)}`),
    tagHistory: (tag: string, range: { from: string; to: string; maxPoints?: number }, options?: RequestOptions) => {
      const query = new URLSearchParams({ from: range.from, to: range.to });
      if (range.maxPoints) query.set('maxPoints', String(range.maxPoints));
      return call<HistoryResponse>('GET', `/api/tags/${encodeURIComponent(tag)}/history?${query}`, undefined, options);
    },

    /** Any other operation (the sign-in, users, tokens and audit calls of security-api.ts). */
    request: call,
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The client the pages use (same origin: every request stays on the app's own host). */
export const api: ApiClient = createApiClient();
