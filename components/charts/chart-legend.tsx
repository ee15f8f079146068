'use client';

import type { ChartSeries } from './time-series-chart';

/** Legend entries as toggle buttons: a click hides or shows a series (keyboard-reachable, unlike SVG legends). */
export function ChartLegend({ series, onToggle, hint }: { series: ChartSeries[]; onToggle: (key: string) => void; hint: string }) {
  return (
    <ul className="chart-legend" aria-label={hint}>
      {series.map((s) => (
        <li key={s.key}>
          <button
            type="button"
            className={`legend-item${s.hidden ? ' off' : ''}`}
            aria-pressed={!s.hidden}
            onClick={() => onToggle(s.key)}
            data-testid="legend-item"
            data-series={s.label}
          >
            <span className="swatch" style={{ background: s.hidden ? 'transparent' : s.colour, borderColor: s.colour }} />
            {s.label}
          </button>
        </li>
      ))}
    </ul>
  );
}
