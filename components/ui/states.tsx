'use client';

import type { ReactNode } from 'react';
import { ApiError } from '@/lib/ui/api-client';
import { useI18n } from '../i18n/locale-provider';
import type { Translate } from '@/lib/ui/i18n/translate';

/** The message a user is shown for a failed request: the API's own message, or what to check. */
export function errorMessage(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    if (error.code === 'NETWORK') return t('error.network');
    if (error.code === 'UNAVAILABLE') return t('error.unavailable', { message: error.message });
    // An endpoint this server does not have yet (an older server behind a newer UI).
    if ((error.code === 'BAD_RESPONSE' && (error.status === 404 || error.status === 405)) || /^no API (endpoint|operation)/.test(error.message)) {
      return t('error.notYetAvailable');
    }
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorBanner({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className="error-banner" role="alert">
      <span>{errorMessage(error, t)}</span>
      {onRetry && (
        <button type="button" className="button small" onClick={onRetry}>
          {t('common.retry')}
        </button>
      )}
    </div>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children && <div className="empty-body">{children}</div>}
      {action}
    </div>
  );
}

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </div>
  );
}

/**
 * A list page's states in one place: the load's error (with Retry), loading, empty, and the table
 * (wrapped for horizontal scrolling) once there are rows.
 */
export function ListStates<T>({ items, error, onRetry, empty, children }: { items: T[] | null; error: unknown; onRetry?: () => void; empty: ReactNode; children: (items: T[]) => ReactNode }) {
  return (
    <>
      {error !== null && <ErrorBanner error={error} onRetry={onRetry} />}
      {items === null && error === null && <Loading />}
      {items !== null && items.length === 0 && empty}
      {items !== null && items.length > 0 && <div className="table-wrap">{children(items)}</div>}
    </>
  );
}
