'use client';

import { useMemo, useState } from 'react';
import type { Diagnostic, Script, ScriptDraft } from '@/lib/ui/api-types';
import { formatDateTime, formatInteger, formatMeasure, formatNumber, formatRelative } from '@/lib/ui/format';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { draftFingerprint } from '@/lib/ui/script-form';
import { shadowApi, type ShadowJson } from '@/lib/ui/shadow-api';
import { differingPercent, draftRelation, rememberShadowDraft, shadowCandidate, shadowProblem, type DraftRelation } from '@/lib/ui/shadow-view';
import { RoleLock } from '../auth/role-lock';
import { ProblemsList } from '../editor/problems-list';
import { useNow } from '../hooks/use-live-tags';
import { useI18n } from '../i18n/locale-provider';
import { useFeedback } from '../ui/feedback-provider';
import { errorMessage } from '../ui/states';
import { TagValueText } from '../ui/tag-value-text';
import { ShadowDiffPlot } from './shadow-diff-plot';
import { useShadow } from './use-shadow';

interface ShadowPanelProps {
  /** The saved script (its running version is what the shadow is compared with). */
  script: Script;
  /** The editor's form as it is now, saved or not: what "Try on live data" starts. */
  draft: ScriptDraft;
  /** Problems the form itself shows (empty name, missing alias…): the draft is not sent while there are any. */
  formProblemCount: number;
  /** The editor has changes not saved: promoting replaces them with the promoted draft. */
  dirty: boolean;
  onReveal: (diagnostic: Diagnostic) => void;
  /** The candidate was promoted: the editor loads the script as it is now. */
  onPromoted: (script: Script) => void;
}

type Busy = 'start' | 'promote' | 'stop' | null;
type Problem = { kind: 'text'; text: string } | { kind: 'invalid'; diagnostics: Diagnostic[] } | { kind: 'testsFailed'; tests: string };

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/**
 * Shadow runs in the editor of a registered script (changes.md "Shadow runs"): "Try on live data"
 * starts the editor's draft beside the running version; while it runs, its state, activity and the
 * comparison of each output refresh every 2 s with a diff plot, and the manager promotes or stops it.
 */
