import { api, type ApiClient } from './api-client';
import type { Diagnostic, Quality, Script, ScriptDraft, TagScalar } from './api-types';

/** The shadow-run operations of changes.md ("Shadow runs") over the IDE's API client, and their answers as the browser sees them. */

export interface ShadowSampleJson {
  value: TagScalar;
  ts: string;
  quality: Quality;
}

export interface ShadowOutputJson {
  live: ShadowSampleJson | null;
  shadow: ShadowSampleJson | null;
  compared: number;
  differing: number;
  maxAbsDiff: number | null;
}

export type ShadowState = 'starting' | 'running' | 'waiting' | 'quarantined';

export interface ShadowJson {
  id: string;
  startedAt: string;
  /** The version the candidate becomes if promoted. */
  version: number;
  state: ShadowState;
  evaluations: number;
  errors: number;
  lastError: Diagnostic | null;
  reportedAt: string | null;
  outputs: Record<string, ShadowOutputJson>;
}

export interface ShadowPointJson {
  ts: string;
  value: TagScalar;
  quality: Quality;
}

export interface ShadowSeriesJson {
  id: string;
  from: string | null;
  to: string | null;
  outputs: Record<string, { live: ShadowPointJson[]; shadow: ShadowPointJson[]; difference: ShadowPointJson[] }>;
}

const path = (scriptId: string, rest = '') => `/api/scripts/${encodeURIComponent(scriptId)}/shadow${rest}`;

export function createShadowApi(client: ApiClient = api) {
  const { request } = client;
  return {
    start: (scriptId: string, script: ScriptDraft) => request<{ id: string; startedAt: string }>('POST', path(scriptId), { script }),
    get: (scriptId: string, options?: { signal?: AbortSignal }) => request<ShadowJson>('GET', path(scriptId), undefined, options),
    series: (scriptId: string, maxPoints: number, options?: { signal?: AbortSignal }) =>
      request<ShadowSeriesJson>('GET', path(scriptId, `/series?maxPoints=${maxPoints}`), undefined, options),
    promote: (scriptId: string, force = false) => request<Script>('POST', path(scriptId, force ? '/promote?force=true' : '/promote')),
    stop: (scriptId: string) => request<void>('DELETE', path(scriptId)),
  };
}

export type ShadowApi = ReturnType<typeof createShadowApi>;
export const shadowApi: ShadowApi = createShadowApi();
