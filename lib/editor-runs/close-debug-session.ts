import type { AppServices } from '../composition/services';

/** Ends a debug session and frees its sandbox; 404 when unknown or already expired. */
export async function closeDebugSession(services: Pick<AppServices, 'lab'>, id: string): Promise<void> {
  await services.lab.sessions.close(id);
}
