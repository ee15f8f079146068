'use client';

import { useId } from 'react';
import type { FormProblem, InputRow, TriggerForm } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';
import { formProblemText } from './form-problems';

interface TriggerEditorProps {
  trigger: TriggerForm;
  inputs: readonly InputRow[];
  problems: readonly FormProblem[];
  onChange: (trigger: TriggerForm) => void;
}

export function TriggerEditor({ trigger, inputs, problems, onChange }: TriggerEditorProps) {
  const { t } = useI18n();
  const id = useId();
  const problem = problems.find((p) => p.section === 'trigger');
  return (
    <section className="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="panel-title">
        {t('editor.trigger')}
      </h2>
      <fieldset className="trigger-options">
        <legend className="visually-hidden">{t('trigger.legend')}</legend>
        <label className="radio">
          <input type="radio" name={`${id}-mode`} checked={trigger.mode === 'all'} onChange={() => onChange({ ...trigger, mode: 'all' })} />
          {t('trigger.all')}
        </label>
        <label className="radio">
          <input
            type="radio"
            name={`${id}-mode`}
            checked={trigger.mode === 'selected'}
            onChange={() => onChange({ ...trigger, mode: 'selected', selected: trigger.selected.length ? trigger.selected : inputs.slice(0, 1).map((i) => i.alias) })}
          />
          {t('trigger.selected')}
        </label>
        {trigger.mode === 'selected' && (
          <div className="trigger-aliases">
            {inputs.length === 0 && <span className="muted small">{t('trigger.noInputs')}</span>}
            {inputs.map((input) => (
              <label key={input.key} className="checkbox">
                <input
                  type="checkbox"
                  checked={trigger.selected.includes(input.alias)}
                  onChange={(event) =>
                    onChange({
                      ...trigger,
                      selected: event.target.checked ? [...trigger.selected, input.alias] : trigger.selected.filter((alias) => alias !== input.alias),
                    })
                  }
                />
                <code>{input.alias}</code>
              </label>
            ))}
          </div>
        )}
        <label className="radio">
          <input type="radio" name={`${id}-mode`} checked={trigger.mode === 'periodic'} onChange={() => onChange({ ...trigger, mode: 'periodic' })} />
          {t('trigger.periodic')}
        </label>
        {trigger.mode === 'periodic' && (
          <label className="inline-field">
            {t('trigger.every')}
            <input
              type="text"
              inputMode="decimal"
              className="interval-input"
              value={trigger.intervalSeconds}
              aria-label={t('trigger.intervalLabel')}
              onChange={(event) => onChange({ ...trigger, intervalSeconds: event.target.value })}
            />
            {t('trigger.seconds')}
          </label>
        )}
      </fieldset>
      {problem && <p className="field-error">{formProblemText(problem, t)}</p>}
    </section>
  );
}
