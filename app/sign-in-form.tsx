'use client';

import { useState, type FormEvent } from 'react';
import { useI18n } from '@/components/i18n/locale-provider';
import { MIN_PASSWORD_LENGTH } from '@/lib/model/user';
import { minutesToWait } from '@/lib/ui/access';
import { ApiError } from '@/lib/ui/api-client';
import type { Translate } from '@/lib/ui/i18n/translate';
import { securityApi } from '@/lib/ui/security-api';

/** The query parameter the single sign-on callback redirects back with when it fails. */
const SIGN_IN_ERROR_PARAM = 'signInError';

function problemText(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      const minutes = minutesToWait(error.details.retryAfterSeconds);
      return minutes === null ? error.message : t('signin.rateLimited', { minutes });
    }
    if (error.status === 401) return t('signin.wrong');
    if (error.code === 'NETWORK') return t('error.network');
    return t('signin.failed', { message: error.message });
  }
  return t('signin.failed', { message: error instanceof Error ? error.message : String(error) });
}

/**
 * The sign-in page: username and password (POST /api/auth/login), "Sign in with <name>" when single
 * sign-on is configured, or "create the administrator" (POST /api/auth/setup, with the one-time
 * setup code when the server asks for it) on a fresh install.
 */
export function SignInForm({
  setup,
  setupCodeRequired,
  oidc,
  onSignedIn,
}: {
  setup: boolean;
  setupCodeRequired: boolean;
  oidc: { name: string } | null;
  onSignedIn: () => void;
}) {
  const { t } = useI18n();
  const [username, setUsername] = useState(setup ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [setupCode, setSetupCode] = useState('');
  // A failed single sign-on comes back as ?signInError=<message> (this form renders in the browser only).
  const [problem, setProblem] = useState<string | null>(() => {
    const message = typeof window === 'undefined' ? null : new URLSearchParams(window.location.search).get(SIGN_IN_ERROR_PARAM);
    return message ? t('signin.ssoFailed', { message }) : null;
  });
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (setup) {
        await securityApi.setup({
          username,
          password,
          ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
          ...(setupCodeRequired ? { setupCode: setupCode.trim() } : {}),
        });
      }
      await securityApi.login(username, password);
      const url = new URL(window.location.href);
      if (url.searchParams.has(SIGN_IN_ERROR_PARAM)) {
        url.searchParams.delete(SIGN_IN_ERROR_PARAM);
        window.history.replaceState(null, '', url.toString());
      }
      onSignedIn();
    } catch (error) {
      setProblem(problemText(error, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in-page">
      <form className="sign-in-card" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title" data-testid="sign-in-form">
        <div className="sign-in-brand" aria-hidden="true">
          <span className="brand-mark">ƒx</span>
        </div>
        <h1 id="sign-in-title">{setup ? t('signin.setupTitle') : t('signin.title')}</h1>
        <p className="muted">{setup ? t('signin.setupIntro') : t('signin.lead')}</p>
        {problem && (
          <p role="alert" className="sign-in-problem" data-testid="sign-in-problem">
            {problem}
          </p>
        )}
        {!setup && oidc && (
          <>
            {/* A full navigation (not a client route): the server redirects to the identity provider. */}
            {/* eslint-disable-next-line @next/next/no-html-link-for-pages */}
            <a className="button sso-button" href="/api/auth/oidc/start" data-testid="oidc-sign-in">
              {t('signin.oidc', { name: oidc.name })}
            </a>
            <p className="sign-in-or">
              <span>{t('signin.or')}</span>
            </p>
          </>
        )}
        <label className="field-label">
          {t('signin.username')}
          <input name="username" autoComplete="username" required autoFocus={!setup} value={username} onChange={(event) => setUsername(event.target.value)} />
        </label>
        {setup && (
          <label className="field-label">
            {t('signin.displayName')}
            <input name="displayName" autoComplete="name" value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
          </label>
        )}
        <label className="field-label">
          {t('signin.password')}
          <input
            name="password"
            type="password"
            autoComplete={setup ? 'new-password' : 'current-password'}
            required
            minLength={setup ? MIN_PASSWORD_LENGTH : undefined}
            aria-describedby={setup ? 'password-rule' : undefined}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          {setup && (
            <span id="password-rule" className="muted small">
              {t('signin.passwordRule')}
            </span>
          )}
        </label>
        {setup && setupCodeRequired && (
          <label className="field-label">
            {t('signin.setupCode')}
            <input name="setupCode" autoComplete="off" required spellCheck={false} value={setupCode} onChange={(event) => setSetupCode(event.target.value)} />
            <span className="muted small">{t('signin.setupCodeHint')}</span>
          </label>
        )}
        <button type="submit" className="button primary sign-in-submit" disabled={busy}>
          {busy ? t('signin.signingIn') : setup ? t('signin.setupSubmit') : t('signin.submit')}
        </button>
      </form>
    </main>
  );
}
