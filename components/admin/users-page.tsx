'use client';

import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ROLES, type Role } from '@/lib/model/role';
import type { User } from '@/lib/model/user';
import { formatDateTime } from '@/lib/ui/format';
import { securityApi, type UserChange } from '@/lib/ui/security-api';
import { NeedsRolePage } from '../auth/needs-role-page';
import { PasswordDialog } from '../auth/password-dialog';
import { useMe } from '../auth/use-me';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { EmptyState, ListStates, errorMessage } from '../ui/states';

const EMPTY_FORM = { username: '', displayName: '', role: 'viewer' as Role, password: '' };

/** Users (admin): add, change role, disable/enable, reset password, delete; the server's 409s shown as they are. */
export function UsersPage() {
  return (
    <NeedsRolePage needs="admin">
      <UsersAdmin />
    </NeedsRolePage>
  );
}

function UsersAdmin() {
  const { t, locale } = useI18n();
  const { access, refresh } = useMe();
  const { confirm, notify } = useFeedback();
  const me = access.status === 'in' ? access.user : null;
  const [users, setUsers] = useState<User[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [form, setForm] = useState(EMPTY_FORM);
  const [formProblem, setFormProblem] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<User | null>(null);

  const load = useCallback(async () => {
    try {
      const list = await securityApi.listUsers();
      setLoadError(null);
      setUsers(list);
    } catch (error) {
      setLoadError(error);
    }
  }, []);
  useEffect(() => {
    const first = window.setTimeout(() => void load(), 0);
    return () => window.clearTimeout(first);
  }, [load]);

  const replace = (changed: User) => setUsers((list) => (list ?? []).map((user) => (user.id === changed.id ? changed : user)));

  const add = async (event: FormEvent) => {
    event.preventDefault();
    setAdding(true);
    setFormProblem(null);
    try {
      const created = await securityApi.createUser({
        username: form.username.trim(),
        role: form.role,
        password: form.password,
        ...(form.displayName.trim() ? { displayName: form.displayName.trim() } : {}),
      });
      setUsers((list) => [...(list ?? []), created]);
      setForm(EMPTY_FORM);
      notify('success', t('users.created', { username: created.username }));
    } catch (error) {
      setFormProblem(errorMessage(error, t));
    } finally {
      setAdding(false);
    }
  };

  const change = async (user: User, body: UserChange, success: (changed: User) => string) => {
    try {
      const changed = await securityApi.updateUser(user.id, body);
      replace(changed);
      notify('success', success(changed));
      if (changed.id === me?.id) await refresh();
    } catch (error) {
      notify('error', t('users.failed', { username: user.username, message: errorMessage(error, t) }));
    }
  };

  const remove = async (user: User) => {
    const ok = await confirm({ title: t('users.deleteTitle', { username: user.username }), body: <p>{t('users.deleteBody')}</p>, confirmLabel: t('users.delete'), danger: true });
    if (!ok) return;
    try {
      await securityApi.deleteUser(user.id);
      setUsers((list) => (list ?? []).filter((other) => other.id !== user.id));
      notify('success', t('users.deleted', { username: user.username }));
    } catch (error) {
      notify('error', t('users.failed', { username: user.username, message: errorMessage(error, t) }));
    }
  };

  return (
    <main className="page users-page">
      <div className="page-head">
        <div>
          <h1>{t('users.title')}</h1>
          <p className="page-lead">{t('users.lead')}</p>
        </div>
      </div>

      <form className="inline-form" onSubmit={(event) => void add(event)} data-testid="user-form">
        <h2>{t('users.create')}</h2>
        <label className="field-label">
          {t('users.username')}
          <input type="text" name="username" required autoComplete="off" spellCheck={false} value={form.username} onChange={(event) => setForm({ ...form, username: event.target.value })} />
        </label>
        <label className="field-label">
          {t('users.displayName')}
          <input type="text" name="displayName" value={form.displayName} onChange={(event) => setForm({ ...form, displayName: event.target.value })} />
        </label>
        <label className="field-label">
          {t('users.role')}
          <select name="role" value={form.role} onChange={(event) => setForm({ ...form, role: event.target.value as Role })}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {t(`role.${role}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="field-label">
          {t('users.initialPassword')}
          <input type="password" name="password" required autoComplete="new-password" value={form.password} onChange={(event) => setForm({ ...form, password: event.target.value })} />
        </label>
        <button type="submit" className="button primary" disabled={adding}>
          {adding ? t('users.adding') : t('users.add')}
        </button>
        {formProblem && (
          <p className="field-error form-problem" role="alert" data-testid="user-form-problem">
            {formProblem}
          </p>
        )}
      </form>

      <ListStates items={users} error={loadError} onRetry={() => void load()} empty={<EmptyState title={t('users.empty')} />}>
        {(users) => (
          <table className="data-table users-table">
            <thead>
              <tr>
                <th scope="col">{t('users.col.user')}</th>
                <th scope="col">{t('users.col.role')}</th>
                <th scope="col">{t('users.col.source')}</th>
                <th scope="col">{t('users.col.state')}</th>
                <th scope="col">{t('users.col.lastLogin')}</th>
                <th scope="col">{t('users.col.created')}</th>
                <th scope="col">{t('users.col.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {users.map((user) => (
                <tr key={user.id} data-testid="user-row" data-username={user.username} className={user.disabled ? 'inactive' : undefined}>
                  <td className="user-cell">
                    <div className="primary-line">
                      {user.displayName}
                      {user.id === me?.id && <span className="muted small"> ({t('users.you')})</span>}
                    </div>
                    <div className="muted small">{user.username}</div>
                  </td>
                  <td>
                    <select
                      aria-label={t('users.roleOf', { username: user.username })}
                      value={user.role}
                      onChange={(event) => {
                        const role = event.target.value as Role;
                        void change(user, { role }, (changed) => t('users.roleChanged', { username: changed.username, role: t(`role.${changed.role}`) }));
                      }}
                    >
                      {ROLES.map((role) => (
                        <option key={role} value={role}>
                          {t(`role.${role}`)}
                        </option>
                      ))}
                    </select>
                  </td>
                  <td>{t(`users.source.${user.source}`)}</td>
                  <td>
                    <span className={`state-pill ${user.disabled ? 'off' : 'ok'}`}>{user.disabled ? t('users.disabled') : t('users.enabled')}</span>
                  </td>
                  <td>{user.lastLoginAt ? formatDateTime(locale, user.lastLoginAt) : t('users.never')}</td>
                  <td>{formatDateTime(locale, user.createdAt)}</td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        className="button small"
                        onClick={() =>
                          void change(user, { disabled: !user.disabled }, (changed) =>
                            t('users.stateChanged', { username: changed.username, state: changed.disabled ? t('users.disabled') : t('users.enabled') }),
                          )
                        }
                      >
                        {user.disabled ? t('users.enable') : t('users.disable')}
                      </button>
                      {user.source === 'local' && (
                        <button type="button" className="button small" onClick={() => setResetting(user)}>
                          {t('users.resetPassword')}
                        </button>
                      )}
                      <button type="button" className="button small ghost danger-text" onClick={() => void remove(user)}>
                        {t('users.delete')}
                      </button>
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </ListStates>
      {resetting && (
        <PasswordDialog
          title={t('users.resetTitle', { username: resetting.username })}
          submitLabel={t('users.resetPassword')}
          askCurrent={resetting.id === me?.id}
          onClose={() => setResetting(null)}
          save={async (password, currentPassword) => {
            await securityApi.updateUser(resetting.id, resetting.id === me?.id ? { password, currentPassword } : { password });
            notify('success', t('users.resetDone', { username: resetting.username }));
          }}
        />
      )}
    </main>
  );
}
