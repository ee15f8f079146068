'use client';

import type { Diagnostic } from '@/lib/ui/api-types';
import type { TestReport, TestResult } from '@/lib/model/script-tests';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { actualText, expectationText, failingResults } from '@/lib/ui/test-cases';
import { useI18n } from '../i18n/locale-provider';

/** What a failing test found: each output that did not match (expected vs actual), or its error with the line. */
export function TestResultDetails({ result, onReveal }: { result: TestResult; onReveal?: (diagnostic: Diagnostic) => void }) {
  const { t, locale } = useI18n();
  return (
    <div className="test-result-details" data-testid="test-result-details">
      {result.error && (
        <p className="test-error" data-testid="test-error">
          <strong>{result.step ? t('tests.errorAtStep', { step: result.step }) : t('tests.error')}</strong> {diagnosticText(locale, result.error)}
          {onReveal && result.error.line !== undefined && result.error.source !== 'definition' && (
            <button type="button" className="link-button small" onClick={() => result.error && onReveal(result.error)}>
              {t('problems.goTo')}
            </button>
          )}
        </p>
      )}
      {result.mismatches.length > 0 && (
        <table className="data-table compact mismatch-table" data-testid="test-mismatches">
          <thead>
            <tr>
              <th scope="col">{t('outputs.tag')}</th>
              <th scope="col">{t('tests.expected')}</th>
              <th scope="col">{t('tests.actual')}</th>
            </tr>
          </thead>
          <tbody>
            {result.mismatches.map((mismatch) => (
              <tr key={mismatch.tag} data-testid="test-mismatch" data-tag={mismatch.tag}>
                <td>{mismatch.tag}</td>
                <td className="mono">{expectationText(mismatch.expected)}</td>
                <td className="mono actual">{actualText(mismatch.actual) ?? t('tests.nothing')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The failing tests of a report, each with what it found (the body of the "tests fail" question). */
export function FailingTests({ report }: { report: TestReport }) {
  const { t } = useI18n();
  return (
    <div className="failing-tests" data-testid="failing-tests">
      <p>{t('tests.failedSummary', { failed: report.failed, total: report.passed + report.failed })}</p>
      <ul>
        {failingResults(report).map((result) => (
          <li key={result.name}>
            <strong>{result.name}</strong>
            <TestResultDetails result={result} />
          </li>
        ))}
      </ul>
    </div>
  );
}
