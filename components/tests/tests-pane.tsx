'use client';

import { useState } from 'react';
import type { ScriptTest } from '@/lib/model/script-tests';
import type { CalcResult, Diagnostic } from '@/lib/ui/api-types';
import { expectationText, nextTestName, resultsByName, testFormFromRun, testFormOf, type TestCaseForm } from '@/lib/ui/test-cases';
import { useI18n } from '../i18n/locale-provider';
import { TestCaseEditor } from './test-case-editor';
import { TestResultDetails } from './test-result-details';
import type { TestRuns } from './use-test-runs';

interface TestsPaneProps {
  tests: readonly ScriptTest[];
  outputTags: readonly string[];
  /** The last Calculate's result, to add as a test (null before any). */
  lastRun: CalcResult | null;
  runs: TestRuns;
  /** The report is about an earlier draft (the code or the tests changed since). */
  stale: boolean;
  onRunAll: () => void;
  onChange: (tests: ScriptTest[]) => void;
  onReveal: (diagnostic: Diagnostic) => void;
}

type Editing = { index: number | null; form: TestCaseForm } | null;

/**
 * The Tests tab (changes.md "Regression tests"): the script's test cases, each added from a
 * Calculate run (inputs and outputs captured, editable) or edited; "Run all" with pass or fail per
 * case, expected vs actual. Tests are part of the draft: Save saves them, and runs them.
 */
export function TestsPane({ tests, outputTags, lastRun, runs, stale, onRunAll, onChange, onReveal }: TestsPaneProps) {
  const { t } = useI18n();
  const [editing, setEditing] = useState<Editing>(null);
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const results = resultsByName(stale ? null : runs.report);
  const report = runs.report;

  const addFromRun = () => {
    if (!lastRun) return;
    setEditing({ index: null, form: testFormFromRun(lastRun, nextTestName(tests, t('tests.defaultName'))) });
  };
  const apply = (test: ScriptTest) => {
    if (!editing) return;
    onChange(editing.index === null ? [...tests, test] : tests.map((old, i) => (i === editing.index ? test : old)));
    setEditing(null);
  };

  return (
    <div role="tabpanel" id="run-pane-tests" aria-labelledby="run-tab-tests" className="run-pane tests-pane" data-testid="tests-pane">
      <div className="run-actions">
        <button type="button" className="button" onClick={addFromRun} disabled={!lastRun || editing !== null} data-testid="test-add-from-run" title={lastRun ? undefined : t('tests.calculateFirst')}>
          + {t('tests.addFromRun')}
        </button>
        <button type="button" className="button primary" onClick={onRunAll} disabled={runs.running || tests.length === 0} data-testid="tests-run-all">
          {runs.running ? t('tests.running') : t('tests.runAll')}
        </button>
        {report && !stale && (
          <span className={`badge ${report.failed > 0 ? 'tests-failed' : 'tests-passed'}`} data-testid="tests-summary">
            {report.failed > 0 ? t('tests.summaryFailed', { failed: report.failed, total: report.passed + report.failed }) : t('tests.summaryPassed', { count: report.passed })}
          </span>
        )}
        {report && stale && tests.length > 0 && <span className="muted small">{t('tests.stale')}</span>}
      </div>
      {!lastRun && tests.length === 0 && <p className="muted">{t('tests.hint')}</p>}
      {runs.error && (
        <div className="error-banner" role="alert">
          {runs.error}
        </div>
      )}
      {editing && (
        <TestCaseEditor
          key={editing.index ?? 'new'}
          initial={editing.form}
          others={tests.filter((_, i) => i !== editing.index)}
          adding={editing.index === null}
          onApply={apply}
          onCancel={() => setEditing(null)}
        />
      )}
      {tests.length > 0 && (
        <ul className="test-list" data-testid="test-list">
          {tests.map((test, index) => {
            const result = results.get(test.name);
            const status = result ? (result.ok ? 'passed' : 'failed') : 'not-run';
            const expanded = open[test.name] ?? (status === 'failed');
            return (
              <li key={test.name} className={`test-item ${status}`} data-testid="test-item" data-name={test.name} data-status={status}>
                <div className="test-head">
                  <span className={`badge test-status ${status}`}>{t(`tests.status.${status}`)}</span>
                  <strong className="test-name">{test.name}</strong>
                  <span className="muted small">
                    {t('tests.steps', { count: test.steps.length })} ·{' '}
                    {Object.entries(test.expect)
                      .map(([tag, expected]) => `${tag} = ${expectationText(expected)}`)
                      .join(', ') || t('tests.noExpect')}
                  </span>
                  <span className="test-actions">
                    {result && !result.ok && (
                      <button type="button" className="link-button small" aria-expanded={expanded} onClick={() => setOpen((o) => ({ ...o, [test.name]: !expanded }))}>
                        {expanded ? t('audit.hide') : t('audit.show')}
                      </button>
                    )}
                    <button type="button" className="link-button small" disabled={editing !== null} onClick={() => setEditing({ index, form: testFormOf(test, outputTags) })} data-testid="test-edit">
                      {t('tests.edit')}
                    </button>
                    <button type="button" className="link-button small danger" disabled={editing !== null} onClick={() => onChange(tests.filter((_, i) => i !== index))} data-testid="test-remove">
                      {t('tests.remove')}
                    </button>
                  </span>
                </div>
                {result && !result.ok && expanded && <TestResultDetails result={result} onReveal={onReveal} />}
              </li>
            );
          })}
        </ul>
      )}
      {tests.length > 0 && <p className="muted small">{t('tests.savedWithScript')}</p>}
    </div>
  );
}
