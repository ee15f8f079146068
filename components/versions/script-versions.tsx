'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { TestReport } from '@/lib/model/script-tests';
import type { Script } from '@/lib/ui/api-types';
import { formatDateTime } from '@/lib/ui/format';
import { defaultComparison } from '@/lib/ui/version-diff';
import { versionsApi, type VersionSummary } from '@/lib/ui/versions-api';
import { RoleLock } from '../auth/role-lock';
import { useMe } from '../auth/use-me';
import { useI18n } from '../i18n/locale-provider';
import { useTestsGate } from '../tests/use-tests-gate';
import { useFeedback } from '../ui/feedback-provider';
import { ErrorBanner, errorMessage, Loading } from '../ui/states';
import { VersionCompare } from './version-compare';

interface ScriptVersionsProps {
  script: Script;
  /** The editor holds unsaved changes (a restore replaces them). */
  dirty: boolean;
  /** The restored version was saved: the editor shows it. */
  onRestored: (script: Script) => void;
  /** A restore refused by failing regression tests: their results, for the Tests tab. */
  onTestsFailed?: (report: TestReport) => void;
}

/**
 * A saved script's versions (changes.md): each with who saved it, when and why, the one the engine
 * runs; any two compared side by side; any one restored as the next version (hot-swapped at once
 * when the script is registered). The History panel beside it lists the audit entries.
 */
export function ScriptVersions({ script, dirty, onRestored, onTestsFailed }: ScriptVersionsProps) {
  const { t, locale } = useI18n();
  const { can } = useMe();
  const { confirm, notify } = useFeedback();
  const gate = useTestsGate(onTestsFailed);
  const [open, setOpen] = useState(false);
  const [versions, setVersions] = useState<VersionSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [comparing, setComparing] = useState<{ from: number; to: number } | null>(null);
  const [restoring, setRestoring] = useState<number | null>(null);
  const messageRef = useRef<HTMLInputElement>(null);
  const running = script.status.runningVersion ?? null;

  useEffect(() => {
    if (!open) return;
    let live = true;
    versionsApi
      .listVersions(script.id)
      .then((list) => {
        if (!live) return;
        setError(null);
        setVersions(list.versions);
      })
      .catch((caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [open, script.id, script.version]);

  /** Two versions at most are picked; a third replaces the first picked. */
  const togglePick = (version: number) => setPicked((now) => (now.includes(version) ? now.filter((v) => v !== version) : [...now, version].slice(-2)));

  const compare = () => {
    if (!versions) return;
    const pair = picked.length === 2 ? { from: Math.min(...picked), to: Math.max(...picked) } : defaultComparison(versions);
    if (pair) setComparing(pair);
  };

  const restore = useCallback(
    async (version: number) => {
      const entry = versions?.find((v) => v.version === version);
      const registered = script.status.state !== 'unregistered';
      setComparing(null);
      const ok = await confirm({
        title: t('versions.restoreTitle', { version, name: script.name }),
        body: (
          <div data-testid="restore-confirm">
            <p>
              {t('versions.restoreWhat', { version, next: script.version + 1 })}
              {entry?.message ? ` ${t('versions.restoreMessage', { message: entry.message })}` : ''}
            </p>
            <p className={registered ? 'warning-text' : undefined} data-testid="restore-runs">
              {registered ? t('versions.restoreHotSwap', { version }) : t('versions.restoreNotRegistered')}
            </p>
            {dirty && <p className="warning-text">{t('versions.restoreDiscards')}</p>}
            <label className="field restore-message">
              <span className="field-label">{t('versions.messageLabel')}</span>
              <input ref={messageRef} type="text" maxLength={500} placeholder={t('versions.restorePlaceholder', { version })} data-testid="restore-message" />
            </label>
          </div>
        ),
        confirmLabel: t('versions.restoreVersion', { version }),
        danger: registered,
      });
      if (!ok) return;
      const message = messageRef.current?.value ?? '';
      setRestoring(version);
      try {
        const restored = await gate('restore', (force) => versionsApi.rollback(script.id, version, { message, force }));
        if (!restored) return;
        onRestored(restored);
        setPicked([]);
        notify('success', t('versions.restored', { version, next: restored.version }));
      } catch (caught) {
        notify('error', `${t('versions.restoreFailed', { version })} ${errorMessage(caught, t)}`);
      } finally {
        setRestoring(null);
      }
    },
    [versions, script, dirty, confirm, gate, onRestored, notify, t],
  );

  return (
    <details className="panel script-versions" data-testid="script-versions" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary className="panel-title">{t('versions.title')}</summary>
      {error !== null && <ErrorBanner error={error} />}
      {open && versions === null && error === null && <Loading />}
      {versions !== null && (
        <>
          <div className="versions-actions">
            <button type="button" className="button small" onClick={compare} disabled={versions.length < 2 && picked.length < 2} data-testid="versions-compare">
              {picked.length === 2 ? t('versions.compareTwo', { a: Math.min(...picked), b: Math.max(...picked) }) : t('versions.compareLatest')}
            </button>
            <span className="muted small">{t('versions.pickHint')}</span>
          </div>
          <ol className="version-list">
            {versions.map((entry) => (
              <li key={entry.version} data-testid="version-row" data-version={entry.version} className={entry.version === running ? 'running' : undefined}>
                <label className="version-pick">
                  <input type="checkbox" checked={picked.includes(entry.version)} onChange={() => togglePick(entry.version)} aria-label={t('versions.pick', { version: entry.version })} />
                  <strong>{t('versions.label', { version: entry.version })}</strong>
                </label>
                {entry.version === running && (
                  <span className="badge state-registered" data-testid="version-running" title={t('versions.runningHint')}>
                    {t('versions.running')}
                  </span>
                )}
                {entry.version === script.version && entry.version !== running && <span className="badge">{t('versions.latest')}</span>}
                <span className="muted small version-who">
                  {entry.savedBy?.name ?? t('history.unknown')} · {formatDateTime(locale, entry.savedAt)}
                </span>
                {entry.message && <span className="version-message">{entry.message}</span>}
                {entry.version !== script.version && (
                  <RoleLock needs="editor">
                    {(locked) => (
                      <button type="button" className="link-button small" onClick={() => void restore(entry.version)} disabled={locked || restoring !== null} data-testid="version-restore">
                        {restoring === entry.version ? t('versions.restoring') : t('versions.restore')}
                      </button>
                    )}
                  </RoleLock>
                )}
              </li>
            ))}
          </ol>
        </>
      )}
      {comparing && versions && (
        <VersionCompare
          scriptId={script.id}
          versions={versions}
          initial={comparing}
          latest={script.version}
          onClose={() => setComparing(null)}
          onRestore={can('editor') ? (version) => void restore(version) : undefined}
        />
      )}
    </details>
  );
}
