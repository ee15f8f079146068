'use client';

import dynamic from 'next/dynamic';
import { useEffect, useRef, useState } from 'react';
import { formatDateTime } from '@/lib/ui/format';
import { definitionChanges } from '@/lib/ui/version-diff';
import { versionsApi, type ScriptVersion, type VersionSummary } from '@/lib/ui/versions-api';
import { useI18n } from '../i18n/locale-provider';
import { ErrorBanner, Loading } from '../ui/states';
import { DefinitionChanges } from './definition-changes';

const CodeDiff = dynamic(() => import('./code-diff'), {
  ssr: false,
  loading: () => <div className="code-placeholder" aria-hidden="true" />,
});

interface VersionCompareProps {
  scriptId: string;
  versions: readonly VersionSummary[];
  initial: { from: number; to: number };
  latest: number;
  onClose: () => void;
  /** "Restore this version" for the older side; absent when the user may not change the script. */
  onRestore?: (version: number) => void;
}

/**
 * Two versions of a script side by side (changes.md): the initialisation and the calculation in
 * Monaco's diff editor, and what else changed (inputs, outputs, trigger, tests) as readable lines.
 * Either side can be switched to any other version.
 */
export function VersionCompare({ scriptId, versions, initial, latest, onClose, onRestore }: VersionCompareProps) {
  const { t, locale } = useI18n();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const cache = useRef(new Map<number, Promise<ScriptVersion>>());
  const [pair, setPair] = useState(initial);
  const [loaded, setLoaded] = useState<{ from: ScriptVersion; to: ScriptVersion } | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    const read = (version: number) => {
      let found = cache.current.get(version);
      if (!found) {
        found = versionsApi.getVersion(scriptId, version);
        cache.current.set(version, found);
        found.catch(() => cache.current.delete(version));
      }
      return found;
    };
    Promise.all([read(pair.from), read(pair.to)])
      .then(([from, to]) => {
        if (!live) return;
        setError(null);
        setLoaded({ from, to });
      })
      .catch((caught: unknown) => live && setError(caught));
    return () => {
      live = false;
    };
  }, [scriptId, pair.from, pair.to]);

  const current = loaded && loaded.from.version === pair.from && loaded.to.version === pair.to ? loaded : null;
  const side = (which: 'from' | 'to') => {
    const entry = versions.find((v) => v.version === pair[which]);
    return (
      <div className="compare-side">
        <label className="inline-field">
          {which === 'from' ? t('versions.compareFrom') : t('versions.compareTo')}
          <select value={pair[which]} onChange={(event) => setPair((p) => ({ ...p, [which]: Number(event.target.value) }))} data-testid={`compare-${which}`}>
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                {t('versions.label', { version: v.version })}
                {v.message ? ` — ${v.message}` : ''}
              </option>
            ))}
          </select>
        </label>
        {entry && (
          <span className="muted small">
            {entry.savedBy?.name ?? t('history.unknown')} · {formatDateTime(locale, entry.savedAt)}
          </span>
        )}
      </div>
    );
  };

  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog compare-dialog"
      aria-labelledby="compare-title"
      data-testid="version-compare"
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="compare-head">
        <h2 id="compare-title">{t('versions.compareTitle', { from: pair.from, to: pair.to })}</h2>
        <button type="button" className="icon-button" aria-label={t('versions.close')} onClick={onClose}>
          ×
        </button>
      </div>
      <div className="compare-sides">
        {side('from')}
        <span aria-hidden="true">→</span>
        {side('to')}
      </div>
      {error !== null && <ErrorBanner error={error} />}
      {!current && error === null && <Loading />}
      {current && (
        <>
          <h3>{t('versions.definition')}</h3>
          <DefinitionChanges changes={definitionChanges(current.from.script, current.to.script)} />
          <h3>{t('editor.initCode')}</h3>
          {(current.from.script.initCode ?? '') === (current.to.script.initCode ?? '') ? (
            <p className="muted small" data-testid="diff-init-same">
              {t('versions.codeSame')}
            </p>
          ) : (
            <CodeDiff
              original={current.from.script.initCode ?? ''}
              modified={current.to.script.initCode ?? ''}
              height={160}
              label={t('editor.initCode')}
              loadingText={t('editor.loadingEditor')}
              locale={locale}
              testId="diff-init"
            />
          )}
          <h3>{t('editor.calcCode')}</h3>
          {current.from.script.calcCode === current.to.script.calcCode ? (
            <p className="muted small" data-testid="diff-calc-same">
              {t('versions.codeSame')}
            </p>
          ) : (
            <CodeDiff
              original={current.from.script.calcCode}
              modified={current.to.script.calcCode}
              height={300}
              label={t('editor.calcCode')}
              loadingText={t('editor.loadingEditor')}
              locale={locale}
              testId="diff-calc"
            />
          )}
        </>
      )}
      <div className="dialog-actions">
        {onRestore && pair.from !== latest && (
          <button type="button" className="button" onClick={() => onRestore(pair.from)} data-testid="compare-restore">
            {t('versions.restoreVersion', { version: pair.from })}
          </button>
        )}
        <button type="button" className="button primary" onClick={onClose}>
          {t('versions.close')}
        </button>
      </div>
    </dialog>
  );
}
