'use client';

import type { Trigger } from '@/lib/ui/api-types';
import type { Translate } from '@/lib/ui/i18n/translate';
import { formatNumber } from '@/lib/ui/format';
import type { DefinitionChange } from '@/lib/ui/version-diff';
import { useI18n } from '../i18n/locale-provider';

function triggerText(trigger: Trigger, t: Translate, seconds: (ms: number) => string): string {
  if (trigger.type === 'periodic') return t('versions.triggerEvery', { seconds: seconds(trigger.intervalMs) });
  return trigger.inputs?.length ? t('versions.triggerSelected', { inputs: trigger.inputs.join(', ') }) : t('trigger.all');
}

const shown = (text: string) => (text === '' ? '—' : text);

/** What changed between two versions besides the code: one readable line per change. */
export function DefinitionChanges({ changes }: { changes: readonly DefinitionChange[] }) {
  const { t, locale } = useI18n();
  const seconds = (ms: number) => formatNumber(locale, ms / 1000);
  if (changes.length === 0) return <p className="muted small" data-testid="definition-unchanged">{t('versions.onlyCode')}</p>;
  const line = (change: DefinitionChange): string => {
    switch (change.section) {
      case 'name':
        return t('versions.nameChanged', { before: change.before, after: change.after });
      case 'description':
        return t('versions.descriptionChanged', { before: shown(change.before), after: shown(change.after) });
      case 'inputs':
        if (change.kind === 'changed') return t('versions.inputAlias', { tag: change.tag, before: change.before, after: change.after });
        return t(change.kind === 'added' ? 'versions.inputAdded' : 'versions.inputRemoved', { tag: change.tag, alias: change.alias });
      case 'outputs':
        if (change.kind === 'changed') return t('versions.outputField', { tag: change.tag, field: t(`versions.field.${change.field}`), before: shown(change.before), after: shown(change.after) });
        return t(change.kind === 'added' ? 'versions.outputAdded' : 'versions.outputRemoved', { tag: change.tag, variable: change.variable });
      case 'trigger':
        return t('versions.triggerChanged', { before: triggerText(change.before, t, seconds), after: triggerText(change.after, t, seconds) });
      case 'tests':
        return t(`versions.test.${change.kind}`, { name: change.name });
    }
  };
  return (
    <ul className="definition-changes" data-testid="definition-changes">
      {changes.map((change, index) => (
        <li key={index} className={`change-${change.kind}`} data-section={change.section}>
          {line(change)}
        </li>
      ))}
    </ul>
  );
}
