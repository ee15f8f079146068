'use client';

import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError } from '@/lib/ui/api-client';
import type { Script } from '@/lib/ui/api-types';
import { formatDateTime, formatInteger, formatMicros, formatRelative } from '@/lib/ui/format';
import { useI18n } from '../i18n/locale-provider';
import { StateBadge } from '../ui/badges';
import { useFeedback } from '../ui/feedback-provider';
import { EmptyState, ErrorBanner, errorMessage, Loading } from '../ui/states';
import { RoleLock } from '../auth/role-lock';
import { useRegisterDialog } from './register-dialog';
import { TestsStatusBadge } from '../tests/tests-status-badge';
import { useTestsStatus } from '../tests/use-tests-status';

const REFRESH_MS = 3000;

function matches(script: Script, query: string): boolean {
  if (!query) return true;
  const needle = query.toLowerCase();
  return [script.name, script.description ?? '', ...script.inputs.flatMap((i) => [i.tag, i.alias]), ...script.outputs.map((o) => o.tag)].some((text) =>
    text.toLowerCase().includes(needle),
  );
}

export function ScriptsPage() {
  const { t, locale } = useI18n();
  const { confirm, notify } = useFeedback();
  const router = useRouter();
  const [scripts, setScripts] = useState<Script[] | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [query, setQuery] = useState('');
  const [busy, setBusy] = useState<Record<string, boolean>>({});
  const [now, setNow] = useState(() => Date.now());
  const searchRef = useRef<HTMLInputElement>(null);
  const registerDialog = useRegisterDialog();
  const testsStatus = useTestsStatus(scripts);

  const load = useCallback(async () => {
    try {
      const list = await api.listScripts();
      setScripts(list.sort((a, b) => a.name.localeCompare(b.name)));
      setLoadError(null);
    } catch (error) {
      setLoadError(error);
    } finally {
      setNow(Date.now());
    }
  }, []);

  useEffect(() => {
    const first = window.setTimeout(() => void load(), 0);
    const timer = window.setInterval(() => void load(), REFRESH_MS);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(timer);
    };
  }, [load]);

  const visible = useMemo(() => (scripts ?? []).filter((script) => matches(script, query.trim())), [scripts, query]);

  const replace = (updated: Script) => setScripts((list) => (list ?? []).map((script) => (script.id === updated.id ? updated : script)));

  async function toggle(script: Script) {
    const registering = script.status.state !== 'registered';
    // Registering shows first what the script would do on the latest values; unregistering stops outputs that alarms may read.
    const ok = registering
      ? await registerDialog.ask({ name: script.name, target: { scriptId: script.id } })
      : await confirm({
          title: t('scripts.unregisterTitle', { name: script.name }),
          body: <p>{t('scripts.unregisterBody', { outputs: script.outputs.map((output) => output.tag).join(', ') })}</p>,
          confirmLabel: t('scripts.unregisterConfirm'),
          danger: true,
        });
    if (!ok) return;
    setBusy((b) => ({ ...b, [script.id]: true }));
    try {
      const updated = registering ? await api.registerScript(script.id) : await api.unregisterScript(script.id);
      replace(updated);
      notify('success', t(registering ? 'scripts.registered' : 'scripts.unregistered', { name: script.name }));
    } catch (error) {
      const first = error instanceof ApiError ? error.diagnostics[0] : undefined;
      notify('error', `${t(registering ? 'scripts.registerFailed' : 'scripts.unregisterFailed', { name: script.name })} ${errorMessage(error, t)}${first && first.message !== errorMessage(error, t) ? ` — ${diagnosticText(locale, first)}` : ''}`);
    } finally {
      setBusy((b) => ({ ...b, [script.id]: false }));
    }
  }

  async function remove(script: Script) {
    const ok = await confirm({
      title: t('scripts.deleteTitle', { name: script.name }),
      body: (
        <p>
          {script.status.state === 'registered' ? t('scripts.deleteBodyRegistered') : t('scripts.deleteBody')}
        </p>
      ),
      confirmLabel: t('scripts.deleteConfirm'),
      danger: true,
    });
    if (!ok) return;
    try {
      await api.deleteScript(script.id);
      setScripts((list) => (list ?? []).filter((s) => s.id !== script.id));
      notify('success', t('scripts.deleted', { name: script.name }));
    } catch (error) {
      notify('error', `${t('scripts.deleteFailed', { name: script.name })} ${errorMessage(error, t)}`);
    }
  }

  return (
    <main className="page scripts-page">
      {registerDialog.dialog}
      <div className="page-head">
        <div>
          <h1>{t('scripts.title')}</h1>
          <p className="page-lead">{t('scripts.lead')}</p>
        </div>
        <RoleLock needs="editor">
          {(locked) =>
            locked ? (
              <span className="button primary disabled" aria-disabled="true" data-testid="new-script">
                + {t('scripts.new')}
              </span>
            ) : (
              <Link href="/scripts/new" className="button primary" data-testid="new-script">
                + {t('scripts.new')}
              </Link>
            )
          }
        </RoleLock>
      </div>

      <div className="toolbar">
        <label className="search">
          <span className="visually-hidden">{t('scripts.search')}</span>
          <input
            ref={searchRef}
            type="search"
            placeholder={t('scripts.searchPlaceholder')}
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </label>
        {scripts && (
          <span className="muted">
            {t('scripts.count', { count: visible.length, total: scripts.length })}
          </span>
        )}
      </div>

      {loadError !== null && <ErrorBanner error={loadError} onRetry={() => void load()} />}
      {scripts === null && loadError === null && <Loading />}
      {scripts !== null && scripts.length === 0 && (
        <EmptyState
          title={t('scripts.emptyTitle')}
          action={
            <RoleLock needs="editor">
              {(locked) =>
                locked ? (
                  <span className="button primary disabled" aria-disabled="true">
                    + {t('scripts.new')}
                  </span>
                ) : (
                  <Link href="/scripts/new" className="button primary">
                    + {t('scripts.new')}
                  </Link>
                )
              }
            </RoleLock>
          }
        >
          <p>{t('scripts.emptyBody')}</p>
        </EmptyState>
      )}
      {scripts !== null && scripts.length > 0 && visible.length === 0 && (
        <EmptyState title={t('scripts.noMatch', { query })}>
          <button type="button" className="button" onClick={() => setQuery('')}>
            {t('scripts.clearSearch')}
          </button>
        </EmptyState>
      )}

      {visible.length > 0 && (
        <div className="table-wrap">
          <table className="data-table scripts-table">
            <thead>
              <tr>
                <th scope="col">{t('scripts.col.name')}</th>
                <th scope="col">{t('scripts.col.io')}</th>
                <th scope="col">{t('scripts.col.state')}</th>
                <th scope="col">{t('scripts.col.tests')}</th>
                <th scope="col" className="num">{t('scripts.col.evaluations')}</th>
                <th scope="col" className="num">{t('scripts.col.errors')}</th>
                <th scope="col" className="num">{t('scripts.col.avg')}</th>
                <th scope="col">{t('scripts.col.lastRun')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('scripts.col.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {visible.map((script) => {
                const registered = script.status.state === 'registered';
                return (
                  <tr key={script.id} data-testid="script-row" data-name={script.name}>
                    <td className="name-cell">
                      <Link href={`/scripts/${encodeURIComponent(script.id)}`} className="script-name">
                        {script.name}
                      </Link>
                      {script.description && (
                        <span className="description" title={script.description}>
                          {script.description}
                        </span>
                      )}
                    </td>
                    <td className="io-cell">
                      <span className="tags-list">
                        {script.inputs.length === 0
                          ? t('scripts.noInputs')
                          : script.inputs.map((input, index) => (
                              <span key={input.tag} className="tag-chip">
                                {input.tag}
                                {index < script.inputs.length - 1 ? ', ' : ''}
                              </span>
                            ))}
                      </span>
                      <span className="arrow" aria-label={t('scripts.produces')}>
                        →
                      </span>
                      <span className="tags-list outputs">
                        {script.outputs.map((output, index) => (
                          <span key={output.tag} className="tag-chip">
                            {output.tag}
                            {index < script.outputs.length - 1 ? ', ' : ''}
                          </span>
                        ))}
                      </span>
                    </td>
                    <td className="state-cell">
                      <StateBadge state={script.status.state} />
                      {script.status.lastError && (
                        <span className="last-error" title={diagnosticText(locale, script.status.lastError)}>
                          {diagnosticText(locale, script.status.lastError)}
                        </span>
                      )}
                      {registered && script.status.missingInputs && script.status.missingInputs.length > 0 && (
                        <span className="muted small">{t('scripts.waitingFor', { inputs: script.status.missingInputs.join(', ') })}</span>
                      )}
                    </td>
                    <td className="tests-cell">
                      <TestsStatusBadge status={testsStatus(script)} />
                    </td>
                    <td className="num">{formatInteger(locale, script.status.evaluations)}</td>
                    <td className={`num${script.status.errors > 0 ? ' has-errors' : ''}`}>{formatInteger(locale, script.status.errors)}</td>
                    <td className="num">{script.status.evaluations > 0 ? formatMicros(locale, script.status.avgMicros) : '—'}</td>
                    <td title={formatDateTime(locale, script.status.lastRunAt)}>{formatRelative(locale, script.status.lastRunAt, now)}</td>
                    <td className="actions-cell">
                      <RoleLock needs="editor">
                        {(locked) => (
                          <button
                            type="button"
                            role="switch"
                            aria-checked={registered}
                            className={`switch${registered ? ' on' : ''}`}
                            disabled={locked || busy[script.id]}
                            onClick={() => void toggle(script)}
                            title={registered ? t('scripts.unregisterHint') : t('scripts.registerHint')}
                            aria-label={t('scripts.registeredSwitch', { name: script.name })}
                          >
                            <span className="switch-knob" aria-hidden="true" />
                            <span className="switch-text">{registered ? t('scripts.on') : t('scripts.off')}</span>
                          </button>
                        )}
                      </RoleLock>
                      <Link href={`/trends?script=${encodeURIComponent(script.id)}`} className="button small ghost">
                        {t('scripts.trend')}
                      </Link>
                      <RoleLock needs="editor">
                        {(locked) => (
                          <button type="button" className="button small ghost" disabled={locked} onClick={() => router.push(`/scripts/new?copy=${encodeURIComponent(script.id)}`)}>
                            {t('scripts.duplicate')}
                          </button>
                        )}
                      </RoleLock>
                      <RoleLock needs="editor">
                        {(locked) => (
                          <button type="button" className="button small ghost danger-text" disabled={locked} onClick={() => void remove(script)} aria-label={t('scripts.deleteLabel', { name: script.name })}>
                            {t('scripts.delete')}
                          </button>
                        )}
                      </RoleLock>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
