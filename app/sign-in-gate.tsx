'use client';

import type { ReactNode } from 'react';
import { useMe } from '@/components/auth/use-me';
import { useI18n } from '@/components/i18n/locale-provider';
import { SignInForm } from './sign-in-form';

/**
 * Shows the IDE to a signed-in user (or with AUTH=off); otherwise the sign-in page, or "create the
 * administrator" on a fresh install (security.md). When the server does not answer, the IDE is
 * shown and its pages report the problem.
 */
export function SignInGate({ children }: { children: ReactNode }) {
  const { t } = useI18n();
  const { access, setup, checked, refresh } = useMe();
  if (!checked) return <p className="sign-in-checking">{t('common.loading')}</p>;
  if (access.status !== 'out') return <>{children}</>;
  return (
    <SignInForm
      setup={setup?.needed ?? false}
      setupCodeRequired={setup?.setupCodeRequired ?? false}
      oidc={setup?.oidc ?? null}
      onSignedIn={() => void refresh()}
    />
  );
}
