'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import type { AuditEntry } from '@/lib/model/audit';
import type { Script } from '@/lib/model/script';
import { auditQueryString, NO_AUDIT_FILTERS } from '@/lib/ui/access';
import { formatDateTime } from '@/lib/ui/format';
import { securityApi } from '@/lib/ui/security-api';
import { useI18n } from '../i18n/locale-provider';
import { ErrorBanner, Loading } from '../ui/states';
import { AuditDetails } from './audit-details';
import { AuditActor } from './audit-page';

const HISTORY_SIZE = 20;

/**
 * A saved script's own history beside it: who created it, who changed it last, and its audit
 * entries (GET /api/audit?targetType=script&targetId=…) with who, when, what and the code diff.
 * Read when opened, and again after each change of the script (its version or state).
 */
export function ScriptHistory({ script }: { script: Script }) {
  const { t, locale } = useI18n();
  const [open, setOpen] = useState(false);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [more, setMore] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<Record<string, boolean>>({});
  const changeKey = `${script.version}:${script.status.state}:${script.updatedAt}`;

  useEffect(() => {
    if (!open) return;
    let live = true;
    const query = auditQueryString({ ...NO_AUDIT_FILTERS, targetType: 'script', targetId: script.id }, 'viewer', { limit: HISTORY_SIZE });
    securityApi
      .listAudit(query)
      .then((page) => {
        if (!live) return;
        setError(null);
        setEntries(page.entries);
        setMore(page.nextCursor !== null);
      })
      .catch((caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [open, script.id, changeKey]);

  const who = (by: Script['createdBy']) => by?.name ?? t('history.unknown');
  return (
    <details className="panel script-history" data-testid="script-history" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="panel-title">{t('history.title')}</summary>
      <p className="history-who muted">
        {t('history.created', { name: who(script.createdBy), time: formatDateTime(locale, script.createdAt) })}
        <br />
        {t('history.updated', { name: who(script.updatedBy), time: formatDateTime(locale, script.updatedAt) })}
      </p>
      {error !== null && <ErrorBanner error={error} />}
      {open && entries === null && error === null && <Loading />}
      {entries !== null && entries.length === 0 && <p className="muted small">{t('history.empty')}</p>}
      {entries !== null && entries.length > 0 && (
        <ol className="history-list">
          {entries.map((entry) => (
            <li key={entry.id} data-testid="history-entry" data-action={entry.action}>
              <div className="history-head">
                <span className="audit-action">{entry.action}</span>
                <AuditActor entry={entry} />
                <span className="muted small">{formatDateTime(locale, entry.at)}</span>
                {entry.version !== undefined && <span className="muted small">{t('audit.version', { version: entry.version })}</span>}
                <button
                  type="button"
                  className="link-button small"
                  aria-expanded={shown[entry.id] ?? false}
                  onClick={() => setShown((now) => ({ ...now, [entry.id]: !now[entry.id] }))}
                >
                  {shown[entry.id] ? t('audit.hide') : t('audit.show')}
                </button>
              </div>
              {shown[entry.id] && <AuditDetails entry={entry} />}
            </li>
          ))}
        </ol>
      )}
      {more && (
        <Link className="small" href={`/audit?targetType=script&targetId=${encodeURIComponent(script.id)}`}>
          {t('history.more')}
        </Link>
      )}
    </details>
  );
}
