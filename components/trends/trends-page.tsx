'use client';

import dynamic from 'next/dynamic';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { diagnosticText } from '@/lib/ui/i18n/diagnostic-texts';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '@/lib/ui/api-client';
import type { PlotResponse, Script } from '@/lib/ui/api-types';
import { formatInteger } from '@/lib/ui/format';
import { describeSeries, normaliseRows, seriesColours, suggestAxisMode, type AxisMode } from '@/lib/ui/plot-data';
import { qualityRows, seriesTimes, sharedUnitLabel, unitAxes, valuesAt } from '@/lib/ui/trend-series';
import { useTagUnits } from './use-tag-units';
import { presetRange, type RangeChoice, type TimeRange } from '@/lib/ui/time-range';
import { ChartLegend } from '../charts/chart-legend';
import { ExportButton } from '../export/export-button';
import { RangePicker } from '../charts/range-picker';
import type { ChartSeries } from '../charts/time-series-chart';
import { useI18n } from '../i18n/locale-provider';
import { EmptyState, ErrorBanner, Loading } from '../ui/states';

const TimeSeriesChart = dynamic(() => import('../charts/time-series-chart'), {
  ssr: false,
  loading: () => <div className="chart chart-placeholder" style={{ height: 420 }} />,
});

const MAX_POINTS = 800;

/** The axis layouts a user can pick: the automatic ones, or one axis per engineering unit. */
type TrendMode = AxisMode | 'units';

