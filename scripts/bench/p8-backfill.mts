// P8 — backfill: 7 days of 1 s history for 3 inputs (604 800 steps) computed and written to the
// embedded history by a backfill job (history-ml.md), through the built app's API:
//   1. the baseline, in the same app and run: POST /api/scripts/plot of the same script (P5's
//      boiler_efficiency draft, scripts/plot-workload.ts) over the same period — one warm-up, the
//      median of --plots — in steps per second;
//   2. the API's latency idle: GET /api/scripts, one request after another (25 ms apart) for
//      --idle-seconds, its p99;
//   3. POST /api/scripts/{id}/backfill over the 7 days (mode replace), timed from the POST until
//      GET /api/jobs/{id} says `done`, while the same GET /api/scripts is sampled: its p99;
//   4. the app stopped, the output history read back from the data folder: PLOT.FILTERED changes at
//      every step, so it must hold exactly one row per step (and the job must report every step).
// Bar (quality-bar.md): rate ≥ 0.5 × the plot's; p99 during the job ≤ 2 × idle.
//
// The history (1 814 400 points) is seeded once with the history store's bulk write into
//   ${BENCH_CACHE_DIR:-~/.cache/script-server-bench}/backfill-7d
// and seeded again when db/migrations changes. The outputs of an earlier run are deleted before the
// app starts, so every run writes into an empty period.
//
//   node --import tsx scripts/bench/p8-backfill.mts [--days 7] [--plots 2] [--idle-seconds 10]
//        [--chunks 2048,4096]   one app (and one figure) per BACKFILL_CHUNK_STEPS; default: the app's default
//        [--cpu-prof DIR]       the app runs with node's --cpu-prof (every thread's profile into DIR)
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqlHistoryStore } from '../../lib/adapters/history/sql-history-store';
import { openDatabase } from '../../lib/adapters/store/open-database';
import { silentLogger } from '../../lib/support/logger';
import { authFetch, startApp, type RunningApp } from '../../tests/helpers/app-process';
import { PLOT_DRAFT, plotRange, writePlotHistory } from '../plot-workload';
import { argValue, log, median, migrationsFingerprint, percentile, round, runFigure, sleep, thousands, type FigureResult } from './common.mts';

const args = process.argv.slice(2);
const DAYS = Number(argValue(args, 'days', '7'));
const PLOTS = Number(argValue(args, 'plots', '2'));
const IDLE_SECONDS = Number(argValue(args, 'idle-seconds', '10'));
const CHUNKS = argValue(args, 'chunks', '')
  .split(',')
  .filter((text) => text !== '')
  .map(Number);
const CPU_PROF_DIR = argValue(args, 'cpu-prof', '');
const CACHE = process.env.BENCH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'script-server-bench');
const DATA_DIR = path.join(CACHE, `backfill-${DAYS}d`);
const MARKER = path.join(DATA_DIR, 'bench-seeded.json');
const MIN_RATE_RATIO = 0.5;
const MAX_LATENCY_RATIO = 2;
const SAMPLE_GAP_MS = 25;
const BAR = `rate ≥ ${MIN_RATE_RATIO} × the plot replay's (same script, period, run); API p99 during the job ≤ ${MAX_LATENCY_RATIO} × idle; one output row per step`;
const OUTPUT_TAGS = PLOT_DRAFT.outputs.map((output) => output.tag);
/** The output that changes at every step (the filter of a sine): one row per step. */
const EVERY_STEP_TAG = 'PLOT.FILTERED';

