'use client';

import { useState } from 'react';
import type { ScriptTest } from '@/lib/model/script-tests';
import type { Quality } from '@/lib/ui/api-types';
import { testFromForm, type TestCaseForm, type TestFormProblem } from '@/lib/ui/test-cases';
import { useI18n } from '../i18n/locale-provider';

const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** A quality picker; with `anyLabel`, a first choice '' (any quality). */
function QualitySelect({ value, label, anyLabel, onChange }: { value: Quality | ''; label: string; anyLabel?: string; onChange: (quality: Quality | '') => void }) {
  const { t } = useI18n();
  return (
    <select value={value} aria-label={label} onChange={(event) => onChange(event.target.value as Quality | '')}>
      {anyLabel !== undefined && <option value="">{anyLabel}</option>}
      {QUALITIES.map((quality) => (
        <option key={quality} value={quality}>
          {t(`quality.${quality}`)}
        </option>
      ))}
    </select>
  );
}

interface TestCaseEditorProps {
  initial: TestCaseForm;
  /** The script's other tests (a name must differ from theirs). */
  others: readonly ScriptTest[];
  adding: boolean;
  onApply: (test: ScriptTest) => void;
  onCancel: () => void;
}

/**
 * One test case as a form: its name, the inputs of its (last) step and the expected outputs, each
 * with an optional quality and tolerance. Values are typed as read (12.5, true, null, text).
 */
export function TestCaseEditor({ initial, others, adding, onApply, onCancel }: TestCaseEditorProps) {
  const { t } = useI18n();
  const [form, setForm] = useState<TestCaseForm>(initial);
  const [problems, setProblems] = useState<TestFormProblem[]>([]);
  const problemFor = (field: TestFormProblem['field'], tag?: string) => problems.find((p) => p.field === field && (tag === undefined || ('tag' in p && p.tag === tag)));
  const nameProblem = problemFor('name');
  const tooMany = problemFor('tests');

  const apply = () => {
    const made = testFromForm(form, others);
    if (!made.ok) {
      setProblems(made.problems);
      return;
    }
    onApply(made.test);
  };
  const setInput = (index: number, change: Partial<TestCaseForm['inputs'][number]>) =>
    setForm((f) => ({ ...f, inputs: f.inputs.map((row, i) => (i === index ? { ...row, ...change } : row)) }));
  const setExpect = (index: number, change: Partial<TestCaseForm['expect'][number]>) =>
    setForm((f) => ({ ...f, expect: f.expect.map((row, i) => (i === index ? { ...row, ...change } : row)) }));

  return (
    <form
      className="test-case-editor"
      data-testid="test-editor"
      onSubmit={(event) => {
        event.preventDefault();
        apply();
      }}
    >
      <h3>{adding ? t('tests.newTitle') : t('tests.editTitle', { name: initial.name })}</h3>
      <label className="field">
        <span className="field-label">{t('tests.name')}</span>
        <input
          type="text"
          value={form.name}
          onChange={(event) => setForm((f) => ({ ...f, name: event.target.value }))}
          aria-invalid={nameProblem ? true : undefined}
          data-testid="test-name"
        />
        {nameProblem && <span className="field-error">{t(`tests.problem.${nameProblem.code}`)}</span>}
      </label>
      {form.earlierSteps.length > 0 && <p className="muted small">{t('tests.earlierSteps', { count: form.earlierSteps.length })}</p>}
      <div className="test-editor-grid">
        <div>
          <h4>{t('tests.inputs')}</h4>
          {form.inputs.length === 0 ? (
            <p className="muted small">{t('run.noInputs')}</p>
          ) : (
            <table className="data-table compact">
              <thead>
                <tr>
                  <th scope="col">{t('inputs.alias')}</th>
                  <th scope="col">{t('run.value')}</th>
                  <th scope="col">{t('run.quality')}</th>
                </tr>
              </thead>
              <tbody>
                {form.inputs.map((row, index) => (
                  <tr key={row.alias}>
                    <td>
                      <code>{row.alias}</code>
                    </td>
                    <td>
                      <input type="text" className="value-input" value={row.value} aria-label={t('tests.inputValue', { alias: row.alias })} onChange={(event) => setInput(index, { value: event.target.value })} />
                    </td>
                    <td>
                      <QualitySelect value={row.quality} label={t('tests.inputQuality', { alias: row.alias })} onChange={(quality) => setInput(index, { quality: quality as Quality })} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
        <div>
          <h4>{t('tests.expect')}</h4>
          <table className="data-table compact">
            <thead>
              <tr>
                <th scope="col">{t('outputs.tag')}</th>
                <th scope="col">{t('tests.expected')}</th>
                <th scope="col">{t('run.quality')}</th>
                <th scope="col">{t('tests.approx')}</th>
              </tr>
            </thead>
            <tbody>
              {form.expect.map((row, index) => {
                const problem = problemFor('approx', row.tag);
                return (
                  <tr key={row.tag}>
                    <td>{row.tag}</td>
                    <td>
                      <input
                        type="text"
                        className="value-input"
                        value={row.value}
                        placeholder={t('tests.notChecked')}
                        aria-label={t('tests.expectValue', { tag: row.tag })}
                        onChange={(event) => setExpect(index, { value: event.target.value })}
                      />
                    </td>
                    <td>
                      <QualitySelect value={row.quality} label={t('tests.expectQuality', { tag: row.tag })} anyLabel={t('tests.anyQuality')} onChange={(quality) => setExpect(index, { quality })} />
                    </td>
                    <td>
                      <input
                        type="text"
                        inputMode="decimal"
                        className="approx-input"
                        value={row.approx}
                        placeholder={t('tests.exact')}
                        aria-label={t('tests.approxFor', { tag: row.tag })}
                        aria-invalid={problem ? true : undefined}
                        onChange={(event) => setExpect(index, { approx: event.target.value })}
                      />
                      {problem && 'tag' in problem && <span className="field-error">{t(`tests.problem.${problem.code}`)}</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </div>
      <p className="hint">{t('tests.valuesHint')}</p>
      {tooMany && <p className="field-error">{t('tests.problem.tooMany')}</p>}
      <div className="dialog-actions">
        <button type="button" className="button" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="button primary" data-testid="test-apply">
          {adding ? t('tests.add') : t('tests.apply')}
        </button>
      </div>
    </form>
  );
}
