'use client';

import dynamic from 'next/dynamic';
import { useId, useMemo, useState } from 'react';
import type { ShadowSeriesJson } from '@/lib/ui/shadow-api';
import { DIFFERENCE_KEY, LIVE_KEY, SHADOW_KEY, shadowChartRows } from '@/lib/ui/shadow-view';
import { useI18n } from '../i18n/locale-provider';
import { ChartLegend } from '../charts/chart-legend';
import type { ChartSeries } from '../charts/time-series-chart';

const TimeSeriesChart = dynamic(() => import('../charts/time-series-chart'), {
  ssr: false,
  loading: () => <div className="chart-placeholder" aria-hidden="true" />,
});

const LIVE_COLOUR = '#1f5fbf';
const SHADOW_COLOUR = '#d9822b';
const DIFFERENCE_COLOUR = '#6a3fa0';

/**
 * The diff plot of a shadow run: the live and shadow series of one output on one chart, their
 * difference (shadow − live) on a second, smaller one; a picker when the script has several outputs.
 */
export function ShadowDiffPlot({ series, outputs }: { series: ShadowSeriesJson | null; outputs: string[] }) {
  const { t, locale } = useI18n();
  const pickerId = useId();
  const [picked, setPicked] = useState<string | null>(null);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const tag = picked && outputs.includes(picked) ? picked : (outputs[0] ?? null);
  const rows = useMemo(() => shadowChartRows(tag ? series?.outputs[tag] : undefined), [series, tag]);
  if (!tag) return null;
  const valueSeries: ChartSeries[] = [
    { key: LIVE_KEY, label: t('shadow.live'), colour: LIVE_COLOUR, axis: 'left', hidden: hidden.has(LIVE_KEY) },
    { key: SHADOW_KEY, label: t('shadow.shadow'), colour: SHADOW_COLOUR, axis: 'left', hidden: hidden.has(SHADOW_KEY) },
  ];
  const toggle = (key: string) =>
    setHidden((current) => {
      const next = new Set(current);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const differenceSeries: ChartSeries[] = [{ key: DIFFERENCE_KEY, label: t('shadow.plotDifference'), colour: DIFFERENCE_COLOUR, axis: 'left' }];
  return (
    <div className="shadow-plot" data-testid="shadow-plot" data-tag={tag} data-points={rows.values.length}>
      <div className="shadow-plot-head">
        {outputs.length > 1 ? (
          <label htmlFor={pickerId} className="field-label inline">
            {t('shadow.plotFor')}{' '}
            <select id={pickerId} value={tag} onChange={(event) => setPicked(event.target.value)} data-testid="shadow-plot-output">
              {outputs.map((output) => (
                <option key={output} value={output}>
                  {output}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <strong>{t('shadow.plotValues', { tag })}</strong>
        )}
        <ChartLegend series={valueSeries} onToggle={toggle} hint={t('trends.legendHint')} />
      </div>
      {rows.values.length === 0 ? (
        <p className="muted small" data-testid="shadow-plot-empty">
          {t('shadow.noPoints')}
        </p>
      ) : (
        <>
          <TimeSeriesChart rows={rows.values} series={valueSeries} locale={locale} height={200} brushLabel={t('shadow.plotValues', { tag })} />
          <p className="shadow-plot-subtitle muted small">{t('shadow.plotDifference')}</p>
          <div data-testid="shadow-difference-plot" data-points={rows.difference.length}>
            <TimeSeriesChart rows={rows.difference} series={differenceSeries} locale={locale} height={100} brushLabel={t('shadow.plotDifference')} brush={false} />
          </div>
        </>
      )}
    </div>
  );
}
