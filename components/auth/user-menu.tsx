'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useEffect, useRef, useState } from 'react';
import { canChangeOwnPassword, showsAccountMenu } from '@/lib/ui/access';
import { securityApi } from '@/lib/ui/security-api';
import { useI18n } from '../i18n/locale-provider';
import { errorMessage } from '../ui/states';
import { useFeedback } from '../ui/feedback-provider';
import { ChangePasswordDialog } from './change-password-dialog';
import { useMe } from './use-me';

/**
 * The signed-in user in the header (display name and role) and their menu: API tokens (editors),
 * users (admins), the audit trail, change my password, sign out. Nothing with AUTH=off.
 */
export function UserMenu() {
  const { t } = useI18n();
  const { access, can, signedOut } = useMe();
  const { notify } = useFeedback();
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [changingPassword, setChangingPassword] = useState(false);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !root.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', close);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', close);
    };
  }, [open]);

  if (!showsAccountMenu(access)) return null;
  const { user } = access;

  const signOut = async () => {
    setOpen(false);
    try {
      await securityApi.logout();
      signedOut();
      router.push('/');
    } catch (error) {
      notify('error', t('menu.signOutFailed', { message: errorMessage(error, t) }));
    }
  };

  return (
    <div className="user-menu" ref={root}>
      <button
        type="button"
        className="user-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label={t('menu.label', { name: user.displayName })}
        onClick={() => setOpen((now) => !now)}
        data-testid="user-menu"
      >
        <span className="user-avatar" aria-hidden="true">
          {user.displayName.trim().charAt(0).toUpperCase() || '?'}
        </span>
        <span className="user-name">{user.displayName}</span>
        <span className={`role-badge role-${user.role}`} data-testid="user-role">
          {t(`role.${user.role}`)}
        </span>
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="user-menu-list" role="menu">
          <p className="user-menu-who muted small">{t('menu.signedInAs', { username: user.username })}</p>
          {can('editor') && (
            <Link role="menuitem" href="/tokens" onClick={() => setOpen(false)}>
              {can('admin') ? t('menu.tokens') : t('menu.myTokens')}
            </Link>
          )}
          {can('admin') && (
            <Link role="menuitem" href="/admin/users" onClick={() => setOpen(false)}>
              {t('menu.users')}
            </Link>
          )}
          <Link role="menuitem" href="/audit" onClick={() => setOpen(false)}>
            {t('menu.audit')}
          </Link>
          {canChangeOwnPassword(access) && (
            <button
              type="button"
              role="menuitem"
              onClick={() => {
                setOpen(false);
                setChangingPassword(true);
              }}
            >
              {t('menu.changePassword')}
            </button>
          )}
          <hr />
          <button type="button" role="menuitem" onClick={() => void signOut()} data-testid="sign-out">
            {t('menu.signOut')}
          </button>
        </div>
      )}
      {changingPassword && <ChangePasswordDialog userId={user.id} onClose={() => setChangingPassword(false)} />}
    </div>
  );
}
