// Measures a 7-day plot (quality-bar.md P5): seeds 7 days of 1 s history for 3 inputs (604 800
// instants, 1 814 400 points) into the embedded store, then times
//   1. reading that history alone, tag after tag, column-wise as the plot reads it,
//   2. reading and merging it (the history store's share of a plot), and the same plus turning it
//      into replay steps (everything the plot's host thread does but evaluate),
//   3. the plot use case in this process (lab in-process: reading and evaluating take turns),
//   4. with --app: POST /api/scripts/plot on the built app (npm run build), the lab in its worker
//      thread as in production — peak RSS of the app process from /proc (VmHWM).
// Each figure is the best of --runs; main-thread CPU time is printed beside the wall time.
// With --influx URL the history lives in InfluxDB (database script_server_measure_plot) instead.
//
//   npx tsx scripts/measure-plot.ts [--data-dir DIR] [--days 7] [--runs 3] [--page N] [--no-plot] [--app] [--influx URL] [--json]
//
// The seeded history is kept (DIR, default ./data/measure-plot, or the InfluxDB database) and reused.
// Figures vary with the machine and its load; read them as orders of magnitude.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { InfluxHistoryStore } from '../lib/adapters/history/influx-history-store';
import { mergeColumns } from '../lib/history/merge-series';
import { SqlHistoryStore } from '../lib/adapters/history/sql-history-store';
import { openDatabase } from '../lib/adapters/store/open-database';
import { readHistoryColumns } from '../lib/history/history-columns';
import { readAhead } from '../lib/history/read-ahead';
import { inProcessLab } from '../lib/lab-host/in-process-lab';
import { PLOT_READ_PAGE, plotScript, STEPS_PER_CHUNK } from '../lib/editor-runs/plot-script';
import { replaySteps } from '../lib/editor-runs/replay-steps';
import { silentLogger } from '../lib/support/logger';
import type { HistoryStore } from '../lib/ports/history-store';
import type { EditorRunPorts } from '../lib/editor-runs/editor-run-ports';
import { startApp } from '../tests/helpers/app-process';
import { PLOT_DRAFT, PLOT_TAGS, plotRange, requestPlot, writePlotHistory } from './plot-workload';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const dataDir = path.resolve(option('data-dir', 'data/measure-plot'));
const days = Number(option('days', '7'));
const runs = Number(option('runs', '3'));
const viaApp = args.includes('--app');
const influxUrl = args.includes('--influx') ? option('influx', 'http://127.0.0.1:8086') : null;
const INFLUX_DB = 'script_server_measure_plot';
const asJson = args.includes('--json');
const log = (line: string) => {
  if (!asJson) console.log(line);
};

interface Figures {
  ms: number;
  evaluations: number;
  stepsPerSecond: number;
  peakRssMb?: number;
  /** CPU time of the app's main thread and of its busiest other thread (the lab) during the plot. */
  mainCpuMs?: number;
  labCpuMs?: number;
}

/** CPU time (user + system, ms) of each thread of a process, by thread id, from /proc. */
function threadCpu(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(tid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // the thread ended
    }
  }
  return ticks;
}

