'use client';

import { Fragment, useCallback, useEffect, useState, type FormEvent } from 'react';
import type { AuditEntry } from '@/lib/model/audit';
import { auditActionsFor, auditQueryString, auditTargetTypesFor, NO_AUDIT_FILTERS, type AuditFilters } from '@/lib/ui/access';
import { formatDateTime } from '@/lib/ui/format';
import { securityApi } from '@/lib/ui/security-api';
import { useMe } from '../auth/use-me';
import { useI18n } from '../i18n/locale-provider';
import { EmptyState, ListStates } from '../ui/states';
import { AuditDetails } from './audit-details';

const PAGE_SIZE = 50;
const FILTER_NAMES = Object.keys(NO_AUDIT_FILTERS) as Array<keyof AuditFilters>;

/** The filters given in the address (`/audit?targetType=script&targetId=…`), so a script's history can link here. */
function filtersFromAddress(): AuditFilters {
  if (typeof window === 'undefined') return NO_AUDIT_FILTERS;
  const query = new URLSearchParams(window.location.search);
  const filters = { ...NO_AUDIT_FILTERS };
  for (const name of FILTER_NAMES) filters[name] = query.get(name) ?? '';
  return filters;
}

/** Who did it: the username, and the token when the change came through one. */
export function AuditActor({ entry }: { entry: AuditEntry }) {
  const { t } = useI18n();
  return (
    <span>
      {entry.actor.name}
      {entry.actor.token && <span className="muted small"> · {t('audit.viaToken', { name: entry.actor.token.name })}</span>}
    </span>
  );
}

/**
 * The audit trail (GET /api/audit): filters, newest first, "load older entries" with the cursor,
 * each entry's details (and code diff) expandable. Below admin only script entries are offered,
 * which is all the server answers for them.
 */
export function AuditPage() {
  const { t, locale } = useI18n();
  const { access } = useMe();
  const role = access.status === 'in' ? access.user.role : 'viewer';
  // Rendered in the browser only (behind the sign-in gate), so the address can seed the filters.
  const [filters, setFilters] = useState<AuditFilters>(filtersFromAddress);
  const [applied, setApplied] = useState<AuditFilters>(filters);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<Record<string, boolean>>({});

  const load = useCallback(
    async (which: AuditFilters, after: string | null) => {
      setBusy(true);
      setError(null);
      try {
        const page = await securityApi.listAudit(auditQueryString(which, role, { cursor: after, limit: PAGE_SIZE }));
        setEntries((list) => (after ? [...(list ?? []), ...page.entries] : page.entries));
        setCursor(page.nextCursor);
      } catch (caught) {
        setError(caught);
      } finally {
        setBusy(false);
      }
    },
    [role],
  );

  useEffect(() => {
    const first = window.setTimeout(() => void load(applied, null), 0);
    return () => window.clearTimeout(first);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the first page, once; later pages come from apply and load more
  }, []);

  const apply = (event?: FormEvent) => {
    event?.preventDefault();
    setApplied(filters);
    setOpen({});
    setEntries(null);
    void load(filters, null);
  };

  const field = (name: keyof AuditFilters) => ({
    value: filters[name],
    onChange: (event: { target: { value: string } }) => setFilters((now) => ({ ...now, [name]: event.target.value })),
  });

  const admin = role === 'admin';
  return (
    <main className="page audit-page">
      <div className="page-head">
        <div>
          <h1>{t('audit.title')}</h1>
          <p className="page-lead">{admin ? t('audit.leadAdmin') : t('audit.leadScripts')}</p>
        </div>
      </div>
      <form className="audit-filters" onSubmit={apply} data-testid="audit-filters">
        <label className="field-label">
          {t('audit.actor')}
          <input type="text" name="actor" {...field('actor')} />
        </label>
        <label className="field-label">
          {t('audit.action')}
          <select name="action" {...field('action')} data-testid="audit-action">
            <option value="">{t('audit.anyAction')}</option>
            {auditActionsFor(role).map((action) => (
              <option key={action} value={action}>
                {action}
              </option>
            ))}
          </select>
        </label>
        {admin && (
          <label className="field-label">
            {t('audit.targetType')}
            <select name="targetType" {...field('targetType')}>
              <option value="">{t('audit.anyTarget')}</option>
              {auditTargetTypesFor(role).map((type) => (
                <option key={type} value={type}>
                  {type}
                </option>
              ))}
            </select>
          </label>
        )}
        <label className="field-label">
          {t('audit.targetId')}
          <input type="text" name="targetId" {...field('targetId')} />
        </label>
        <label className="field-label">
          {t('audit.from')}
          <input type="datetime-local" name="from" {...field('from')} />
        </label>
        <label className="field-label">
          {t('audit.to')}
          <input type="datetime-local" name="to" {...field('to')} />
        </label>
        <button type="submit" className="button primary" disabled={busy} data-testid="audit-apply">
          {t('audit.apply')}
        </button>
        <button
          type="button"
          className="button ghost"
          onClick={() => {
            setFilters(NO_AUDIT_FILTERS);
            setApplied(NO_AUDIT_FILTERS);
            setEntries(null);
            void load(NO_AUDIT_FILTERS, null);
          }}
        >
          {t('audit.clear')}
        </button>
      </form>

      <ListStates items={entries} error={error} onRetry={() => void load(applied, null)} empty={<EmptyState title={t('audit.empty')} />}>
        {(entries) => (
          <>
          <table className="data-table audit-table" data-testid="audit-table">
            <thead>
              <tr>
                <th scope="col">{t('audit.col.at')}</th>
                <th scope="col">{t('audit.col.actor')}</th>
                <th scope="col">{t('audit.col.action')}</th>
                <th scope="col">{t('audit.col.target')}</th>
                <th scope="col">{t('audit.col.details')}</th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <Fragment key={entry.id}>
                  <tr data-testid="audit-row" data-action={entry.action} data-target-type={entry.target.type}>
                    <td className="when">{formatDateTime(locale, entry.at)}</td>
                    <td>
                      <AuditActor entry={entry} />
                    </td>
                    <td>
                      <span className="audit-action">{entry.action}</span>
                    </td>
                    <td>
                      <span className="muted small">{entry.target.type}</span> {entry.target.name ?? entry.target.id ?? '—'}
                      {entry.version !== undefined && <span className="muted small"> · {t('audit.version', { version: entry.version })}</span>}
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link-button"
                        aria-expanded={open[entry.id] ?? false}
                        onClick={() => setOpen((now) => ({ ...now, [entry.id]: !now[entry.id] }))}
                      >
                        {open[entry.id] ? t('audit.hide') : t('audit.show')}
                      </button>
                    </td>
                  </tr>
                  {open[entry.id] && (
                    <tr className="details-row">
                      <td colSpan={5}>
                        <AuditDetails entry={entry} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
          <div className="load-more">
            {cursor ? (
              <button type="button" className="button" disabled={busy} onClick={() => void load(applied, cursor)} data-testid="audit-more">
                {t('audit.loadMore')}
              </button>
            ) : (
              <span className="muted small">{t('audit.end')}</span>
            )}
          </div>
          </>
        )}
      </ListStates>
    </main>
  );
}
