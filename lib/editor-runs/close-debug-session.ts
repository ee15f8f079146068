import type { EditorRunPorts } from './editor-run-ports';

/** Ends a debug session and frees its sandbox; 404 when unknown or already expired. */
export async function closeDebugSession(services: Pick<EditorRunPorts, 'lab'>, id: string): Promise<void> {
  await services.lab.sessions.close(id);
}
