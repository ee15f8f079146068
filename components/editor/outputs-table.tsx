'use client';

import { Fragment } from 'react';
import type { DefinedVariable } from '@/lib/ui/code-variables';
import type { FormProblem, OutputRow } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';
import { formProblemText, rowProblem } from './form-problems';
import { OutputMetaRow } from './output-meta-cells';

interface OutputsTableProps {
  outputs: readonly OutputRow[];
  variables: readonly DefinedVariable[];
  problems: readonly FormProblem[];
  onChange: (key: string, change: Partial<Omit<OutputRow, 'key'>>) => void;
  onAdd: () => void;
  onRemove: (key: string) => void;
}

export function OutputsTable({ outputs, variables, problems, onChange, onAdd, onRemove }: OutputsTableProps) {
  const { t } = useI18n();
  const names = new Set(variables.map((variable) => variable.name));
  return (
    <section className="panel" aria-labelledby="outputs-heading">
      <h2 id="outputs-heading" className="panel-title">
        {t('editor.outputs')}
        <span className="count">{outputs.length}</span>
      </h2>
      <p className="hint">{t('outputs.hint')}</p>
      {outputs.length === 0 && <p className="empty-inline">{t('outputs.empty')}</p>}
      {outputs.length > 0 && (
        <table className="data-table compact outputs-table">
          <thead>
            <tr>
              <th scope="col">{t('outputs.tag')}</th>
              <th scope="col">{t('outputs.variable')}</th>
              <th scope="col">{t('outputs.deadband')}</th>
              <th scope="col">
                <span className="visually-hidden">{t('common.remove')}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {outputs.map((output, index) => {
              const tagProblem = rowProblem(problems, 'outputs', index, 'tag');
              const variableProblem = rowProblem(problems, 'outputs', index, 'variable');
              const deadbandProblem = rowProblem(problems, 'outputs', index, 'deadband');
              const undefinedVariable = output.variable !== '' && !names.has(output.variable);
              return (
                <Fragment key={output.key}>
                <tr data-testid="output-row">
                  <td>
                    <input
                      type="text"
                      value={output.tag}
                      placeholder="CALC.MY_TAG"
                      spellCheck={false}
                      className={tagProblem ? 'invalid' : undefined}
                      aria-invalid={tagProblem ? true : undefined}
                      aria-label={t('outputs.tagFor', { n: index + 1 })}
                      data-testid="output-tag-input"
                      onChange={(event) => onChange(output.key, { tag: event.target.value })}
                    />
                    {tagProblem && <span className="field-error">{formProblemText(tagProblem, t)}</span>}
                  </td>
                  <td>
                    <select
                      value={output.variable}
                      className={variableProblem || undefinedVariable ? 'invalid' : undefined}
                      aria-label={t('outputs.variableFor', { n: index + 1 })}
                      data-testid="output-variable-select"
                      onChange={(event) => onChange(output.key, { variable: event.target.value })}
                    >
                      <option value="">{t('outputs.pickVariable')}</option>
                      {(['calc', 'init'] as const).map((source) => {
                        const group = variables.filter((variable) => variable.source === source);
                        if (group.length === 0) return null;
                        return (
                          <optgroup key={source} label={t(source === 'calc' ? 'editor.calcCode' : 'editor.initCode')}>
                            {group.map((variable) => (
                              <option key={`${source}:${variable.name}`} value={variable.name} title={t(source === 'calc' ? 'outputs.fromCalc' : 'outputs.fromInit', { line: variable.line })}>
                                {variable.name}
                              </option>
                            ))}
                          </optgroup>
                        );
                      })}
                      {undefinedVariable && <option value={output.variable}>{t('outputs.notDefined', { name: output.variable })}</option>}
                    </select>
                    {variableProblem && <span className="field-error">{formProblemText(variableProblem, t)}</span>}
                    {!variableProblem && undefinedVariable && <span className="field-error">{t('outputs.notDefinedHint', { name: output.variable })}</span>}
                  </td>
                  <td>
                    <input
                      type="text"
                      inputMode="decimal"
                      className={`deadband-input${deadbandProblem ? ' invalid' : ''}`}
                      value={output.deadband}
                      placeholder={t('outputs.deadbandNone')}
                      aria-label={t('outputs.deadbandFor', { n: index + 1 })}
                      aria-invalid={deadbandProblem ? true : undefined}
                      onChange={(event) => onChange(output.key, { deadband: event.target.value })}
                    />
                    {deadbandProblem && <span className="field-error">{formProblemText(deadbandProblem, t)}</span>}
                  </td>
                  <td>
                    <button type="button" className="icon-button" aria-label={t('outputs.remove', { n: index + 1 })} onClick={() => onRemove(output.key)}>
                      ×
                    </button>
                  </td>
                </tr>
                <OutputMetaRow output={output} index={index} onChange={(change) => onChange(output.key, change)} />
                </Fragment>
              );
            })}
          </tbody>
        </table>
      )}
      <button type="button" className="button small" onClick={onAdd}>
        + {t('outputs.add')}
      </button>
    </section>
  );
}
