// P5 — plot: 7 days of 1 s history for 3 inputs (604 800 steps) evaluated and downsampled, through
// the built app: POST /api/scripts/plot (the lab in its worker thread, as in production) against the
// embedded history. The workload (series and script) is scripts/plot-workload.ts, as in scripts/measure-plot.ts.
//
// The history (1 814 400 points) is seeded once into a data folder outside the repo and reused:
//   ${BENCH_CACHE_DIR:-~/.cache/script-server-bench}/plot-7d
// It is seeded again when db/migrations changes. One warm-up plot, then the median of --runs.
//
//   node --import tsx scripts/bench/p5-plot.mts [--runs 3] [--days 7]
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqlHistoryStore } from '../../lib/adapters/history/sql-history-store';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { silentLogger } from '../../lib/support/logger';
import { startApp } from '../../tests/helpers/app-process';
import { PLOT_TAGS, plotRange, requestPlot, writePlotHistory } from '../plot-workload';
import { argValue, log, median, migrationsFingerprint, procMemory, round, runFigure, spread, thousands, type FigureResult } from './common.mts';

const args = process.argv.slice(2);
const RUNS = Number(argValue(args, 'runs', '3'));
const DAYS = Number(argValue(args, 'days', '7'));
const CACHE = process.env.BENCH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'script-server-bench');
const DATA_DIR = path.join(CACHE, `plot-${DAYS}d`);
const MARKER = path.join(DATA_DIR, 'bench-seeded.json');
const MAX_SECONDS = 5;
const MIN_STEPS_PER_SECOND = 120_000;

async function seeded(): Promise<{ from: number; to: number }> {
  const fingerprint = migrationsFingerprint();
  if (existsSync(MARKER)) {
    const marker = JSON.parse(readFileSync(MARKER, 'utf8')) as { from: number; to: number; migrations: string };
    if (marker.migrations === fingerprint) {
      log(`P5: reusing the seeded history in ${DATA_DIR}`);
      return marker;
    }
    log('P5: db/migrations changed since the history was seeded: seeding again');
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  const { from, to } = plotRange(DAYS);
  log(`P5: seeding ${DAYS} days of 1 s history for ${PLOT_TAGS.length} tags into ${DATA_DIR} (once; a few minutes)…`);
  const started = performance.now();
  const database = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR, migrationsFolder: path.resolve('db/migrations'), logger: silentLogger });
  await writePlotHistory(new SqlHistoryStore(database.db as never), from, to);
  await database.close();
  writeFileSync(MARKER, JSON.stringify({ from, to, migrations: fingerprint, seededAt: new Date().toISOString() }));
  log(`P5: seeded in ${Math.round((performance.now() - started) / 1000)} s`);
  return { from, to };
}

async function main(): Promise<FigureResult> {
  const range = await seeded();
  const steps = (range.to - range.from) / 1000 + 1;
  const app = await startApp({ dataDir: DATA_DIR, env: { HISTORY_RETENTION_DAYS: '36500', LOG_LEVEL: 'error' }, timeoutMs: 300_000 });
  const seconds: number[] = [];
  const rates: number[] = [];
  let peakRssMb = 0;
  let errors = 0;
  try {
    for (let run = 0; run <= RUNS; run++) {
      const started = performance.now();
      const { status, body } = await requestPlot(app.url, range);
      const elapsed = (performance.now() - started) / 1000;
      if (status !== 200) throw new Error(`plot answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
      if (body.evaluations !== steps) log(`P5: warning: ${body.evaluations} evaluations, expected ${steps}`);
      errors = body.errors;
      peakRssMb = Math.max(peakRssMb, round((await procMemory(app.process.pid!)).peak / 1024 / 1024));
      log(`P5: ${run === 0 ? 'warm-up' : `run ${run}/${RUNS}`}: ${round(elapsed, 2)} s, ${thousands(body.evaluations)} steps (${thousands(body.evaluations / elapsed)} steps/s), points per series ${body.series.map((series) => series.points.length).join('/')}`);
      if (run === 0) continue;
      seconds.push(elapsed);
      rates.push(body.evaluations / elapsed);
    }
  } finally {
    await app.stop();
  }
  const value = median(seconds);
  const rate = steps / value;
  return {
    id: 'P5',
    value: round(value, 2),
    unit: 's',
    baseline: null,
    ratio: null,
    bar: `≤ ${MAX_SECONDS} s and ≥ ${thousands(MIN_STEPS_PER_SECOND)} steps/s`,
    holds: value <= MAX_SECONDS && rate >= MIN_STEPS_PER_SECOND && errors === 0,
    summary: `${round(value, 2)} s for ${thousands(steps)} steps: ${thousands(rate)} steps/s (peak RSS of the app ${peakRssMb} MB)`,
    details: { steps, points: steps * PLOT_TAGS.length, runs: RUNS, seconds: seconds.map((s) => round(s, 3)), stepsPerSecond: Math.round(rate), spread: round(spread(seconds), 3), errors, peakRssMb, dataDir: DATA_DIR },
  };
}

runFigure(main);
