'use client';

import dynamic from 'next/dynamic';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '@/lib/ui/api-client';
import type { HistoryResponse, TagValue } from '@/lib/ui/api-types';
import { formatDateTime, formatInteger, formatRelative } from '@/lib/ui/format';
import { describeSeries } from '@/lib/ui/plot-data';
import { qualityRows, seriesTimes, valuesAt } from '@/lib/ui/trend-series';
import { presetRange, type RangeChoice, type TimeRange } from '@/lib/ui/time-range';
import { RangePicker } from '../charts/range-picker';
import type { ChartSeries } from '../charts/time-series-chart';
import { useI18n } from '../i18n/locale-provider';
import { QualityBadge, SourceBadge } from '../ui/badges';
import { EmptyState, ErrorBanner, Loading } from '../ui/states';
import { TagValueText } from '../ui/tag-value-text';
import { formatRange } from '@/lib/ui/tag-meta-form';
import { TagDetails } from './tag-details';
import { ExportButton } from '../export/export-button';

const TimeSeriesChart = dynamic(() => import('../charts/time-series-chart'), {
  ssr: false,
  loading: () => <div className="chart chart-placeholder" style={{ height: 320 }} />,
});

const REFRESH_MS = 1500;
const LIST_LIMIT = 500;

export function TagsPage({ initialTag, initialQuery }: { initialTag: string | null; initialQuery: string }) {
  const { t, locale } = useI18n();
  const router = useRouter();
  const [query, setQuery] = useState(initialQuery);
  const [tags, setTags] = useState<TagValue[] | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [now, setNow] = useState(() => Date.now());
  const [selected, setSelected] = useState<string | null>(initialTag);
  const [refreshes, setRefreshes] = useState(0);

  useEffect(() => {
    let stopped = false;
    let controller = new AbortController();
    const refresh = async () => {
      controller.abort();
      controller = new AbortController();
      try {
        const list = await api.listTags(query.trim(), LIST_LIMIT, { signal: controller.signal });
        if (stopped) return;
        setTags(list);
        setListError(null);
        setNow(Date.now());
      } catch (error) {
        if (!stopped && !controller.signal.aborted) setListError(error);
      }
    };
    const first = window.setTimeout(() => void refresh(), 150);
    const timer = window.setInterval(() => void refresh(), REFRESH_MS);
    return () => {
      stopped = true;
      controller.abort();
      window.clearTimeout(first);
      window.clearInterval(timer);
    };
  }, [query, refreshes]);

  const select = (tag: string) => {
    setSelected(tag);
    const params = new URLSearchParams();
    params.set('tag', tag);
    if (query.trim()) params.set('query', query.trim());
    router.replace(`/tags?${params}`, { scroll: false });
  };

  const selectedValue = tags?.find((tag) => tag.tag === selected) ?? null;

  return (
    <main className="page tags-page">
      <div className="page-head">
        <div>
          <h1>{t('tags.title')}</h1>
          <p className="page-lead">{t('tags.lead')}</p>
        </div>
      </div>
      <div className="tags-layout">
        <section className="tag-catalog" aria-labelledby="tag-list-title">
          <h2 id="tag-list-title" className="visually-hidden">
            {t('tags.listTitle')}
          </h2>
          <div className="toolbar">
            <label className="search">
              <span className="visually-hidden">{t('tags.search')}</span>
              <input type="search" value={query} placeholder={t('tags.searchPlaceholder')} onChange={(event) => setQuery(event.target.value)} data-testid="tag-search" />
            </label>
            {tags && (
              <span className="muted small" aria-live="polite">
                {t('tags.count', { count: formatInteger(locale, tags.length) })} · {t('tags.live')}
              </span>
            )}
            <ExportButton candidates={tags?.map((tag) => tag.tag) ?? []} picked={selected ? [selected] : []} />
          </div>
          {listError !== null && <ErrorBanner error={listError} />}
          {tags === null && listError === null && <Loading />}
          {tags !== null && tags.length === 0 && (
            <EmptyState title={query ? t('tags.noMatch', { query }) : t('tags.empty')}>
              <p>{query ? t('tags.noMatchBody') : t('tags.emptyBody')}</p>
            </EmptyState>
          )}
          {tags !== null && tags.length > 0 && (
            <div className="table-wrap scroll">
              <table className="data-table compact tags-table">
                <thead>
                  <tr>
                    <th scope="col">{t('tags.tag')}</th>
                    <th scope="col">{t('tags.description')}</th>
                    <th scope="col" className="num">{t('tags.value')}</th>
                    <th scope="col">{t('tags.unit')}</th>
                    <th scope="col">{t('tags.range')}</th>
                    <th scope="col">{t('tags.quality')}</th>
                    <th scope="col">{t('tags.time')}</th>
                    <th scope="col">{t('tags.source')}</th>
                  </tr>
                </thead>
                <tbody>
                  {tags.map((tag) => (
                    <tr key={tag.tag} className={tag.tag === selected ? 'selected' : undefined} data-testid="tag-row" data-tag={tag.tag}>
                      <td>
                        <button type="button" className="link-button" onClick={() => select(tag.tag)} aria-pressed={tag.tag === selected}>
                          {tag.tag}
                        </button>
                      </td>
                      <td className="small tag-description" title={tag.description ?? undefined} data-testid="tag-description">
                        {tag.description ?? ''}
                      </td>
                      <td className="num">
                        <TagValueText key={tag.ts} className="fresh" testId="tag-value" ts={tag.ts} value={tag.value} quality={tag.quality} reason={tag.reason} showReason />
                      </td>
                      <td className="small" data-testid="tag-unit">
                        {tag.unit ?? ''}
                      </td>
                      <td className="small num">{formatRange(locale, tag.lo, tag.hi, t)}</td>
                      <td>
                        <QualityBadge quality={tag.quality} />
                      </td>
                      <td title={formatDateTime(locale, tag.ts)} className="small">
                        {formatRelative(locale, tag.ts, now)}
                      </td>
                      <td>
                        <SourceBadge source={tag.source} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
        <section className="tag-history panel" aria-labelledby="history-title">
          <h2 id="history-title" className="panel-title">
            {selected ? t('tags.historyOf', { tag: selected }) : t('tags.history')}
          </h2>
          {selected ? (
            <>
              <TagDetails
                key={selected}
                tag={selected}
                onChanged={() => setRefreshes((n) => n + 1)}
                onRemoved={() => {
                  setSelected(null);
                  setRefreshes((n) => n + 1);
                }}
              />
              <TagHistory tag={selected} current={selectedValue} />
            </>
          ) : (
            <p className="muted">{t('tags.pickTag')}</p>
          )}
        </section>
      </div>
    </main>
  );
}

function TagHistory({ tag, current }: { tag: string; current: TagValue | null }) {
  const { t, locale } = useI18n();
  const [choice, setChoice] = useState<RangeChoice>('1h');
  const [custom, setCustom] = useState<TimeRange | null>(null);
  const [history, setHistory] = useState<HistoryResponse | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);

  const load = useCallback(async () => {
    const range = choice === 'custom' ? custom : presetRange(choice, Date.now());
    if (!range) return;
    setLoading(true);
    setError(null);
    try {
      setHistory(await api.tagHistory(tag, { ...range, maxPoints: 600 }));
    } catch (failure) {
      setError(failure);
      setHistory(null);
    } finally {
      setLoading(false);
    }
  }, [tag, choice, custom]);

  useEffect(() => {
    const timer = window.setTimeout(() => void load(), 0);
    return () => window.clearTimeout(timer);
  }, [load, reloads]);

  const series = useMemo(() => (history ? [{ tag, role: 'input' as const, points: history.points }] : []), [history, tag]);
  const info = useMemo(() => describeSeries(series)[0], [series]);
  const rows = useMemo(() => qualityRows(series, new Set(info?.boolean ? [info.key] : [])), [series, info]);
  const times = useMemo(() => seriesTimes(series), [series]);
  const unit = current?.unit ?? null;
  const chartSeries: ChartSeries[] = info ? [{ key: info.key, label: tag, colour: '#1f6fb2', axis: 'left', step: info.boolean, unit }] : [];

  return (
    <div className="history-body">
      {current && (
        <p className="current-value">
          <TagValueText className="big-value" value={current.value} quality={current.quality} reason={current.reason} unit={current.unit} showReason />
          <QualityBadge quality={current.quality} />
          <span className="muted small">{formatDateTime(locale, current.ts)}</span>
        </p>
      )}
      <div className="toolbar wrap">
        <RangePicker
          choice={choice}
          custom={custom}
          onPreset={setChoice}
          onCustom={(range) => {
            setCustom(range);
            setChoice('custom');
          }}
        />
        <button type="button" className="button small" onClick={() => setReloads((n) => n + 1)} disabled={loading}>
          {t('trends.refresh')}
        </button>
      </div>
      {error !== null && <ErrorBanner error={error} onRetry={() => void load()} />}
      {loading && !history && <Loading />}
      {history && history.points.length === 0 && (
        <EmptyState title={t('tags.noHistory')}>
          <p>{t('tags.noHistoryBody')}</p>
        </EmptyState>
      )}
      {history && history.points.length > 0 && info && (
        <>
          {info.min === null ? (
            <p className="muted">{t('tags.notNumeric')}</p>
          ) : (
            <TimeSeriesChart
              rows={rows}
              series={chartSeries}
              locale={locale}
              height={320}
              brushLabel={t('tags.chartLabel', { tag })}
              leftLabel={unit ?? undefined}
              valuesAt={(ts) => valuesAt(series, times, ts)}
              qualityMarks
            />
          )}
          <p className="muted small">{t('tags.points', { count: formatInteger(locale, history.points.length) })}</p>
        </>
      )}
    </div>
  );
}