/** One signed-in API call (tests/helpers/api-requests imports vitest, so not from there). */
async function callApi(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const response = await authFetch(`${base}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null, text };
}

async function openHistory() {
  const database = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR, migrationsFolder: path.resolve('db/migrations'), logger: silentLogger });
  return { history: new SqlHistoryStore(database.db as never), close: () => database.close() };
}

async function seeded(): Promise<{ from: number; to: number }> {
  const fingerprint = migrationsFingerprint();
  if (existsSync(MARKER)) {
    const marker = JSON.parse(readFileSync(MARKER, 'utf8')) as { from: number; to: number; migrations: string };
    if (marker.migrations === fingerprint) {
      log(`P8: reusing the seeded history in ${DATA_DIR}`);
      return marker;
    }
    log('P8: db/migrations changed since the history was seeded: seeding again');
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  const { from, to } = plotRange(DAYS);
  log(`P8: seeding ${DAYS} days of 1 s history for ${PLOT_DRAFT.inputs.length} tags into ${DATA_DIR} with the bulk write (once)…`);
  const started = performance.now();
  const { history, close } = await openHistory();
  await writePlotHistory(history, from, to, true);
  await close();
  writeFileSync(MARKER, JSON.stringify({ from, to, migrations: fingerprint, seededAt: new Date().toISOString() }));
  log(`P8: seeded in ${Math.round((performance.now() - started) / 1000)} s`);
  return { from, to };
}

/** Deletes the outputs an earlier run wrote (not timed); or counts the rows of `tag` in the period. */
async function outputRows(range: { from: number; to: number }, action: 'clear' | 'count'): Promise<number> {
  const { history, close } = await openHistory();
  try {
    if (action === 'clear') {
      let deleted = 0;
      for (const tag of OUTPUT_TAGS) deleted += await history.deleteRange(tag, range.from, range.to);
      return deleted;
    }
    let rows = 0;
    for await (const page of history.readTimestamps(EVERY_STEP_TAG, range.from, range.to)) rows += page.length;
    return rows;
  } finally {
    await close();
  }
}

/**
 * GET /api/scripts one after another until `stop()`: each answer's time in ms. A request that fails
 * (a kept-alive connection closed under it) is counted and logged, not timed; more than 5 end the figure.
 */
async function sampleLatency(app: RunningApp, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  let failures = 0;
  while (!stop()) {
    const started = performance.now();
    try {
      const answer = await callApi(app.url, 'GET', '/api/scripts');
      if (answer.status !== 200) throw new Error(`GET /api/scripts answered ${answer.status}: ${answer.text.slice(0, 300)}`);
      times.push(performance.now() - started);
    } catch (error) {
      log(`P8: a latency sample failed: ${(error as Error).message}${(error as Error).cause ? ` (${String((error as Error).cause)})` : ''}`);
      if (++failures > 5) throw error;
    }
    await sleep(SAMPLE_GAP_MS);
  }
  return times;
}

/** CPU seconds the app's process (every thread) has used, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(app: RunningApp): number {
  try {
    const fields = readFileSync(`/proc/${app.process.pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime (fields 14 and 15 of stat; 12 and 13 after the command), in clock ticks of 1/100 s.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

const p99 = (times: number[]) => percentile(Float64Array.from(times).sort(), 99);

/** The bench's script (P5's draft), created once in the data folder; any job of it still open is cancelled. */
async function benchScript(app: RunningApp): Promise<string> {
  const list = await callApi(app.url, 'GET', '/api/scripts');
  let id = (list.json.scripts as Array<{ id: string; name: string }>).find((script) => script.name === PLOT_DRAFT.name)?.id;
  if (!id) {
    const created = await callApi(app.url, 'POST', '/api/scripts', PLOT_DRAFT);
    if (created.status !== 201) throw new Error(`creating the script answered ${created.status}: ${created.text.slice(0, 500)}`);
    id = created.json.id as string;
  }
  for (const state of ['queued', 'running']) {
    const open = await callApi(app.url, 'GET', `/api/jobs?scriptId=${id}&state=${state}`);
    for (const job of open.json.jobs as Array<{ id: string }>) await callApi(app.url, 'POST', `/api/jobs/${job.id}/cancel`);
  }
  return id;
}

interface Measured {
  chunkSteps: number | null;
  plotRate: number;
  rate: number;
  seconds: number;
  serverSeconds: number;
  idleP99: number;
  jobP99: number;
  idleSamples: number;
  jobSamples: number;
  evaluations: number;
  written: number;
  rows: number;
  errors: number;
}

async function measure(range: { from: number; to: number }, steps: number, chunkSteps: number | null): Promise<Measured> {
  const deleted = await outputRows({ from: range.from, to: range.to + 1000 }, 'clear');
  if (deleted > 0) log(`P8: deleted ${thousands(deleted)} output rows of an earlier run`);
  const env: Record<string, string> = { HISTORY_RETENTION_DAYS: '36500', LOG_LEVEL: 'error', SIMULATOR: 'false' };
  if (chunkSteps !== null) env.BACKFILL_CHUNK_STEPS = String(chunkSteps);
  const label = chunkSteps === null ? 'default chunks' : `chunks of ${chunkSteps}`;
  // node's flags go before the entry (NODE_OPTIONS may not carry --cpu-prof).
  const profiled = CPU_PROF_DIR ? { entry: '--cpu-prof', args: [`--cpu-prof-dir=${path.resolve(CPU_PROF_DIR)}`, 'dist/server.mjs'] } : {};
  const app = await startApp({ dataDir: DATA_DIR, env, timeoutMs: 300_000, ...profiled });
  try {
    const id = await benchScript(app);
    // 1. The plot replay of the same script and period: the baseline.
    const plotRates: number[] = [];
    let plotCpu = 0;
    for (let run = 0; run <= PLOTS; run++) {
      const started = performance.now();
      const cpuBefore = cpuSeconds(app);
      // As requestPlot (scripts/plot-workload.ts) does, with this module's signed-in fetch.
      const { status, json: body } = await callApi(app.url, 'POST', '/api/scripts/plot', { script: PLOT_DRAFT, from: range.from, to: range.to, maxPoints: 1000 });
      const seconds = (performance.now() - started) / 1000;
      if (status !== 200) throw new Error(`plot answered ${status}: ${JSON.stringify(body).slice(0, 500)}`);
      log(`P8 (${label}): plot ${run === 0 ? 'warm-up' : `${run}/${PLOTS}`}: ${round(seconds, 2)} s, ${thousands(body.evaluations / seconds)} steps/s`);
      if (run > 0) plotRates.push(body.evaluations / seconds);
      if (run > 0) plotCpu += (cpuSeconds(app) - cpuBefore) / PLOTS;
    }
    // 2. The API idle.
    const idleUntil = performance.now() + IDLE_SECONDS * 1000;
    const idle = await sampleLatency(app, () => performance.now() > idleUntil);
    // 3. The backfill, the API sampled meanwhile.
    let ended = false;
    const sampling = sampleLatency(app, () => ended);
    sampling.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    const started = performance.now();
    const jobCpuBefore = cpuSeconds(app);
    const posted = await callApi(app.url, 'POST', `/api/scripts/${id}/backfill`, {
      from: new Date(range.from).toISOString(),
      to: new Date(range.to + 1000).toISOString(),
      mode: 'replace',
    });
    if (posted.status !== 202) {
      ended = true;
      await sampling.catch(() => undefined);
      throw new Error(`POST backfill answered ${posted.status}: ${posted.text.slice(0, 500)}`);
    }
    let job = posted.json;
    while (!['done', 'failed', 'cancelled'].includes(job.state)) {
      await sleep(100);
      if (app.process.exitCode !== null || app.process.signalCode !== null) throw new Error('the app exited during the backfill');
      job = (await callApi(app.url, 'GET', `/api/jobs/${posted.json.id}`).catch(() => ({ json: job }))).json;
    }
    const seconds = (performance.now() - started) / 1000;
    const jobCpu = cpuSeconds(app) - jobCpuBefore;
    ended = true;
    const during = await sampling;
    // The body of the distribution as well as its tail: a p99 of about 100 samples is their second worst.
    for (const [name, times] of [['idle', idle], ['during the job', during]] as const) {
      const sorted = Float64Array.from(times).sort();
      log(`P8 (${label}): GET /api/scripts ${name}: ${[50, 90, 95, 99].map((q) => `p${q} ${round(percentile(sorted, q), 1)}`).join(', ')}, max ${round(sorted[sorted.length - 1] ?? NaN, 1)} ms`);
    }
    if (job.state !== 'done') throw new Error(`the backfill ended ${job.state}: ${job.error ?? ''}`);
    const serverSeconds = (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000;
    const measured: Measured = {
      chunkSteps,
      plotRate: median(plotRates),
      rate: steps / seconds,
      seconds,
      serverSeconds,
      idleP99: p99(idle),
      jobP99: p99(during),
      idleSamples: idle.length,
      jobSamples: during.length,
      evaluations: job.progress.evaluations,
      written: job.progress.written,
      rows: 0,
      errors: job.progress.errors,
    };
    log(
      `P8 (${label}): backfill ${round(seconds, 2)} s (${round(serverSeconds, 2)} s in the job), ${thousands(measured.rate)} steps/s = ${round(measured.rate / measured.plotRate, 2)} × the plot; ` +
        `${thousands(measured.written)} values written; GET /api/scripts p99 ${round(measured.jobP99, 1)} ms during (${during.length} samples) vs ${round(measured.idleP99, 1)} ms idle (${idle.length}); ` +
        `the app's CPU (every thread, the API's samples included) ${round(jobCpu, 1)} s during the job, ${round(plotCpu, 1)} s a plot`,
    );
    await app.stop();
    measured.rows = await outputRows({ from: range.from, to: range.to + 1000 }, 'count');
    log(`P8 (${label}): ${EVERY_STEP_TAG} holds ${thousands(measured.rows)} rows in the period for ${thousands(steps)} steps`);
    return measured;
  } catch (error) {
    log(`P8 (${label}): failed; the app ${app.process.exitCode === null && app.process.signalCode === null ? 'runs' : `exited (${app.process.exitCode ?? app.process.signalCode})`}, its last output:\n${app.output().slice(-3000)}`);
    throw error;
  } finally {
    await app.stop();
  }
}

function holds(m: Measured, steps: number): boolean {
  return m.rate >= MIN_RATE_RATIO * m.plotRate && m.jobP99 <= MAX_LATENCY_RATIO * m.idleP99 && m.rows === steps && m.evaluations === steps && m.errors === 0;
}

async function main(): Promise<FigureResult[]> {
  const range = await seeded();
  const steps = (range.to - range.from) / 1000 + 1;
  const runs: Measured[] = [];
  for (const chunkSteps of CHUNKS.length > 0 ? CHUNKS : [null]) runs.push(await measure(range, steps, chunkSteps));
  return runs.map((m, index) => {
    const rateRatio = round(m.rate / m.plotRate, 2);
    const latencyRatio = round(m.jobP99 / m.idleP99, 2);
    return {
      id: index === 0 ? 'P8' : `P8 (${m.chunkSteps})`,
      value: Math.round(m.rate),
      unit: 'steps/s',
      baseline: Math.round(m.plotRate),
      ratio: rateRatio,
      bar: BAR,
      holds: holds(m, steps),
      checks: [
        { name: 'plot replay, steps/s', baseline: Math.round(m.plotRate), ratio: rateRatio, bar: `≥ ${MIN_RATE_RATIO} ×`, holds: m.rate >= MIN_RATE_RATIO * m.plotRate },
        { name: 'API p99 idle, ms', baseline: round(m.idleP99, 1), ratio: latencyRatio, bar: `p99 during the job (${round(m.jobP99, 1)} ms) ≤ ${MAX_LATENCY_RATIO} × idle`, holds: m.jobP99 <= MAX_LATENCY_RATIO * m.idleP99 },
        { name: 'steps, rows of PLOT.FILTERED', baseline: steps, ratio: round(m.rows / steps, 4), bar: 'one row per step, every step evaluated, no error', holds: m.rows === steps && m.evaluations === steps && m.errors === 0 },
      ],
      summary:
        `${m.chunkSteps === null ? '' : `chunks of ${m.chunkSteps}: `}${thousands(steps)} steps in ${round(m.seconds, 2)} s (${thousands(m.rate)} steps/s, the plot ${thousands(m.plotRate)}: ${rateRatio}×), ` +
        `${thousands(m.written)} values written, ${thousands(m.rows)} rows of ${EVERY_STEP_TAG}; GET /api/scripts p99 ${round(m.jobP99, 1)} ms during the job vs ${round(m.idleP99, 1)} ms idle (${latencyRatio}×)`,
      details: { ...m, steps, dataDir: DATA_DIR },
    };
  });
}

runFigure(main);
