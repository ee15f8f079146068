'use client';

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Role } from '@/lib/model/role';
import { ApiError, onUnauthorized } from '@/lib/ui/api-client';
import { can as accessAllows, type Access } from '@/lib/ui/access';
import type { MessageKey } from '@/lib/ui/i18n/translate';
import { securityApi, type SetupStatus } from '@/lib/ui/security-api';

/**
 * Who is using the IDE (GET /api/auth/me) and what their role allows, for every component: the
 * header's user menu, the sign-in gate, and controls that lock themselves for a lower role. The
 * server stays the authority; this only avoids offering what it would refuse.
 */

interface MeContext {
  access: Access;
  /** False until the first answer: the gate shows "Loading…" meanwhile. */
  checked: boolean;
  /** What GET /api/auth/setup said (first start, setup code, AUTH, single sign-on); null until known. */
  setup: SetupStatus | null;
  /** Whether the visitor's role includes `needed`. */
  can: (needed: Role) => boolean;
  /** Read who is signed in again (after signing in or out, or a role change). */
  refresh: () => Promise<void>;
  /** After sign-out: the IDE shows the sign-in page at once. */
  signedOut: () => void;
}

const Context = createContext<MeContext | null>(null);

/** The reason a control needing `needed` is locked. */
export function needsRoleKey(needed: Role): MessageKey {
  return needed === 'admin' ? 'access.needsAdmin' : needed === 'editor' ? 'access.needsEditor' : 'access.needsViewer';
}

async function readAccess(): Promise<{ access: Access; setup: SetupStatus | null }> {
  const setup = await securityApi.setupStatus().catch(() => null);
  // The public status says whether this browser is signed in: a signed-out visitor's page load leaves
  // no refused /api/auth/me in the audit trail.
  if (setup && setup.signedIn === false) return { access: { status: 'out' }, setup };
  try {
    const me = await securityApi.me();
    return { access: { status: 'in', user: me.user, via: me.via, authEnabled: setup?.authEnabled ?? true }, setup };
  } catch (error) {
    // 401: not signed in. Anything else (the server is down, a 5xx): the IDE's pages report it themselves.
    if (error instanceof ApiError && error.status === 401) return { access: { status: 'out' }, setup };
    return { access: { status: 'unknown' }, setup };
  }
}

export function MeProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<{ access: Access; setup: SetupStatus | null; checked: boolean }>({
    access: { status: 'unknown' },
    setup: null,
    checked: false,
  });
  const refresh = useCallback(async () => {
    const next = await readAccess();
    setState({ ...next, checked: true });
  }, []);
  useEffect(() => {
    let live = true;
    void readAccess().then((next) => live && setState({ ...next, checked: true }));
    return () => {
      live = false;
    };
  }, []);
  // Back to the tab after a while (the session may have ended, an admin changed the role or disabled
  // the user): ask again, so an ended session shows the sign-in page instead of refused requests
  // (the editor keeps its draft in the browser).
  useEffect(() => {
    const recheck = () => {
      if (document.visibilityState !== 'visible') return;
      void readAccess().then((next) =>
        // A server that does not answer changes nothing; a new role or an ended session shows at once.
        setState((current) => (next.access.status === 'unknown' ? current : { ...next, checked: true })),
      );
    };
    document.addEventListener('visibilitychange', recheck);
    // A request refused with 401 while the IDE is open: the session ended; ask at once.
    const stopListening = onUnauthorized(() => {
      void readAccess().then((next) => setState((current) => (next.access.status === 'unknown' ? current : { ...next, checked: true })));
    });
    return () => {
      document.removeEventListener('visibilitychange', recheck);
      stopListening();
    };
  }, []);
  const signedOut = useCallback(() => setState((current) => ({ ...current, access: { status: 'out' } })), []);
  const value = useMemo<MeContext>(
    () => ({ access: state.access, setup: state.setup, checked: state.checked, can: (needed) => accessAllows(state.access, needed), refresh, signedOut }),
    [state, refresh, signedOut],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useMe(): MeContext {
  const context = useContext(Context);
  if (!context) throw new Error('useMe outside MeProvider');
  return context;
}