export function ShadowPanel({ script, draft, formProblemCount, dirty, onReveal, onPromoted }: ShadowPanelProps) {
  const { t, locale } = useI18n();
  const { confirm, notify } = useFeedback();
  const now = useNow(2000);
  const { shadow, series, error, refresh } = useShadow(script.id);
  const [busy, setBusy] = useState<Busy>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const fingerprint = useMemo(() => draftFingerprint(draft), [draft]);
  // Which draft the shadow runs: known for the shadows this browser started.
  const shadowId = shadow?.id ?? null;
  const relation: DraftRelation = useMemo(() => {
    const store = storage();
    return shadowId && store ? draftRelation(store, shadowId, fingerprint) : 'unknown';
  }, [shadowId, fingerprint]);

  const registered = script.status.state !== 'unregistered';

  const start = async () => {
    if (busy) return;
    setProblem(null);
    if (formProblemCount > 0) {
      setProblem({ kind: 'text', text: t('shadow.fixFirst', { count: formProblemCount }) });
      return;
    }
    setBusy('start');
    try {
      const started = await shadowApi.start(script.id, shadowCandidate(draft, script));
      const store = storage();
      if (store) rememberShadowDraft(store, started.id, fingerprint);
      notify('info', t('shadow.started', { name: script.name }));
      refresh();
    } catch (failure) {
      const what = shadowProblem(failure);
      if (what.kind === 'notRegistered') setProblem({ kind: 'text', text: t('shadow.notRegistered', { name: script.name }) });
      else if (what.kind === 'invalid') setProblem({ kind: 'invalid', diagnostics: what.diagnostics });
      else setProblem({ kind: 'text', text: `${t('shadow.startFailed')} ${errorMessage(failure, t)}` });
    } finally {
      setBusy(null);
    }
  };

  const promote = async (force: boolean) => {
    if (busy) return;
    setProblem(null);
    setBusy('promote');
    try {
      const promoted = await shadowApi.promote(script.id, force);
      notify('success', t('shadow.promoted', { name: promoted.name, version: promoted.version }));
      onPromoted(promoted);
      refresh();
    } catch (failure) {
      const what = shadowProblem(failure);
      if (what.kind === 'testsFailed') setProblem({ kind: 'testsFailed', tests: what.failing.join(', ') });
      else if (what.kind === 'gone') {
        setProblem({ kind: 'text', text: t('shadow.gone') });
        refresh();
      } else setProblem({ kind: 'text', text: `${t('shadow.promoteFailed')} ${errorMessage(failure, t)}` });
    } finally {
      setBusy(null);
    }
  };

  const askPromote = async (current: ShadowJson) => {
    const ok = await confirm({
      title: t('shadow.promoteTitle', { name: script.name }),
      body: (
        <>
          <p>{t('shadow.promoteBody', { version: current.version, name: script.name, current: script.version })}</p>
          {relation !== 'same' && <p className="warning-box">{t(relation === 'changed' ? 'shadow.changedDraft' : 'shadow.unknownDraft')}</p>}
          {dirty && <p className="muted small">{t('shadow.replacesUnsaved')}</p>}
        </>
      ),
      confirmLabel: t('shadow.promoteConfirm', { version: current.version }),
    });
    if (ok) await promote(false);
  };

  const askForce = async (current: ShadowJson, tests: string) => {
    const ok = await confirm({
      title: t('shadow.forceTitle'),
      body: <p>{t('shadow.forceBody', { version: current.version, tests })}</p>,
      confirmLabel: t('shadow.forceConfirm'),
      danger: true,
    });
    if (ok) await promote(true);
  };

  const stop = async () => {
    if (busy) return;
    setProblem(null);
    setBusy('stop');
    try {
      await shadowApi.stop(script.id);
      notify('info', t('shadow.stopped', { name: script.name }));
    } catch (failure) {
      if (shadowProblem(failure).kind !== 'gone') setProblem({ kind: 'text', text: `${t('shadow.stopFailed')} ${errorMessage(failure, t)}` });
    } finally {
      setBusy(null);
      refresh();
    }
  };

  const startButton = (label: string, primary: boolean) => (
    <RoleLock needs="editor">
      {(locked) => (
        <button
          type="button"
          className={`button${primary ? ' primary' : ''}`}
          onClick={() => void start()}
          disabled={locked || busy !== null || !registered}
          title={!registered ? t('shadow.needsRegistered') : undefined}
          data-testid="shadow-start"
        >
          {busy === 'start' ? t('shadow.starting') : label}
        </button>
      )}
    </RoleLock>
  );

  const outputs = shadow ? Object.keys(shadow.outputs) : [];

  return (
    <section className={`shadow-panel${shadow ? ` shadow-${shadow.state}` : ''}`} aria-labelledby="shadow-title" data-testid="shadow-panel" data-state={shadow?.state ?? 'none'}>
      <div className="shadow-head">
        <h2 id="shadow-title" className="panel-title">
          {t('shadow.title')}
        </h2>
        {shadow && (
          <span className={`badge shadow-state-${shadow.state}`} data-testid="shadow-state">
            {t(`shadow.state.${shadow.state}`)}
          </span>
        )}
        <div className="shadow-actions">
          {shadow ? (
            <>
              {relation !== 'same' && startButton(t(relation === 'changed' ? 'shadow.tryAgain' : 'shadow.tryEditorDraft'), false)}
              <RoleLock needs="editor">
                {(locked) => (
                  <button type="button" className="button primary" onClick={() => void askPromote(shadow)} disabled={locked || busy !== null} data-testid="shadow-promote">
                    {busy === 'promote' ? t('shadow.promoting') : t('shadow.promote')}
                  </button>
                )}
              </RoleLock>
              <RoleLock needs="editor">
                {(locked) => (
                  <button type="button" className="button danger-outline" onClick={() => void stop()} disabled={locked || busy !== null} data-testid="shadow-stop">
                    {busy === 'stop' ? t('shadow.stopping') : t('shadow.stop')}
                  </button>
                )}
              </RoleLock>
            </>
          ) : (
            startButton(t('shadow.start'), false)
          )}
        </div>
      </div>

      {!shadow && <p className="muted small">{registered ? t('shadow.intro') : t('shadow.needsRegistered')}</p>}

      {problem?.kind === 'text' && (
        <p className="shadow-problem" role="alert" data-testid="shadow-problem">
          {problem.text}
        </p>
      )}
      {problem?.kind === 'invalid' && (
        <div className="shadow-problem" role="alert" data-testid="shadow-problem">
          <p>{t('shadow.invalid')}</p>
          <ProblemsList formProblems={[]} diagnostics={problem.diagnostics} requestError={null} checking={false} checked preview={null} onReveal={onReveal} />
        </div>
      )}
      {problem?.kind === 'testsFailed' && shadow && (
        <div className="shadow-problem" role="alert" data-testid="shadow-problem">
          <p>{t('shadow.testsFailed', { tests: problem.tests })}</p>
          <RoleLock needs="editor">
            {(locked) => (
              <button type="button" className="button danger-outline small" onClick={() => void askForce(shadow, problem.tests)} disabled={locked || busy !== null} data-testid="shadow-force">
                {t('shadow.forceConfirm')}
              </button>
            )}
          </RoleLock>
        </div>
      )}
      {error !== null && (
        <p className="shadow-problem" role="alert">
          {t('shadow.readFailed')} {errorMessage(error, t)}
        </p>
      )}

      {shadow && (
        <>
          <p className="shadow-meta small">
            <span>{t('shadow.since', { time: formatDateTime(locale, shadow.startedAt), version: shadow.version })}</span>
            <span>
              {t('shadow.evaluations')}: <strong data-testid="shadow-evaluations">{formatInteger(locale, shadow.evaluations)}</strong>
            </span>
            <span className={shadow.errors > 0 ? 'shadow-errors' : undefined}>
              {t('shadow.errors')}: <strong data-testid="shadow-errors">{formatInteger(locale, shadow.errors)}</strong>
            </span>
            <span className="muted">
              {t('shadow.reported')}: {shadow.reportedAt ? formatRelative(locale, shadow.reportedAt, now) : t('shadow.never')}
            </span>
          </p>
          {(shadow.state === 'starting' || shadow.state === 'waiting') && <p className="muted small">{t(`shadow.stateHelp.${shadow.state}`)}</p>}
          {relation !== 'same' && (
            <p className="warning-box small" data-testid="shadow-draft-note" data-relation={relation}>
              {t(relation === 'changed' ? 'shadow.changedDraft' : 'shadow.unknownDraft')}
            </p>
          )}
          {shadow.state === 'quarantined' && (
            <p className="runtime-error" role="alert" data-testid="shadow-error">
              <strong>{t('shadow.quarantined')} </strong>
              {shadow.lastError && <span>{diagnosticText(locale, shadow.lastError)}</span>}
              {shadow.lastError && relation === 'same' && shadow.lastError.source !== 'definition' && shadow.lastError.line !== undefined && (
                <>
                  {' '}
                  <button type="button" className="link-button" onClick={() => shadow.lastError && onReveal(shadow.lastError)}>
                    {t('shadow.showLine', { line: shadow.lastError.line })}
                  </button>
                </>
              )}
            </p>
          )}
          {shadow.state !== 'quarantined' && shadow.lastError && (
            <p className="runtime-note small">
              <span className="muted">{t('runtime.lastError')}: </span>
              {diagnosticText(locale, shadow.lastError)}
            </p>
          )}
          <table className="shadow-table" data-testid="shadow-comparison">
            <caption className="muted small">{t('shadow.comparisonCaption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('shadow.output')}</th>
                <th scope="col">{t('shadow.live')}</th>
                <th scope="col">{t('shadow.shadow')}</th>
                <th scope="col" className="num">
                  {t('shadow.compared')}
                </th>
                <th scope="col" className="num">
                  {t('shadow.differing')}
                </th>
                <th scope="col" className="num">
                  {t('shadow.maxAbsDiff')}
                </th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(shadow.outputs).map(([tag, output]) => {
                const percent = differingPercent(output);
                return (
                  <tr key={tag} data-testid="shadow-output" data-tag={tag} data-compared={output.compared} data-differing={output.differing}>
                    <th scope="row">{tag}</th>
                    <td data-testid="shadow-live">
                      {output.live ? <TagValueText value={output.live.value} quality={output.live.quality} ts={output.live.ts} /> : <span className="muted">{t('shadow.noValue')}</span>}
                    </td>
                    <td data-testid="shadow-value">
                      {output.shadow ? <TagValueText value={output.shadow.value} quality={output.shadow.quality} ts={output.shadow.ts} /> : <span className="muted">{t('shadow.noValue')}</span>}
                    </td>
                    <td className="num">{formatInteger(locale, output.compared)}</td>
                    <td className={`num${output.differing > 0 ? ' shadow-differs' : ''}`}>
                      {formatInteger(locale, output.differing)}
                      {percent !== null && <span className="muted"> ({formatNumber(locale, percent, 1)} %)</span>}
                    </td>
                    <td className="num" data-testid="shadow-max-diff">
                      {output.maxAbsDiff === null ? <span className="muted">{t('shadow.noValue')}</span> : formatMeasure(locale, output.maxAbsDiff)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <ShadowDiffPlot series={series} outputs={outputs} />
        </>
      )}
    </section>
  );
}
