'use client';

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { Role } from '@/lib/model/role';
import type { CreatedToken, Token } from '@/lib/model/token';
import { expiryFromDate, rolesUpTo, tokenState } from '@/lib/ui/access';
import { formatDateTime } from '@/lib/ui/format';
import { securityApi } from '@/lib/ui/security-api';
import { NeedsRolePage } from '../auth/needs-role-page';
import { useMe } from '../auth/use-me';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { EmptyState, ListStates, errorMessage } from '../ui/states';

const STATE_CLASS = { active: 'ok', expired: 'off', revoked: 'bad' } as const;

/** API tokens: an editor's own, an admin's view of all; the new secret shown once with a Copy button. */
export function TokensPage() {
  return (
    <NeedsRolePage needs="editor">
      <Tokens />
    </NeedsRolePage>
  );
}

function Tokens() {
  const { t, locale } = useI18n();
  const { access, can } = useMe();
  const { confirm, notify } = useFeedback();
  const myRole: Role = access.status === 'in' ? access.user.role : 'editor';
  const admin = can('admin');
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [form, setForm] = useState<{ name: string; role: Role; expires: string }>({ name: '', role: myRole === 'admin' ? 'editor' : myRole, expires: '' });
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    try {
      const list = await securityApi.listTokens();
      setLoadError(null);
      setTokens(list);
      setNow(Date.now());
    } catch (error) {
      setLoadError(error);
    }
  }, []);
  useEffect(() => {
    const first = window.setTimeout(() => void load(), 0);
    return () => window.clearTimeout(first);
  }, [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const expiresAt = expiryFromDate(form.expires);
      const token = await securityApi.createToken({ name: form.name.trim(), role: form.role, ...(expiresAt ? { expiresAt } : {}) });
      setCreated(token);
      const { token: _secret, ...listed } = token;
      setTokens((list) => [listed, ...(list ?? [])]);
      setForm((now) => ({ ...now, name: '', expires: '' }));
    } catch (error) {
      setProblem(t('tokens.failed', { message: errorMessage(error, t) }));
    } finally {
      setBusy(false);
    }
  };

  const copy = async (secret: string) => {
    try {
      await navigator.clipboard.writeText(secret);
      notify('success', t('tokens.copied'));
    } catch {
      notify('error', t('tokens.copyFailed'));
    }
  };

  const revoke = async (token: Token) => {
    const ok = await confirm({ title: t('tokens.revokeTitle', { name: token.name }), body: <p>{t('tokens.revokeBody')}</p>, confirmLabel: t('tokens.revoke'), danger: true });
    if (!ok) return;
    try {
      await securityApi.revokeToken(token.id);
      setTokens((list) => (list ?? []).map((other) => (other.id === token.id ? { ...other, revoked: true } : other)));
      notify('success', t('tokens.revoked', { name: token.name }));
    } catch (error) {
      notify('error', errorMessage(error, t));
    }
  };

  return (
    <main className="page tokens-page">
      <div className="page-head">
        <div>
          <h1>{t('tokens.title')}</h1>
          <p className="page-lead">{admin ? t('tokens.leadAdmin') : t('tokens.leadOwn')}</p>
        </div>
      </div>

      {created && (
        <section className="secret-panel" role="status" aria-labelledby="secret-title" data-testid="token-secret-panel">
          <h2 id="secret-title">{t('tokens.secretTitle', { name: created.name })}</h2>
          <p>{t('tokens.secretWarning')}</p>
          <div className="secret-row">
            <code data-testid="token-secret">{created.token}</code>
            <button type="button" className="button primary" onClick={() => void copy(created.token)} data-testid="token-copy">
              {t('tokens.copy')}
            </button>
          </div>
          <div>
            <button type="button" className="button small" onClick={() => setCreated(null)} data-testid="token-secret-done">
              {t('tokens.done')}
            </button>
          </div>
        </section>
      )}

      <form className="inline-form" onSubmit={(event) => void create(event)} data-testid="token-form">
        <h2>{t('tokens.create')}</h2>
        <label className="field-label">
          {t('tokens.name')}
          <input type="text" name="name" required maxLength={100} placeholder={t('tokens.namePlaceholder')} value={form.name} onChange={(event) => setForm({ ...form, name: event.target.value })} />
        </label>
        <label className="field-label">
          {t('tokens.role')}
          <select name="role" value={form.role} onChange={(event) => setForm({ ...form, role: event.target.value as Role })}>
            {rolesUpTo(myRole).map((role) => (
              <option key={role} value={role}>
                {t(`role.${role}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field-label">
          {t('tokens.expires')}
          <input type="date" name="expires" value={form.expires} onChange={(event) => setForm({ ...form, expires: event.target.value })} />
        </label>
        <button type="submit" className="button primary" disabled={busy}>
          {busy ? t('tokens.adding') : t('tokens.add')}
        </button>
        {problem && (
          <p className="field-error form-problem" role="alert">
            {problem}
          </p>
        )}
      </form>

      <ListStates items={tokens} error={loadError} onRetry={() => void load()} empty={<EmptyState title={t('tokens.empty')} />}>
        {(tokens) => (
          <table className="data-table tokens-table">
            <thead>
              <tr>
                <th scope="col">{t('tokens.col.name')}</th>
                <th scope="col">{t('tokens.col.role')}</th>
                {admin && <th scope="col">{t('tokens.col.owner')}</th>}
                <th scope="col">{t('tokens.col.created')}</th>
                <th scope="col">{t('tokens.col.expires')}</th>
                <th scope="col">{t('tokens.col.lastUsed')}</th>
                <th scope="col">{t('tokens.col.state')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('users.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((token) => {
                const state = tokenState(token, now);
                return (
                  <tr key={token.id} data-testid="token-row" data-name={token.name} className={state === 'active' ? undefined : 'inactive'}>
                    <td>{token.name}</td>
                    <td>
                      <span className={`role-badge role-${token.role}`}>{t(`role.${token.role}`)}</span>
                    </td>
                    {admin && <td>{token.owner.username}</td>}
                    <td>{formatDateTime(locale, token.createdAt)}</td>
                    <td>{token.expiresAt ? formatDateTime(locale, token.expiresAt) : t('tokens.noExpiry')}</td>
                    <td>{token.lastUsedAt ? formatDateTime(locale, token.lastUsedAt) : t('tokens.never')}</td>
                    <td>
                      <span className={`state-pill ${STATE_CLASS[state]}`} data-testid="token-state">
                        {t(`tokens.state.${state}`)}
                      </span>
                    </td>
                    <td>
                      {!token.revoked && (
                        <button type="button" className="button small ghost danger-text" onClick={() => void revoke(token)}>
                          {t('tokens.revoke')}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </ListStates>
    </main>
  );
}
