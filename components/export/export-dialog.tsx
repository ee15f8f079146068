'use client';

import { useEffect, useRef, useState } from 'react';
import { readError } from '@/lib/ui/api-client';
import { EXPORT_STEPS, exportProblem, exportRows, exportUrl, toggleTag, type ExportForm } from '@/lib/ui/export-form';
import { formatInteger } from '@/lib/ui/format';
import type { MessageKey } from '@/lib/ui/i18n/translate';
import { useI18n } from '../i18n/locale-provider';
import { errorMessage } from '../ui/states';

/**
 * Export for training (history-ml.md): tags picked, period, step, format, fill and quality; Download
 * asks the server first (so a refusal — too many rows, an unknown tag — is shown here, in words),
 * then lets the browser download the file itself, streamed to disk.
 */
export function ExportDialog({ candidates, initial, onClose }: { candidates: readonly string[]; initial: ExportForm; onClose: () => void }) {
  const { t, locale } = useI18n();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const [form, setForm] = useState<ExportForm>(initial);
  const [state, setState] = useState<{ phase: 'idle' | 'checking' | 'started' } | { phase: 'failed'; message: string }>({ phase: 'idle' });

  useEffect(() => {
    const dialog = dialogRef.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);

  const close = () => {
    dialogRef.current?.close();
    onClose();
  };
  const set = <K extends keyof ExportForm>(key: K, value: ExportForm[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setState({ phase: 'idle' });
  };
  const [now] = useState(() => Date.now());
  const problem = exportProblem(form, now);
  const rows = exportRows(form, now);
  const listed = [...candidates, ...form.tags.filter((tag) => !candidates.includes(tag))];

  const download = async () => {
    if (problem) return;
    const url = exportUrl(form, Date.now());
    setState({ phase: 'checking' });
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (!response.ok) throw await readError(response);
      // Only the answer's start was read: the browser downloads the file itself (to disk, not memory).
      await response.body?.cancel();
      const link = document.createElement('a');
      link.href = url;
      link.download = '';
      document.body.appendChild(link);
      link.click();
      link.remove();
      setState({ phase: 'started' });
    } catch (error) {
      setState({ phase: 'failed', message: errorMessage(error, t) });
    }
  };

  /** One of the form's choices: a labelled select whose options are [value, label] pairs. */
  const choice = <K extends 'step' | 'format' | 'fill' | 'quality'>(key: K, label: string, options: Array<[ExportForm[K], string]>) => (
    <label className="inline-field">
      {label}
      <select value={form[key]} onChange={(event) => set(key, event.target.value as ExportForm[K])} data-testid={`export-${key}`}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <dialog
      ref={dialogRef}
      className="confirm-dialog export-dialog"
      aria-labelledby="export-title"
      data-testid="export-dialog"
      onCancel={(event) => {
        event.preventDefault();
        close();
      }}
    >
      <h2 id="export-title">{t('export.title')}</h2>
      <div className="confirm-body">
        <p className="muted small">{t('export.lead')}</p>
        <fieldset className="export-tags">
          <legend>{t('export.tags', { count: formatInteger(locale, form.tags.length) })}</legend>
          {listed.length === 0 && <p className="muted small">{t('export.noCandidates')}</p>}
          <div className="export-tag-list">
            {listed.map((tag) => (
              <label key={tag} className="checkbox-field">
                <input type="checkbox" checked={form.tags.includes(tag)} onChange={() => set('tags', toggleTag(form.tags, tag))} data-testid="export-tag" data-tag={tag} />
                {tag}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="export-fields">
          <label className="inline-field">
            {t('export.from')}
            <input type="datetime-local" value={form.from} onChange={(event) => set('from', event.target.value)} data-testid="export-from" />
          </label>
          <label className="inline-field">
            {t('export.to')}
            <input type="datetime-local" value={form.to} onChange={(event) => set('to', event.target.value)} data-testid="export-to" />
          </label>
          {choice('step', t('export.step'), EXPORT_STEPS.map((step) => [step, step]))}
          {choice('format', t('export.format'), [
            ['csv', 'CSV'],
            ['parquet', 'Parquet'],
          ])}
          {choice('fill', t('export.fill'), [
            ['previous', t('export.fill.previous')],
            ['none', t('export.fill.none')],
          ])}
          {choice('quality', t('export.quality'), [
            ['column', t('export.quality.column')],
            ['mask', t('export.quality.mask')],
          ])}
        </div>
        {rows !== null && (
          <p className="muted small" data-testid="export-rows">
            {t('export.rows', { rows: formatInteger(locale, rows) })}
          </p>
        )}
        {problem && (
          <p className="field-error" role="alert" data-testid="export-problem">
            {problem.key === 'tooManyTags' ? t('export.problem.tooManyTags', { max: problem.max }) : problem.key === 'noTags' ? t('export.problem.noTags') : t(problem.key as MessageKey)}
          </p>
        )}
        {state.phase === 'failed' && (
          <div className="error-banner" role="alert" data-testid="export-error">
            {t('export.failed', { message: state.message })}
          </div>
        )}
        {state.phase === 'started' && (
          <p className="muted small" role="status" data-testid="export-started">
            {t('export.started')}
          </p>
        )}
      </div>
      <div className="dialog-actions">
        <button type="button" className="button" onClick={close}>
          {t('common.cancel')}
        </button>
        <button type="button" className="button primary" onClick={() => void download()} disabled={problem !== null || state.phase === 'checking'} data-testid="export-download">
          {state.phase === 'checking' ? t('export.checking') : t('export.download')}
        </button>
      </div>
    </dialog>
  );
}
