'use client';

import { Brush, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartRow } from '@/lib/ui/plot-data';
import { formatAxisTime, formatDateTime, formatNumber, type Locale } from '@/lib/ui/format';
import { qualityKey, type ValueAtCursor } from '@/lib/ui/trend-series';
import { AllSeriesTooltip } from './all-series-tooltip';
import { ValueText } from '../ui/value-text';

export interface ChartSeries {
  key: string;
  label: string;
  colour: string;
  /** 'left', 'right', or the id of one of `axes`. */
  axis: string;
  step?: boolean;
  hidden?: boolean;
  /** Engineering unit, shown after values in the tooltip. */
  unit?: string | null;
}

/** A Y axis of its own (one per unit): the series whose `axis` is its id are drawn against it. */
export interface ChartAxis {
  id: string;
  orientation: 'left' | 'right';
  label?: string;
}

export interface TimeSeriesChartProps {
  rows: ChartRow[];
  series: ChartSeries[];
  /** Values to show in the tooltip when the drawn rows are scaled (normalised view). */
  rawRows?: ChartRow[];
  normalised?: boolean;
  locale: Locale;
  height: number;
  leftLabel?: string;
  rightLabel?: string;
  brushLabel: string;
  /** Y axes to draw instead of left/right (one axis per unit). */
  axes?: ChartAxis[];
  /** Every series' value at the cursor (the tooltip lists them all, with unit and quality). */
  valuesAt?: (ts: number) => Record<string, ValueAtCursor | null>;
  /** Rows carry quality marks (trend-series qualityRows): bad values are gaps, uncertain ones dots. */
  qualityMarks?: boolean;
  /** Draw the brush to zoom (default true; a small companion chart goes without). */
  brush?: boolean;
}

interface TooltipEntry {
  dataKey?: string | number;
  value?: number | null;
}

function TooltipBox({
  active,
  label,
  payload,
  series,
  rawRows,
  locale,
  normalised,
}: {
  active?: boolean;
  label?: number;
  payload?: TooltipEntry[];
  series: ChartSeries[];
  rawRows?: ChartRow[];
  locale: Locale;
  normalised?: boolean;
}) {
  if (!active || !payload?.length || label === undefined) return null;
  const raw = rawRows?.find((row) => row.ts === label);
  return (
    <div className="chart-tooltip">
      <div className="tooltip-time">{formatDateTime(locale, label)}</div>
      <table>
        <tbody>
          {payload.map((entry) => {
            const info = series.find((s) => s.key === entry.dataKey);
            if (!info) return null;
            const value = raw ? raw[info.key] : entry.value;
            return (
              <tr key={info.key}>
                <td>
                  <span className="swatch" style={{ background: info.colour }} />
                  {info.label}
                </td>
                <td className="num">
                  <ValueText value={value} locale={locale} />
                  {normalised && entry.value !== null && entry.value !== undefined && <span className="muted"> ({formatNumber(locale, entry.value, 0)} %)</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Lines over time with separate left/right axes, a tooltip and a brush to zoom (recharts, loaded lazily). */
export default function TimeSeriesChart({ rows, series, rawRows, normalised, locale, height, leftLabel, rightLabel, brushLabel, axes, valuesAt, qualityMarks, brush = true }: TimeSeriesChartProps) {
  const span = rows.length > 1 ? rows[rows.length - 1].ts - rows[0].ts : 3600_000;
  const usesRight = axes ? axes.some((axis) => axis.orientation === 'right') : series.some((s) => s.axis === 'right' && !s.hidden);
  return (
    <div className="chart" style={{ height }} data-testid="chart" aria-label={brushLabel}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={rows} margin={{ top: 8, right: usesRight ? 8 : 24, bottom: 0, left: 8 }}>
          <CartesianGrid stroke="#e3e7ed" strokeDasharray="3 3" />
          <XAxis
            dataKey="ts"
            type="number"
            scale="time"
            domain={['dataMin', 'dataMax']}
            tickFormatter={(value: number) => formatAxisTime(locale, value, span)}
            minTickGap={40}
            fontSize={12}
          />
          {axes?.map((axis) => (
            <YAxis
              key={axis.id}
              yAxisId={axis.id}
              orientation={axis.orientation}
              fontSize={12}
              width={64}
              domain={['auto', 'auto']}
              tickFormatter={(value: number) => formatNumber(locale, value, 2)}
              label={axis.label ? { value: axis.label, angle: axis.orientation === 'left' ? -90 : 90, position: axis.orientation === 'left' ? 'insideLeft' : 'insideRight', fontSize: 12, fill: '#5b6572' } : undefined}
            />
          ))}
          {!axes && <YAxis
            yAxisId="left"
            fontSize={12}
            width={64}
            domain={normalised ? [0, 100] : ['auto', 'auto']}
            tickFormatter={(value: number) => formatNumber(locale, value, 2)}
            label={leftLabel ? { value: leftLabel, angle: -90, position: 'insideLeft', fontSize: 12, fill: '#5b6572' } : undefined}
          />}
          {!axes && usesRight && (
            <YAxis
              yAxisId="right"
              orientation="right"
              fontSize={12}
              width={64}
              domain={['auto', 'auto']}
              tickFormatter={(value: number) => formatNumber(locale, value, 2)}
              label={rightLabel ? { value: rightLabel, angle: 90, position: 'insideRight', fontSize: 12, fill: '#5b6572' } : undefined}
            />
          )}
          <Tooltip
            content={(props: unknown) => {
              const p = props as { active?: boolean; label?: number; payload?: TooltipEntry[] };
              if (valuesAt) return p.active && p.label !== undefined ? <AllSeriesTooltip ts={p.label} series={series} values={valuesAt(p.label)} locale={locale} /> : null;
              return <TooltipBox {...p} series={series} rawRows={rawRows} locale={locale} normalised={normalised} />;
            }}
          />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              yAxisId={axes ? s.axis : s.axis === 'right' && usesRight ? 'right' : 'left'}
              type={s.step ? 'stepAfter' : 'linear'}
              stroke={s.colour}
              strokeWidth={1.6}
              dot={qualityMarks ? (props: unknown) => <QualityDot {...(props as DotProps)} markKey={qualityKey(s.key)} /> : false}
              isAnimationActive={false}
              connectNulls={!qualityMarks}
              hide={s.hidden}
            />
          ))}
          {brush && rows.length > 2 && (
            <Brush dataKey="ts" height={24} stroke="#7a8699" travellerWidth={8} tickFormatter={(value: number) => formatAxisTime(locale, value, span)} />
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

interface DotProps {
  cx?: number;
  cy?: number;
  index?: number;
  payload?: Record<string, number | null | undefined>;
}

/** An amber dot on an uncertain value; nothing elsewhere (a bad value is a gap in the line). */
function QualityDot({ cx, cy, index, payload, markKey }: DotProps & { markKey: string }) {
  if (payload?.[markKey] !== 1 || cx === undefined || cy === undefined || cy === null) return <g key={`q${index}`} />;
  return <circle key={`q${index}`} cx={cx} cy={cy} r={3.5} fill="#e0a100" stroke="#9a6700" strokeWidth={1} data-quality="uncertain" />;
}
