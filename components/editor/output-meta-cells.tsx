'use client';

import type { OutputRow } from '@/lib/ui/script-form';
import { useI18n } from '../i18n/locale-provider';

/** The unit and description cells of an output row: what the tag list, picker and trends show for it. */
export function OutputMetaRow({ output, index, onChange }: { output: OutputRow; index: number; onChange: (change: Partial<Omit<OutputRow, 'key'>>) => void }) {
  const { t } = useI18n();
  // A row of its own under the output's row: the side panel is too narrow for five columns.
  return (
    <tr className="output-meta-row">
      <td colSpan={4}>
        <div className="output-meta">
          <label className="output-meta-field unit-field">
            <span className="muted small">{t('outputs.unit')}</span>
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
          </label>
          <label className="output-meta-field description-field">
            <span className="muted small">{t('outputs.description')}</span>
            <input
              type="text"
              value={output.description ?? ''}
              maxLength={2000}
              placeholder={t('outputs.descriptionPlaceholder')}
              aria-label={t('outputs.descriptionFor', { n: index + 1 })}
              data-testid="output-description-input"
              onChange={(event) => onChange({ description: event.target.value })}
            />
          </label>
        </div>
      </td>
    </tr>
  );
}
