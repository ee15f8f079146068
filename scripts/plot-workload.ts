// The workload of the 7-day plot figure (quality-bar.md P5), shared by scripts/measure-plot.ts and
// scripts/bench/p5-plot.mts: three 1 s input series and the boiler_efficiency draft plotted over them.
import type { HistoryRecord, HistoryStore } from '../lib/ports/history-store';
import { authFetch } from '../tests/helpers/app-process';

export const PLOT_TAGS = ['PLOT.STEAM', 'PLOT.FUEL', 'PLOT.TEMP'];

export const PLOT_DRAFT = {
  name: 'boiler_efficiency',
  inputs: PLOT_TAGS.map((tag, index) => ({ tag, alias: ['steam', 'fuel', 'temp'][index] })),
  initCode: 'let runs = 0;\nlet filtered = null;',
  calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel : null;\nfiltered = filtered === null ? temp : filtered + 0.1 * (temp - filtered);\nconst hot = filtered > 85;',
  outputs: [
    { tag: 'PLOT.EFF', variable: 'eff', deadband: 0.0001 },
    { tag: 'PLOT.FILTERED', variable: 'filtered' },
    { tag: 'PLOT.HOT', variable: 'hot' },
  ],
};

/** The last `days` days up to the last whole hour: a range the history's retention keeps. */
export function plotRange(days: number, now = Date.now()): { from: number; to: number } {
  const to = Math.floor(now / 3_600_000) * 3_600_000 - 1000;
  return { from: to - days * 86_400_000 + 1000, to };
}

/**
 * Writes one value a second of every series from `from` to `to`, in writes of 60 000 records
 * (`bulk`: with the store's bulk write, as a backfill writes; P8 seeds its history so).
 */
export async function writePlotHistory(history: HistoryStore, from: number, to: number, bulk = false): Promise<void> {
  const write = (records: HistoryRecord[]) => (bulk ? history.writeBulk(records) : history.write(records));
  const batch: HistoryRecord[] = [];
  for (let ts = from; ts <= to; ts += 1000) {
    const t = (ts - from) / 1000;
    batch.push(
      { tag: PLOT_TAGS[0], ts, value: 12 + 2 * Math.sin(t / 600) + (t % 86_400 === 43_200 ? 30 : 0), quality: 'good', source: 'raw' },
      { tag: PLOT_TAGS[1], ts, value: 4 + Math.cos(t / 900), quality: 'good', source: 'raw' },
      { tag: PLOT_TAGS[2], ts, value: 80 + 10 * Math.sin(t / 3600), quality: t % 5000 === 0 ? 'uncertain' : 'good', source: 'raw' },
    );
    if (batch.length >= 60_000) await write(batch.splice(0));
  }
  if (batch.length > 0) await write(batch.splice(0));
}

/** What /api/scripts/plot answers, as far as the measurements read it. */
export interface PlotAnswer {
  evaluations: number;
  errors: number;
  series: { points: unknown[] }[];
}

/** POST /api/scripts/plot of the workload's draft over `range`, 1 000 points per series. */
export async function requestPlot(baseUrl: string, range: { from: number; to: number }): Promise<{ status: number; body: PlotAnswer }> {
  const response = await authFetch(`${baseUrl}/api/scripts/plot`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ script: PLOT_DRAFT, from: range.from, to: range.to, maxPoints: 1000 }),
  });
  return { status: response.status, body: (await response.json()) as PlotAnswer };
}
