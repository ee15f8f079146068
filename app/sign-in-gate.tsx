'use client';

import { useEffect, useState, type ReactNode } from 'react';
import { useI18n } from '@/components/i18n/locale-provider';
import { SignInForm } from './sign-in-form';

/**
 * Shows the IDE to a signed-in user; otherwise the sign-in form, or "create the administrator" on
 * a fresh install (security.md). A minimal stand-in until the IDE's own sign-in pages exist.
 */

type Gate = { kind: 'checking' } | { kind: 'in' } | { kind: 'out'; setup: boolean; setupCodeRequired: boolean; oidcName: string | null };

async function readGate(): Promise<Gate> {
  try {
    // The public status says whether this browser's session is valid: no refused /api/auth/me per page load.
    const answer = await fetch('/api/auth/setup', { cache: 'no-store' });
    if (!answer.ok) return { kind: 'in' }; // a server error the IDE reports itself
    const status = (await answer.json()) as { needed: boolean; setupCodeRequired: boolean; signedIn: boolean; oidc?: { name: string } | null };
    if (status.signedIn) return { kind: 'in' }; // signed in, or AUTH=off
    return { kind: 'out', setup: status.needed, setupCodeRequired: status.setupCodeRequired, oidcName: status.oidc?.name ?? null };
  } catch {
    return { kind: 'in' }; // the server did not answer: the IDE shows that
  }
}

export function SignInGate({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const [gate, setGate] = useState<Gate>({ kind: 'checking' });
  useEffect(() => {
    let live = true;
    void readGate().then((next) => live && setGate(next));
    return () => {
      live = false;
    };
  }, []);
  if (gate.kind === 'checking') return <p className="sign-in-checking">{t('common.loading')}</p>;
  if (gate.kind === 'in') return <>{children}</>;
  return (
    <SignInForm setup={gate.setup} setupCodeRequired={gate.setupCodeRequired} oidcName={gate.oidcName} onSignedIn={() => void readGate().then(setGate)} />
  );
}
