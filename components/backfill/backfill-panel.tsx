'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { Script } from '@/lib/ui/api-types';
import { backfillApi, backfillPace, backfillRequest, formatSpan, isActive, type BackfillForm, type JobJson, type ProgressSample } from '@/lib/ui/backfill-view';
import { formatDateTime, formatInteger } from '@/lib/ui/format';
import { toDateTimeLocal } from '@/lib/ui/time-range';
import { RoleLock } from '../auth/role-lock';
import { useNow } from '../hooks/use-live-tags';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { errorMessage } from '../ui/states';

const POLL_MS = 1500;
const DAY_MS = 86_400_000;

/**
 * Backfill on a saved script (history-ml.md "Backfill"): the period, version and mode; the running
 * job's progress bar with its rate and time left, and Cancel; the script's jobs with their state.
 */
export function BackfillPanel({ script }: { script: Script }) {
  const { t, locale } = useI18n();
  const { notify } = useFeedback();
  const now = useNow(15_000);
  const [form, setForm] = useState<BackfillForm>(() => {
    const now = Date.now();
    return { from: toDateTimeLocal(now - 7 * DAY_MS), to: toDateTimeLocal(now), version: '', mode: 'replace' };
  });
  const [jobs, setJobs] = useState<JobJson[]>([]);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [warnings, setWarnings] = useState<string[]>([]);
  /** First and last observation of each running job's progress: the rate and the time left. */
  const samples = useRef(new Map<string, { first: ProgressSample; last: ProgressSample }>());
  const announced = useRef(new Set<string>());
  const [pace, setPace] = useState<{ speed: number; leftMs: number } | null>(null);

  const refresh = useCallback(async () => {
    try {
      const answer = await backfillApi.list(script.id);
      const at = Date.now();
      for (const job of answer.jobs) {
        if (job.state !== 'running' || !job.progress.processedUntil) continue;
        const sample = { at, processed: Date.parse(job.progress.processedUntil) };
        const known = samples.current.get(job.id);
        if (!known) samples.current.set(job.id, { first: sample, last: sample });
        else if (sample.processed !== known.last.processed) known.last = sample;
      }
      for (const job of answer.jobs) {
        if (job.state === 'done' && announced.current.has(job.id)) {
          announced.current.delete(job.id);
          notify('success', t('backfill.done', { written: formatInteger(locale, job.progress.written) }));
        }
      }
      const running = answer.jobs.find(isActive);
      const seen = running ? samples.current.get(running.id) : undefined;
      setPace(running && seen ? backfillPace(running, seen.first, seen.last) : null);
      setJobs(answer.jobs);
    } catch {
      // The next poll tries again; the list keeps what it showed.
    }
  }, [script.id, notify, t, locale]);

  const anyActive = jobs.some(isActive);
  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), anyActive ? POLL_MS : POLL_MS * 4);
    return () => window.clearInterval(timer);
  }, [refresh, anyActive]);

  // The picker has whole minutes: an end in the current minute is "now".
  const request = backfillRequest(form, now + 60_000);
  const problem = 'problem' in request ? request.problem : null;
  const set = <K extends keyof BackfillForm>(key: K, value: BackfillForm[K]) => {
    setForm((current) => ({ ...current, [key]: value }));
    setFailure(null);
  };

  const start = async () => {
    const at = Date.now();
    const checked = backfillRequest(form, at + 60_000);
    if ('problem' in checked) return;
    setBusy(true);
    setFailure(null);
    try {
      // A period ending "now" in the picker (whole minutes) is sent as up to this instant.
      const body = { ...checked, to: Date.parse(checked.to) > at ? new Date(at).toISOString() : checked.to };
      const job = await backfillApi.start(script.id, body);
      announced.current.add(job.id);
      setWarnings(job.warnings ?? []);
      await refresh();
    } catch (error) {
      setFailure(errorMessage(error, t));
    } finally {
      setBusy(false);
    }
  };

  const cancel = async (job: JobJson) => {
    try {
      await backfillApi.cancel(job.id);
      announced.current.delete(job.id);
      await refresh();
    } catch (error) {
      setFailure(`${t('backfill.cancelFailed')} ${errorMessage(error, t)}`);
    }
  };

  const active = jobs.find(isActive) ?? null;

  return (
    <details className="panel backfill-panel" data-testid="backfill-panel">
      <summary className="panel-title">{t('backfill.title')}</summary>
      <p className="hint">{t('backfill.intro')}</p>
      <div className="backfill-form">
        <label>
          {t('backfill.from')}
          <input type="datetime-local" value={form.from} onChange={(event) => set('from', event.target.value)} data-testid="backfill-from" />
        </label>
        <label>
          {t('backfill.to')}
          <input type="datetime-local" value={form.to} onChange={(event) => set('to', event.target.value)} data-testid="backfill-to" />
        </label>
        <label>
          {t('backfill.version')}
          <input
            type="number"
            min={1}
            max={script.version}
            value={form.version}
            placeholder={t('backfill.versionDefault', { version: script.version })}
            onChange={(event) => set('version', event.target.value)}
            data-testid="backfill-version"
          />
        </label>
        <fieldset>
          <legend>{t('backfill.mode')}</legend>
          {(['replace', 'fill'] as const).map((mode) => (
            <label key={mode}>
              <input type="radio" name="backfill-mode" value={mode} checked={form.mode === mode} onChange={() => set('mode', mode)} data-testid={`backfill-mode-${mode}`} />
              {t(`backfill.mode.${mode}`)}
            </label>
          ))}
        </fieldset>
        <RoleLock needs="editor">
          {(locked) => (
            <button type="button" className="button primary" onClick={() => void start()} disabled={locked || busy || problem !== null} data-testid="backfill-start">
              {busy ? t('backfill.starting') : t('backfill.start')}
            </button>
          )}
        </RoleLock>
      </div>
      {problem && <p className="field-error">{t(`backfill.problem.${problem}`)}</p>}
      {failure && (
        <p className="error-banner" role="alert" data-testid="backfill-error">
          {t('backfill.startFailed')} {failure}
        </p>
      )}
      {warnings.map((warning) => (
        <p key={warning} className="info-banner" data-testid="backfill-warning">
          {t('backfill.warning')} {warning}
        </p>
      ))}

      {active && (
        <div className="backfill-progress" data-testid="backfill-progress" data-state={active.state}>
          <progress max={1} value={active.progress.fraction} aria-label={t('backfill.title')} />
          <span>
            {t('backfill.progress', {
              percent: Math.floor(active.progress.fraction * 100),
              until: formatDateTime(locale, active.progress.processedUntil ?? active.from),
            })}
          </span>
          {pace && (
            <span className="hint">
              {t('backfill.rate', { span: formatSpan(pace.speed * 1000) })} · {t('backfill.left', { span: formatSpan(pace.leftMs) })}
            </span>
          )}
          <RoleLock needs="editor">
            {(locked) => (
              <button type="button" className="button" onClick={() => void cancel(active)} disabled={locked} data-testid="backfill-cancel">
                {t('backfill.cancel')}
              </button>
            )}
          </RoleLock>
        </div>
      )}

      <h3>{t('backfill.jobs')}</h3>
      {jobs.length === 0 ? (
        <p className="hint">{t('backfill.noJobs')}</p>
      ) : (
        <table className="table" data-testid="backfill-jobs">
          <thead>
            <tr>
              <th>{t('backfill.col.period')}</th>
              <th>{t('backfill.col.version')}</th>
              <th>{t('backfill.col.mode')}</th>
              <th>{t('backfill.col.state')}</th>
              <th>{t('backfill.col.written')}</th>
              <th>{t('backfill.col.errors')}</th>
              <th>{t('backfill.col.by')}</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-testid="backfill-job" data-state={job.state}>
                <td>
                  {formatDateTime(locale, job.from)} – {formatDateTime(locale, job.to)}
                </td>
                <td>v{job.version}</td>
                <td>{t(`backfill.modeShort.${job.mode}`)}</td>
                <td title={job.error ?? undefined}>
                  {t(`backfill.state.${job.state}`)}
                  {job.state === 'running' && ` ${Math.floor(job.progress.fraction * 100)}%`}
                  {job.error && <span className="field-error"> {job.error}</span>}
                </td>
                <td>{formatInteger(locale, job.progress.written)}</td>
                <td>{formatInteger(locale, job.progress.errors)}</td>
                <td>{job.createdBy?.name ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}
