import type { EditorRunPorts } from './editor-run-ports';
import type { RunnableDraft } from '../model/script-schema';
import { isoTime } from '../model/tag-value';
import { collectRunInputs } from './resolve-run-target';

/**
 * Opens a debug session for a draft: its initCode runs once now, in a sandbox kept for the session;
 * each run then continues from the state the previous one left. 422 when the draft does not compile.
 */
export async function openDebugSession(services: Pick<EditorRunPorts, 'catalog' | 'lab'>, draft: RunnableDraft): Promise<{ id: string; expiresAt: string }> {
  const { previous } = collectRunInputs(services, draft, undefined, Date.now());
  const session = await services.lab.sessions.open(draft, { previous });
  return { id: session.id, expiresAt: isoTime(session.expiresAt) };
}
