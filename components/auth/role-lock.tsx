'use client';

import { useId, type ReactNode } from 'react';
import type { Role } from '@/lib/model/role';
import { useI18n } from '../i18n/locale-provider';
import { needsRoleKey, useMe } from './use-me';

/**
 * A control that needs a role: rendered as it is when the visitor has the role, otherwise locked
 * (`children(true)` renders it disabled) inside a focusable wrapper that shows why on hover and
 * focus ("Needs the editor role — ask an administrator"), also read by screen readers.
 */
export function RoleLock({ needs, children, className }: { needs: Role; children: (locked: boolean) => ReactNode; className?: string }) {
  const { can } = useMe();
  const { t } = useI18n();
  const id = useId();
  if (can(needs)) return <>{children(false)}</>;
  return (
    <span className={`role-lock${className ? ` ${className}` : ''}`} tabIndex={0} aria-describedby={id} data-testid="role-lock" data-needs={needs}>
      {children(true)}
      <span role="tooltip" id={id} className="role-lock-tip">
        {t(needsRoleKey(needs))}
      </span>
    </span>
  );
}
