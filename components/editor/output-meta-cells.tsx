'use client';

import type { OutputRow } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';

/** The unit and description cells of an output row: what the tag list, picker and trends show for it. */
export function OutputMetaCells({ output, index, onChange }: { output: OutputRow; index: number; onChange: (change: Partial<Omit<OutputRow, 'key'>>) => void }) {
  const { t } = useI18n();
  return (
    <>
      <td>
        <input
          type="text"
          className="unit-input"
          value={output.unit ?? ''}
          maxLength={50}
          placeholder={t('outputs.unitPlaceholder')}
          aria-label={t('outputs.unitFor', { n: index + 1 })}
          data-testid="output-unit-input"
          onChange={(event) => onChange({ unit: event.target.value })}
        />
      </td>
      <td>
        <input
          type="text"
          value={output.description ?? ''}
          maxLength={2000}
          placeholder={t('outputs.descriptionPlaceholder')}
          aria-label={t('outputs.descriptionFor', { n: index + 1 })}
          data-testid="output-description-input"
          onChange={(event) => onChange({ description: event.target.value })}
        />
      </td>
    </>
  );
}