export function TrendsPage({ scriptId, initialRange }: { scriptId: string | null; initialRange: RangeChoice }) {
  const { t, locale } = useI18n();
  const router = useRouter();
  const [scripts, setScripts] = useState<Script[] | null>(null);
  const [choice, setChoice] = useState<RangeChoice>(initialRange === 'custom' ? '1h' : initialRange);
  const [custom, setCustom] = useState<TimeRange | null>(null);
  const [plot, setPlot] = useState<PlotResponse | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [mode, setMode] = useState<TrendMode | null>(null);
  const tagUnits = useTagUnits(plot);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    api.listScripts().then(
      (list) => setScripts(list.sort((a, b) => a.name.localeCompare(b.name))),
      (failure) => setError(failure),
    );
  }, []);

  const script = scripts?.find((s) => s.id === scriptId) ?? null;
  // An output's unit is declared by the script (its tag may have no value yet to ask about).
  const units = useMemo(() => {
    const merged = { ...tagUnits };
    for (const output of script?.outputs ?? []) if (output.unit) merged[output.tag] = output.unit;
    return merged;
  }, [tagUnits, script]);

  // The range is fixed when loaded (and on refresh), so the chart does not drift while it is read.
  const load = useCallback(async () => {
    const range = choice === 'custom' ? custom : presetRange(choice, Date.now());
    if (!scriptId || !range) return;
    setLoading(true);
    setError(null);
    try {
      const answer = await api.plot({ scriptId }, { ...range, maxPoints: MAX_POINTS });
      setPlot(answer);
    } catch (failure) {
      setError(failure);
      setPlot(null);
    } finally {
      setLoading(false);
    }
  }, [scriptId, choice, custom]);

  useEffect(() => {
    const timer = window.setTimeout(() => void load(), 0);
    return () => window.clearTimeout(timer);
  }, [load, reloads]);

  const infos = useMemo(() => (plot ? describeSeries(plot.series) : []), [plot]);
  const rows = useMemo(() => (plot ? qualityRows(plot.series, new Set(infos.filter((info) => info.boolean).map((info) => info.key))) : []), [plot, infos]);
  const times = useMemo(() => (plot ? seriesTimes(plot.series) : []), [plot]);
  const effectiveMode: TrendMode = mode ?? suggestAxisMode(infos);
  const drawn = useMemo(() => (effectiveMode === 'normalised' ? normaliseRows(rows, infos) : rows), [effectiveMode, rows, infos]);
  const colours = useMemo(() => seriesColours(infos), [infos]);
  const perUnit = useMemo(() => unitAxes(infos.map((info) => ({ key: info.key, unit: units[info.tag] }))), [infos, units]);
  const series: ChartSeries[] = infos.map((info) => ({
    key: info.key,
    label: `${info.tag}${info.alias ? ` (${info.alias})` : ''}`,
    colour: colours[info.key],
    axis: effectiveMode === 'units' ? perUnit.axisOf[info.key] : effectiveMode === 'split' && info.role === 'output' ? 'right' : 'left',
    step: info.boolean,
    hidden: hidden.has(info.key),
    unit: units[info.tag] ?? null,
  }));
  const unitsOf = (role?: 'input' | 'output') => sharedUnitLabel(infos.filter((info) => !role || info.role === role).map((info) => units[info.tag]));
  const withUnits = (label: string, unit: string | undefined) => (unit ? `${label} (${unit})` : label);
  const chartAxes =
    effectiveMode === 'units'
      ? perUnit.axes.map((axis) => ({ id: axis.id, orientation: axis.orientation, label: axis.unit ?? t('trends.noUnit') }))
      : undefined;
  const totalPoints = infos.reduce((sum, info) => sum + info.points, 0);

  const selectScript = (id: string) => {
    const query = new URLSearchParams();
    if (id) query.set('script', id);
    router.replace(`/trends${query.size ? `?${query}` : ''}`);
  };

  return (
    <main className="page trends-page">
      <div className="page-head">
        <div>
          <h1>{t('trends.title')}</h1>
          <p className="page-lead">{t('trends.lead')}</p>
        </div>
        {script && (
          <Link href={`/scripts/${encodeURIComponent(script.id)}`} className="button ghost">
            {t('trends.openEditor')}
          </Link>
        )}
      </div>

      <div className="toolbar wrap">
        <label className="inline-field">
          {t('trends.script')}
          <select value={scriptId ?? ''} onChange={(event) => selectScript(event.target.value)} data-testid="trend-script">
            <option value="">{t('trends.pickScript')}</option>
            {(scripts ?? []).map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <RangePicker
          choice={choice}
          custom={custom}
          onPreset={setChoice}
          onCustom={(r) => {
            setCustom(r);
            setChoice('custom');
          }}
        />
        <button type="button" className="button small" onClick={() => setReloads((n) => n + 1)} disabled={!scriptId || loading}>
          {t('trends.refresh')}
        </button>
        {plot && <ExportButton candidates={[...new Set(infos.map((info) => info.tag))]} picked={[...new Set(infos.map((info) => info.tag))]} range={choice === 'custom' ? custom : choice} />}
      </div>

      {!scriptId && (
        <EmptyState title={t('trends.noScript')}>
          <p>{t('trends.noScriptBody')}</p>
        </EmptyState>
      )}
      {scriptId && scripts && !script && !error && <ErrorBanner error={new Error(t('trends.unknownScript'))} />}
      {error !== null && <ErrorBanner error={error} onRetry={() => void load()} />}
      {scriptId && loading && !plot && <Loading label={t('trends.loading')} />}
      {scriptId && choice === 'custom' && !custom && <p className="muted">{t('trends.pickCustom')}</p>}

      {plot && (
        <section className="panel chart-panel" aria-busy={loading}>
          <div className="chart-head">
            <div className="segmented" role="group" aria-label={t('trends.axes')}>
              {(['shared', 'split', 'normalised', 'units'] as const).map((m) => (
                <button key={m} type="button" className={effectiveMode === m ? 'active' : undefined} aria-pressed={effectiveMode === m} onClick={() => setMode(m)} data-testid={`axis-mode-${m}`}>
                  {t(`trends.mode.${m}`)}
                </button>
              ))}
            </div>
            <span className="muted small" data-testid="trend-summary">
              {t('trends.summary', { evaluations: formatInteger(locale, plot.evaluations), errors: formatInteger(locale, plot.errors), points: formatInteger(locale, totalPoints) })}
            </span>
            {loading && <span className="muted small">{t('common.loading')}</span>}
          </div>
          {plot.error && (
            <p className="warning-text" role="alert" data-testid="trend-error">
              {t('trends.evaluationError', { message: diagnosticText(locale, plot.error) })}
            </p>
          )}
          {totalPoints === 0 ? (
            <EmptyState title={t('trends.empty')}>
              <p>{t('trends.emptyBody')}</p>
            </EmptyState>
          ) : (
            <>
              {effectiveMode === 'normalised' && <p className="hint">{t('trends.normalisedHint')}</p>}
              <ChartLegend
                series={series}
                hint={t('trends.legendHint')}
                onToggle={(key) =>
                  setHidden((set) => {
                    const next = new Set(set);
                    if (next.has(key)) next.delete(key);
                    else next.add(key);
                    return next;
                  })
                }
              />
              <TimeSeriesChart
                rows={drawn}
                rawRows={effectiveMode === 'normalised' ? rows : undefined}
                normalised={effectiveMode === 'normalised'}
                series={series}
                locale={locale}
                height={420}
                leftLabel={effectiveMode === 'normalised' ? '%' : effectiveMode === 'split' ? withUnits(t('trends.inputsAxis'), unitsOf('input')) : unitsOf()}
                rightLabel={effectiveMode === 'split' ? withUnits(t('trends.outputsAxis'), unitsOf('output')) : undefined}
                brushLabel={t('trends.chartLabel')}
                axes={chartAxes}
                valuesAt={plot ? (ts) => valuesAt(plot.series, times, ts) : undefined}
                qualityMarks={effectiveMode !== 'normalised'}
              />
              <p className="muted small">{t('trends.gapHint')}</p>
              <p className="muted small">{t('trends.brushHint')}</p>
            </>
          )}
        </section>
      )}
    </main>
  );
}
