'use client';

import { useCallback, useEffect, useRef } from 'react';
import { api, ApiError, type Overrides } from '@/lib/ui/api-client';
import type { DebugResult, ScriptDraft } from '@/lib/ui/api-types';

type RunnableScript = Omit<ScriptDraft, 'name'> & { name?: string };

/** Why a run did not continue from the previous run's state. */
export type StateRestart = 'code' | 'expired' | null;

/**
 * Runs that keep the script's state between them (Debug and Calculate with "keep state"): a debug
 * session on the server holds the sandbox; a new one opens (initCode runs) when the code changed,
 * when the last one expired, or on reset. One per use; the session is closed when the editor closes.
 */
export function useKeptState() {
  const session = useRef<{ id: string; draftKey: string } | null>(null);

  const open = useCallback(async (draftKey: string, script: RunnableScript) => {
    if (session.current) void api.deleteDebugSession(session.current.id).catch(() => undefined);
    session.current = null;
    const created = await api.createDebugSession(script);
    session.current = { id: created.id, draftKey };
    return created.id;
  }, []);

  const run = useCallback(
    async (draftKey: string, script: RunnableScript, inputs: Overrides | undefined): Promise<{ result: DebugResult; restarted: StateRestart }> => {
      let restarted: StateRestart = null;
      if (!session.current || session.current.draftKey !== draftKey) {
        if (session.current) restarted = 'code';
        await open(draftKey, script);
      }
      try {
        return { result: await api.runDebugSession(session.current!.id, inputs), restarted };
      } catch (error) {
        // Expired (idle too long): start a new session once, and say so.
        if (!(error instanceof ApiError && error.status === 404)) throw error;
        const id = await open(draftKey, script);
        return { result: await api.runDebugSession(id, inputs), restarted: 'expired' };
      }
    },
    [open],
  );

  /** Throws the state away and runs initCode again (a new session for the current code). */
  const reset = useCallback((draftKey: string, script: RunnableScript) => open(draftKey, script), [open]);

  const forget = useCallback(() => {
    if (session.current) void api.deleteDebugSession(session.current.id).catch(() => undefined);
    session.current = null;
  }, []);

  // The sandbox lives on the server: free it when the editor closes.
  useEffect(() => forget, [forget]);

  return { run, reset, forget };
}
