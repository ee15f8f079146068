'use client';

import type { CalcResult, Diagnostic } from '@/lib/ui/api-types';
import { diagnosticField, sortDiagnostics } from '@/lib/ui/diagnostic-markers';
import { formatValue } from '@/lib/ui/format';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import type { FormProblem } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';
import { formProblemPlace, formProblemText } from './form-problems';

interface ProblemsListProps {
  formProblems: readonly FormProblem[];
  diagnostics: readonly Diagnostic[];
  /** A problem of the request itself (server unreachable, malformed draft). */
  requestError: string | null;
  checking: boolean;
  checked: boolean;
  preview: CalcResult | null;
  onReveal: (diagnostic: Diagnostic) => void;
}

export function ProblemsList({ formProblems, diagnostics, requestError, checking, checked, preview, onReveal }: ProblemsListProps) {
  const { t, locale } = useI18n();
  // The server finds again what the form already said (same field): show it once, in the user's language.
  const sorted = sortDiagnostics(diagnostics).filter((diagnostic) => {
    if (diagnostic.source !== 'definition') return true;
    const field = diagnosticField(diagnostic);
    if (!field) return true;
    return !formProblems.some(
      (problem) => problem.section === field.section && (field.index === undefined || !('index' in problem) || problem.index === field.index),
    );
  });
  const total = formProblems.length + sorted.length + (requestError ? 1 : 0);
  const errors = sorted.filter((d) => d.severity === 'error').length + formProblems.length + (requestError ? 1 : 0);
  return (
    <section className="problems" aria-labelledby="problems-title" data-testid="problems">
      <div className="problems-head">
        <h2 id="problems-title" className="panel-title">
          {t('problems.title')}
          <span className={`count${errors ? ' bad' : ''}`} data-testid="problem-count">
            {total}
          </span>
        </h2>
        <span className="muted small" aria-live="polite">
          {checking ? t('problems.checking') : checked ? t('problems.checked') : ''}
        </span>
      </div>
      {total === 0 && checked && (
        <p className="problems-ok" data-testid="no-problems">
          ✓ {t('problems.none')}
          {preview && Object.keys(preview.outputs).length > 0 && (
            <span className="preview">
              {' '}
              {t('problems.preview')}{' '}
              {Object.entries(preview.outputs)
                .map(([tag, output]) => `${tag} = ${formatValue(locale, output.value)}`)
                .join(', ')}
            </span>
          )}
        </p>
      )}
      {total > 0 && (
        <ul className="problem-list">
          {requestError && (
            <li className="problem error">
              <span className="problem-place">{t('problems.request')}</span>
              <span>{requestError}</span>
            </li>
          )}
          {formProblems.map((problem, index) => (
            <li key={`form-${index}`} className="problem error" data-testid="problem">
              <span className="problem-place">{formProblemPlace(problem, t)}</span>
              <span>{formProblemText(problem, t)}</span>
            </li>
          ))}
          {sorted.map((diagnostic, index) => {
            const part = t(diagnostic.source === 'init' ? 'editor.initCode' : 'editor.calcCode');
            // Never "line ?:?": a place without a line or column names only what it has.
            const place =
              diagnostic.source === 'definition'
                ? t('problems.definition')
                : diagnostic.line === undefined
                  ? part
                  : diagnostic.column === undefined
                    ? t('problems.atLine', { part, line: diagnostic.line })
                    : t('problems.at', { part, line: diagnostic.line, column: diagnostic.column });
            const clickable = diagnostic.source !== 'definition' && diagnostic.line !== undefined;
            return (
              <li key={`d-${index}`} className={`problem ${diagnostic.severity}`} data-testid="problem">
                {clickable ? (
                  <button type="button" className="problem-link" onClick={() => onReveal(diagnostic)} title={t('problems.goTo')}>
                    {place}
                  </button>
                ) : (
                  <span className="problem-place">{place}</span>
                )}
                <span className="problem-message" data-code={diagnostic.code}>
                  {diagnosticText(locale, diagnostic)}
                </span>
                {diagnostic.severity === 'warning' && <span className="badge warning">{t('problems.warning')}</span>}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