async function main(): Promise<void> {
  const marker = path.join(dataDir, `seeded-${days}d${influxUrl ? '-influx' : ''}.json`);
  const seededRange = existsSync(marker) ? (JSON.parse(readFileSync(marker, 'utf8')) as { from: number; to: number }) : null;
  const database = await openDatabase({ kind: 'embedded', dataDir, migrationsFolder: path.resolve('db/migrations'), logger: silentLogger });
  let history: HistoryStore = new SqlHistoryStore(database.db as never);
  if (influxUrl) {
    const influx = new InfluxHistoryStore({ url: influxUrl, database: INFLUX_DB, timeoutMs: 120_000 });
    await influx.createDatabaseIfMissing();
    history = influx;
  }
  const range = seededRange ?? (await seed(history, marker));
  const report: Record<string, unknown> = {
    store: influxUrl ? 'influx' : 'embedded',
    days,
    instants: (range.to - range.from) / 1000 + 1,
    points: ((range.to - range.from) / 1000 + 1) * PLOT_TAGS.length,
  };

  const page = Number(option('page', String(PLOT_READ_PAGE)));
  const timed = async (label: string, work: () => Promise<string>): Promise<number> => {
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      const cpu = process.cpuUsage();
      const started = performance.now();
      const detail = await work();
      times.push(performance.now() - started);
      const used = process.cpuUsage(cpu);
      log(`${label}: ${Math.round(times[run])} ms (CPU ${Math.round((used.user + used.system) / 1000)} ms) ${detail}`);
    }
    return Math.round(Math.min(...times));
  };
  const readers = () => PLOT_TAGS.map((tag) => [tag, readAhead(readHistoryColumns(history, tag, range.from, range.to, { chunkSize: page }))] as const);

  // 1. Reading alone, tag after tag.
  report.readMs = await timed('read', async () => {
    let points = 0;
    for (const tag of PLOT_TAGS) for await (const columns of readHistoryColumns(history, tag, range.from, range.to, { chunkSize: page })) points += columns.length;
    return `for ${points} points (${Math.round(points / 1000)} k, page ${page})`;
  });

  // 2. Reading and merging; and also turning the instants into replay steps.
  report.readMergeMs = await timed('read+merge', async () => {
    let instants = 0;
    for await (const batch of mergeColumns(readers(), { maxInstants: STEPS_PER_CHUNK })) instants += batch.length;
    return `for ${instants} instants`;
  });
  report.readMergeStepsMs = await timed('read+merge+steps', async () => {
    const state = { steps: 0, capped: false };
    let chunks = 0;
    const steps = replaySteps(
      mergeColumns(readers(), { maxInstants: STEPS_PER_CHUNK }),
      {
        tags: PLOT_TAGS,
        seriesTags: PLOT_TAGS,
        seeds: [null, null, null],
        trigger: { type: 'onChange', inputs: [true, true, true] },
        from: range.from,
        to: range.to,
        chunkSize: STEPS_PER_CHUNK,
        maxSteps: Infinity,
      },
      state,
    );
    for await (const chunk of steps) chunks += chunk.times.length > 0 ? 1 : 0;
    return `for ${state.steps} steps in ${chunks} chunks`;
  });

  // 2. The use case in this process.
  const lab = inProcessLab({ cpuMs: 50, initCpuMs: 500, memoryMb: 32 });
  const services = { history, lab, store: null } as unknown as Pick<EditorRunPorts, 'store' | 'history' | 'lab'>;
  const inProcess: Figures[] = [];
  for (let run = 0; run < (args.includes('--no-plot') ? 0 : runs); run++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const result = await plotScript(services, { script: PLOT_DRAFT, from: range.from, to: range.to, maxPoints: 1000 });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    inProcess.push({ ms: Math.round(ms), evaluations: result.evaluations, stepsPerSecond: Math.round(result.evaluations / (ms / 1000)) });
    log(
      `in-process plot: ${Math.round(ms)} ms (CPU ${Math.round((used.user + used.system) / 1000)} ms), ${result.evaluations} evaluations (${inProcess[run].stepsPerSecond} steps/s), ` +
        `errors ${result.errors}, points per series ${result.series.map((series) => series.points.length).join('/')}`,
    );
  }
  if (inProcess.length > 0) report.inProcess = best(inProcess);
  await lab.close();
  await database.close();

  // 3. Through the built app.
  if (viaApp) report.app = await measureApp(range);

  const headline = (report.app ?? report.inProcess) as Figures | undefined;
  if (!headline) {
    if (asJson) console.log(JSON.stringify(report));
    return;
  }
  const holds = headline.ms <= 5000 && headline.stepsPerSecond >= 120_000;
  report.bar = { maxMs: 5000, minStepsPerSecond: 120_000, holds };
  if (asJson) console.log(JSON.stringify(report));
  else log(`P5 (≤ 5 s, ≥ 120 000 steps/s) ${holds ? 'holds' : 'does NOT hold'}: ${headline.ms} ms, ${headline.stepsPerSecond} steps/s`);
}

async function measureApp(range: { from: number; to: number }): Promise<Figures> {
  const env: Record<string, string> = { HISTORY_RETENTION_DAYS: '36500', LOG_LEVEL: 'error' };
  if (influxUrl) Object.assign(env, { INFLUX_URL: influxUrl, INFLUX_DB });
  const app = await startApp({ dataDir, env });
  try {
    const figures: Figures[] = [];
    for (let run = 0; run < runs; run++) {
      // Reset the peak resident size of the app process, then read it after the plot.
      writeFileSync(`/proc/${app.process.pid}/clear_refs`, '5');
      const pid = app.process.pid!;
      const cpuBefore = threadCpu(pid);
      const started = performance.now();
      const answer = await requestPlot(app.url, range);
      const body = answer.body;
      const ms = performance.now() - started;
      if (answer.status !== 200) throw new Error(`plot answered ${answer.status}: ${JSON.stringify(body)}`);
      const status = readFileSync(`/proc/${app.process.pid}/status`, 'utf8');
      const peakRssMb = Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      const cpuAfter = threadCpu(pid);
      const used = [...cpuAfter].map(([tid, ms]) => [tid, ms - (cpuBefore.get(tid) ?? 0)] as const);
      const mainCpuMs = Math.round(used.find(([tid]) => tid === String(pid))?.[1] ?? 0);
      const labCpuMs = Math.round(Math.max(0, ...used.filter(([tid]) => tid !== String(pid)).map(([, ms]) => ms)));
      figures.push({ ms: Math.round(ms), evaluations: body.evaluations, stepsPerSecond: Math.round(body.evaluations / (ms / 1000)), peakRssMb, mainCpuMs, labCpuMs });
      log(
        `app plot (HTTP): ${Math.round(ms)} ms, ${body.evaluations} evaluations (${figures[run].stepsPerSecond} steps/s), errors ${body.errors}, ` +
          `peak RSS ${peakRssMb} MB, CPU: main thread ${mainCpuMs} ms, lab thread ${labCpuMs} ms, load ${loadavg()[0].toFixed(1)}`,
      );
    }
    return best(figures);
  } finally {
    await app.stop();
  }
}

function best(figures: Figures[]): Figures {
  return figures.reduce((a, b) => (a.ms <= b.ms ? a : b));
}

async function seed(history: HistoryStore, marker: string): Promise<{ from: number; to: number }> {
  const { from, to } = plotRange(days);
  log(`seeding ${days} days of 1 s history for ${PLOT_TAGS.length} tags into ${influxUrl ? `InfluxDB ${INFLUX_DB}` : dataDir} (once)…`);
  const started = performance.now();
  await writePlotHistory(history, from, to);
  writeFileSync(marker, JSON.stringify({ from, to, seededAt: new Date().toISOString() }));
  log(`seeded in ${Math.round((performance.now() - started) / 1000)} s`);
  return { from, to };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
