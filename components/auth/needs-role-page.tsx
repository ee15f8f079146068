'use client';

import type { ReactNode } from 'react';
import type { Role } from '@/lib/model/role';
import { useI18n } from '../i18n/locale-provider';
import { useMe } from './use-me';

/** A page for a role: its content, or a clear note of the role it needs and the visitor's own. */
export function NeedsRolePage({ needs, children }: { needs: Role; children: ReactNode }) {
  const { t } = useI18n();
  const { access, can } = useMe();
  if (can(needs)) return <>{children}</>;
  const user = access.status === 'in' ? access.user : null;
  return (
    <main className="page">
      <div className="error-banner" role="alert" data-testid="needs-role">
        <span>
          {t('access.forbiddenPage', { role: t(`role.${needs}`), user: user?.username ?? '—', current: user ? t(`role.${user.role}`) : '—' })}
        </span>
      </div>
    </main>
  );
}
