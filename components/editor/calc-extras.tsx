'use client';

import type { CalcResult } from '@/lib/ui/api-types';
import { classifyPreview } from '@/lib/ui/register-preview';
import { useI18n } from '../i18n/locale-provider';

/** Calculate's "keep state" toggle and "reset state" action (a debug session underneath, as Debug's). */
export function CalcStateControls(props: { keep: boolean; note: string | null; disabled: boolean; onKeep: (keep: boolean) => void; onReset: () => void }) {
  const { t } = useI18n();
  return (
    <>
      <label className="checkbox small" title={t('run.keepStateHint')}>
        <input type="checkbox" checked={props.keep} onChange={(event) => props.onKeep(event.target.checked)} data-testid="calc-keep-state" />
        {t('run.keepStateCalc')}
      </label>
      {props.keep && (
        <button type="button" className="button small ghost" onClick={props.onReset} disabled={props.disabled} data-testid="calc-reset-state">
          {t('run.resetState')}
        </button>
      )}
      {props.note && (
        <span className="muted small" role="status" data-testid="calc-state-note">
          {props.note}
        </span>
      )}
    </>
  );
}

/** What the engine would do differently from this run: inputs it would wait for, nulls in and out. */
export function RunWarnings({ result }: { result: CalcResult }) {
  const { t } = useI18n();
  const preview = classifyPreview({ ok: result.error === null, diagnostics: [], result });
  const waiting = preview.waitingFor.map((input) => input.tag);
  if (waiting.length + preview.nullInputs.length + preview.nullOutputs.length === 0) return null;
  return (
    <div className="warning-box" data-testid="calc-warnings">
      <strong className="warning-text">{t('run.warnings')}</strong>
      <ul>
        {result.engineWouldRun === false && (
          <li className="warning-text" data-testid="engine-would-wait">
            {t('run.engineWouldWait', { tags: waiting.join(', ') })}
          </li>
        )}
        {preview.nullInputs.map((input) => (
          <li key={`n-${input.tag}`} className="warning-text">
            {t('preview.nullInput', { tag: input.tag, alias: input.alias })}
          </li>
        ))}
        {preview.nullOutputs.map((tag) => (
          <li key={`o-${tag}`} className="warning-text">
            {t('preview.nullOutput', { tag })}
          </li>
        ))}
      </ul>
    </div>
  );
}
