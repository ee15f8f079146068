'use client';

import { useState } from 'react';
import { customRange, RANGE_PRESETS, toDateTimeLocal, type RangeChoice, type TimeRange } from '@/lib/ui/time-range';
import { useI18n } from '../i18n/locale-provider';
import type { MessageKey } from '@/lib/ui/i18n/translate';

interface RangePickerProps {
  choice: RangeChoice;
  custom: TimeRange | null;
  onPreset: (choice: RangeChoice) => void;
  onCustom: (range: TimeRange) => void;
}

/** Last 1 h / 8 h / 24 h / 7 d, or a custom from–to in local time. */
export function RangePicker({ choice, custom, onPreset, onCustom }: RangePickerProps) {
  const { t } = useI18n();
  const [from, setFrom] = useState(() => toDateTimeLocal(custom?.from ?? Date.now() - 3600_000));
  const [to, setTo] = useState(() => toDateTimeLocal(custom?.to ?? Date.now()));
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <div className="range-picker">
      <div className="segmented" role="group" aria-label={t('range.label')}>
        {RANGE_PRESETS.map((preset) => (
          <button key={preset} type="button" className={choice === preset ? 'active' : undefined} aria-pressed={choice === preset} onClick={() => onPreset(preset)}>
            {t(`range.${preset}` as MessageKey)}
          </button>
        ))}
        <button type="button" className={choice === 'custom' ? 'active' : undefined} aria-pressed={choice === 'custom'} onClick={() => onPreset('custom')}>
          {t('range.custom')}
        </button>
      </div>
      {choice === 'custom' && (
        <form
          className="custom-range"
          onSubmit={(event) => {
            event.preventDefault();
            const range = customRange(from, to, Date.now());
            if ('problem' in range) {
              setProblem(t(`range.problem.${range.problem}` as MessageKey));
              return;
            }
            setProblem(null);
            onCustom(range);
          }}
        >
          <label>
            {t('range.from')}
            <input type="datetime-local" value={from} onChange={(event) => setFrom(event.target.value)} />
          </label>
          <label>
            {t('range.to')}
            <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} />
          </label>
          <button type="submit" className="button small primary">
            {t('range.apply')}
          </button>
          {problem && <span className="field-error">{problem}</span>}
        </form>
      )}
    </div>
  );
}
