import type { TestReport } from '../model/script-tests';
import { api, ApiError, type ApiClient } from './api-client';
import type { Script, ScriptDraft } from './api-types';

/**
 * Changing a live script safely (changes.md), over the IDE's API client: versions, rollback, saving
 * with a message, `?force=true` when the regression tests fail, and running the tests.
 */

export interface VersionSummary {
  version: number;
  savedAt: string;
  savedBy: { id: string; name: string } | null;
  message: string | null;
}

export interface VersionList {
  versions: VersionSummary[];
  deleted: boolean;
}

export interface ScriptVersion extends VersionSummary {
  script: ScriptDraft;
  deleted: boolean;
}

/** What a save, register or rollback may add: the version's message, and going ahead although tests fail. */
export interface ChangeOptions {
  message?: string;
  force?: boolean;
}

const id = (value: string) => encodeURIComponent(value);
const forced = (force: boolean | undefined) => (force ? '?force=true' : '');
/** The message only when there is one: an empty field sends none. */
const withMessage = <T extends object>(body: T, message: string | undefined) => (message?.trim() ? { ...body, message: message.trim() } : body);

export function createVersionsApi(client: ApiClient = api) {
  const { request } = client;
  return {
    listVersions: (scriptId: string) => request<VersionList>('GET', `/api/scripts/${id(scriptId)}/versions`),
    getVersion: (scriptId: string, version: number) => request<ScriptVersion>('GET', `/api/scripts/${id(scriptId)}/versions/${version}`),
    rollback: (scriptId: string, version: number, options: ChangeOptions = {}) =>
      request<Script>('POST', `/api/scripts/${id(scriptId)}/rollback${forced(options.force)}`, withMessage({ version }, options.message)),
    createScript: (draft: ScriptDraft, options: ChangeOptions = {}) => request<Script>('POST', '/api/scripts', withMessage(draft, options.message)),
    updateScript: (scriptId: string, draft: ScriptDraft, options: ChangeOptions = {}) =>
      request<Script>('PUT', `/api/scripts/${id(scriptId)}${forced(options.force)}`, withMessage(draft, options.message)),
    registerScript: (scriptId: string, options: ChangeOptions = {}) => request<Script>('POST', `/api/scripts/${id(scriptId)}/register${forced(options.force)}`),
    /** The tests of a draft (as edited) or of a saved script (its saved version). */
    runTests: (target: { script: Omit<ScriptDraft, 'name'> & { name?: string } } | { scriptId: string }) => request<TestReport>('POST', '/api/scripts/test', target),
  };
}

export type VersionsApi = ReturnType<typeof createVersionsApi>;
export const versionsApi: VersionsApi = createVersionsApi();

/** The results carried by a 422 TESTS_FAILED (register, update or rollback of a registered script); null for any other error. */
export function failedTestsOf(error: unknown): TestReport | null {
  if (!(error instanceof ApiError) || error.code !== 'TESTS_FAILED') return null;
  const { passed, failed, results } = error.details as Partial<TestReport>;
  if (typeof passed !== 'number' || typeof failed !== 'number' || !Array.isArray(results)) return null;
  return { passed, failed, results };
}
