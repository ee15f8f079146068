'use client';

import { Brush, CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ChartRow } from '@/lib/ui/plot-data';
import { formatAxisTime, formatDateTime, formatNumber, type Locale } from '@/lib/ui/format';
import { ValueText } from '../ui/value-text';

export interface ChartSeries {
  key: string;
  label: string;
  colour: string;
  axis: 'left' | 'right';
  step?: boolean;
  hidden?: boolean;
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
export default function TimeSeriesChart({ rows, series, rawRows, normalised, locale, height, leftLabel, rightLabel, brushLabel }: TimeSeriesChartProps) {
  const span = rows.length > 1 ? rows[rows.length - 1].ts - rows[0].ts : 3600_000;
  const usesRight = series.some((s) => s.axis === 'right' && !s.hidden);
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
          <YAxis
            yAxisId="left"
            fontSize={12}
            width={64}
            domain={normalised ? [0, 100] : ['auto', 'auto']}
            tickFormatter={(value: number) => formatNumber(locale, value, 2)}
            label={leftLabel ? { value: leftLabel, angle: -90, position: 'insideLeft', fontSize: 12, fill: '#5b6572' } : undefined}
          />
          {usesRight && (
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
              return <TooltipBox {...p} series={series} rawRows={rawRows} locale={locale} normalised={normalised} />;
            }}
          />
          {series.map((s) => (
            <Line
              key={s.key}
              dataKey={s.key}
              name={s.label}
              yAxisId={s.axis === 'right' && usesRight ? 'right' : 'left'}
              type={s.step ? 'stepAfter' : 'linear'}
              stroke={s.colour}
              strokeWidth={1.6}
              dot={false}
              isAnimationActive={false}
              connectNulls
              hide={s.hidden}
            />
          ))}
          {rows.length > 2 && (
            <Brush dataKey="ts" height={24} stroke="#7a8699" travellerWidth={8} tickFormatter={(value: number) => formatAxisTime(locale, value, span)} />
          )}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
