'use client';

import { useState, type FormEvent } from 'react';
import { useI18n } from '@/components/i18n/locale-provider';

/** Sign in (POST /api/auth/login), or create the first administrator (POST /api/auth/setup) and then sign in. */
export function SignInForm({
  setup,
  setupCodeRequired,
  oidcName = null,
  onSignedIn,
}: {
  setup: boolean;
  setupCodeRequired: boolean;
  /** OIDC_NAME when single sign-on is configured: a "Sign in with …" link to /api/auth/oidc/start. */
  oidcName?: string | null;
  onSignedIn: () => void;
}) {
  const { t } = useI18n();
  const [username, setUsername] = useState(setup ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [setupCode, setSetupCode] = useState('');
  // Why single sign-on failed: the callback sends the browser to /?signInError=<message>.
  const [problem, setProblem] = useState<string | null>(() => {
    const signInError = typeof window === 'undefined' ? null : new URLSearchParams(window.location.search).get('signInError');
    return signInError ? t('signin.failed', { message: signInError }) : null;
  });
  const [busy, setBusy] = useState(false);

  const post = async (path: string, body: unknown) => {
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (response.ok) return;
    const answer = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new Error(answer?.error?.message ?? `HTTP ${response.status}`);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      if (setup) await post('/api/auth/setup', { username, password, ...(setupCodeRequired ? { setupCode } : {}) });
      await post('/api/auth/login', { username, password });
      onSignedIn();
    } catch (error) {
      setProblem(t('signin.failed', { message: error instanceof Error ? error.message : String(error) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title" style={{ maxWidth: 360, margin: '3rem auto', display: 'grid', gap: '0.75rem' }}>
        <h1 id="sign-in-title">{setup ? t('signin.setupTitle') : t('signin.title')}</h1>
        {setup && <p>{t('signin.setupIntro')}</p>}
        <label>
          {t('signin.username')}
          <input name="username" autoComplete="username" required value={username} onChange={(event) => setUsername(event.target.value)} />
        </label>
        <label>
          {t('signin.password')}
          <input
            name="password"
            type="password"
            autoComplete={setup ? 'new-password' : 'current-password'}
            required
            minLength={setup ? 12 : undefined}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {setup && setupCodeRequired && (
          <label>
            {t('signin.setupCode')}
            <input name="setupCode" autoComplete="off" required value={setupCode} onChange={(event) => setSetupCode(event.target.value)} />
          </label>
        )}
        {problem && <p role="alert">{problem}</p>}
        <button type="submit" disabled={busy}>
          {setup ? t('signin.setupSubmit') : t('signin.submit')}
        </button>
        {!setup && oidcName && (
          // A full page navigation (not next/link): the API answers with a redirect to the provider.
          // eslint-disable-next-line @next/next/no-html-link-for-pages
          <a href="/api/auth/oidc/start">{t('signin.withOidc', { name: oidcName })}</a>
        )}
      </form>
    </main>
  );
}
