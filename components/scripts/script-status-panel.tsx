'use client';

import type { Diagnostic, Script } from '@/lib/ui/api-types';
import { formatTime, formatValue } from '@/lib/ui/format';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { runtimeView, valueTone, waitParts } from '@/lib/ui/script-runtime';
import { useLiveTags, useNow } from '../hooks/use-live-tags';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge, StateBadge } from '../ui/badges';

/**
 * The runtime state of a saved script on its page: registered or quarantined, the last error and
 * its line (a button shows it in the editor), the next automatic retry, and the current value of
 * each output, red when bad and amber when uncertain, with the reason as text (scripts.md).
 */
export function ScriptStatusPanel({ script, onReveal }: { script: Script; onReveal: (diagnostic: Diagnostic) => void }) {
  const { t, locale } = useI18n();
  const now = useNow(1000);
  const outputs = useLiveTags(script.outputs.map((output) => output.tag));
  const view = runtimeView(script.status, now);
  if (view.state === 'unregistered' && Object.values(outputs).every((value) => !value)) return null;

  const wait = (seconds: number) => {
    const { hours, minutes, seconds: s } = waitParts(seconds);
    if (hours > 0) return t('runtime.wait.hm', { h: hours, m: minutes });
    if (minutes > 0) return t('runtime.wait.ms', { m: minutes, s });
    return t('runtime.wait.s', { s });
  };

  return (
    <section className={`runtime-panel runtime-${view.state}`} aria-label={t('runtime.title')} data-testid="script-status-panel" data-state={view.state}>
      <div className="runtime-head">
        <strong>{t('runtime.title')}</strong>
        <StateBadge state={view.state} testId="runtime-state-badge" />
      </div>
      {view.error && (
        <p className={view.state === 'quarantined' ? 'runtime-error' : 'runtime-note'} data-testid="runtime-error" role={view.state === 'quarantined' ? 'alert' : undefined}>
          {view.state === 'quarantined' ? <strong>{t('editor.quarantined')} </strong> : <span className="muted small">{t('runtime.lastError')}: </span>}
          <span>{script.status.lastError ? diagnosticText(locale, script.status.lastError) : view.error.message}</span>
          {view.error.line !== null && view.error.source !== 'definition' && (
            <>
              {' '}
              <button
                type="button"
                className="link-button"
                data-testid="runtime-error-line"
                onClick={() => script.status.lastError && onReveal(script.status.lastError)}
              >
                {t('runtime.showLine', { line: view.error.line })}
              </button>
            </>
          )}
        </p>
      )}
      {view.retry === 'off' && <p className="runtime-note" data-testid="runtime-retry">{t('runtime.retryOff')}</p>}
      {view.retry !== null && view.retry !== 'off' && (
        <p className="runtime-note" data-testid="runtime-retry" data-retry-at={view.retry.at}>
          {view.retry.inSeconds > 0 ? t('runtime.retryIn', { time: formatTime(locale, view.retry.at), wait: wait(view.retry.inSeconds) }) : t('runtime.retryDue')}{' '}
          <span className="muted small">{t('runtime.retryHint')}</span>
        </p>
      )}
      <table className="runtime-outputs">
        <caption className="muted small">{t('runtime.outputs')}</caption>
        <tbody>
          {script.outputs.map((output) => {
            const value = outputs[output.tag];
            const tone = valueTone(value);
            return (
              <tr key={output.tag} className={`runtime-value tone-${tone}`} data-testid="runtime-output" data-tag={output.tag} data-quality={value?.quality ?? ''} data-reason={value?.reason ?? ''}>
                <th scope="row">{output.tag}</th>
                <td className="runtime-number">{value ? formatValue(locale, value.value) : <span className="muted">{t('runtime.noValue')}</span>}</td>
                <td>{value && <QualityBadge quality={value.quality} />}</td>
                <td className="runtime-reason">{value?.reason ? t(`reason.${value.reason}`) : ''}</td>
                <td className="muted small">{value ? formatTime(locale, value.ts) : ''}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
