'use client';

import { formatDateTime, type Locale } from '@/lib/ui/format';
import type { ValueAtCursor } from '@/lib/ui/trend-series';
import { QualityBadge } from '../ui/badges';
import { TagValueText } from '../ui/tag-value-text';

/** What the tooltip needs of a plotted series. */
interface TooltipSeries {
  key: string;
  label: string;
  colour: string;
  hidden?: boolean;
  unit?: string | null;
}

/**
 * The tooltip of a trend: every plotted series at the cursor (its latest value at or before it), with
 * its unit and quality — not only the series under the pointer.
 */
export function AllSeriesTooltip({ ts, series, values, locale }: { ts: number; series: TooltipSeries[]; values: Record<string, ValueAtCursor | null>; locale: Locale }) {
  const shown = series.filter((one) => !one.hidden);
  return (
    <div className="chart-tooltip" data-testid="chart-tooltip">
      <div className="tooltip-time">{formatDateTime(locale, ts)}</div>
      <table>
        <tbody>
          {shown.map((one) => {
            const at = values[one.key];
            return (
              <tr key={one.key} data-testid="tooltip-row" data-series={one.label}>
                <td>
                  <span className="swatch" style={{ background: one.colour }} />
                  {one.label}
                </td>
                <td className="num">{at ? <TagValueText value={at.value} quality={at.quality} reason={at.reason} unit={one.unit} /> : '—'}</td>
                <td>{at && at.quality !== 'good' ? <QualityBadge quality={at.quality} /> : null}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
