'use client';

import { useState } from 'react';
import { initialExportForm } from '@/lib/ui/export-form';
import { presetRange, type RangePreset, type TimeRange } from '@/lib/ui/time-range';
import { useI18n } from '../i18n/locale-provider';
import { ExportDialog } from './export-dialog';

const HOUR_MS = 3_600_000;

/**
 * The Export action of the Tags and Trends pages: `candidates` are the tags offered, `picked` those
 * ticked at first, `range` the period proposed (a preset is taken back from now; default the last hour).
 */
export function ExportButton({ candidates, picked, range }: { candidates: readonly string[]; picked: readonly string[]; range?: TimeRange | RangePreset | null }) {
  const { t } = useI18n();
  const [open, setOpen] = useState<ReturnType<typeof initialExportForm> | null>(null);
  const start = () => {
    const now = Date.now();
    const period = typeof range === 'string' ? presetRange(range, now) : (range ?? { from: new Date(now - HOUR_MS).toISOString(), to: new Date(now).toISOString() });
    setOpen(initialExportForm(picked, Date.parse(period.from), Date.parse(period.to)));
  };
  return (
    <>
      <button type="button" className="button small" onClick={start} data-testid="export-open">
        {t('export.open')}
      </button>
      {open && <ExportDialog candidates={candidates} initial={open} onClose={() => setOpen(null)} />}
    </>
  );
}
