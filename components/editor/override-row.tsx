'use client';

import type { TagValue } from '@/lib/ui/api-types';
import { formatValue } from '@/lib/ui/format';
import { fieldsOf, type OverrideFields } from '@/lib/ui/overrides';
import type { InputRow } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';

/** One input of the run panel's overrides: the value, its quality and its time for this run. */
export function OverrideRow(props: { input: InputRow; live: TagValue | null | undefined; fields: OverrideFields | undefined; onChange: (change: Partial<OverrideFields>) => void }) {
  const { t, locale } = useI18n();
  const { input, live } = props;
  const fields = fieldsOf(props.fields);
  return (
    <div className="override-row" data-testid="override-row" data-alias={input.alias}>
      <code>{input.alias}</code>
      <input
        type="text"
        value={fields.value}
        placeholder={live ? t('run.overridePlaceholder', { value: formatValue(locale, live.value) }) : t('inputs.notSeen')}
        onChange={(event) => props.onChange({ value: event.target.value })}
        aria-label={t('run.overrideFor', { alias: input.alias })}
      />
      <select value={fields.quality} onChange={(event) => props.onChange({ quality: event.target.value as OverrideFields['quality'] })} aria-label={t('run.overrideQuality', { alias: input.alias })}>
        <option value="">{t('run.qualityLatest')}</option>
        <option value="good">{t('quality.good')}</option>
        <option value="uncertain">{t('quality.uncertain')}</option>
        <option value="bad">{t('quality.bad')}</option>
      </select>
      <input type="datetime-local" step={1} value={fields.time} onChange={(event) => props.onChange({ time: event.target.value })} aria-label={t('run.overrideTime', { alias: input.alias })} />
    </div>
  );
}
