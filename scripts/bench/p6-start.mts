// P6 — embedded start: `npm start` on a built app, from spawn to the first 200 of /api/health, with a
// fresh DATA_DIR (so the embedded database is created, migrated and seeded with the example scripts)
// and nothing configured (embedded database, in-process bus, simulator on). The median of --runs.
// A run in which `npm start` found the build stale (and rebuilt) is not counted: the app is built
// again first and the run repeated.
//
//   node --import tsx scripts/bench/p6-start.mts [--runs 3]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../tests/helpers/app-process';
import { argValue, log, median, round, runFigure, runToStderr, sleep, spawnProcessGroup, spread, type FigureResult } from './common.mts';

const args = process.argv.slice(2);
const RUNS = Number(argValue(args, 'runs', '3'));
const MAX_SECONDS = 10;

const CONFIG_VARIABLES = ['PORT', 'HOST', 'DATA_DIR', 'DATABASE_URL', 'KAFKA_BROKERS', 'INFLUX_URL', 'SIMULATOR', 'NODE_ENV', 'LOG_LEVEL', 'LOG_FORMAT'];

async function buildIsCurrent(): Promise<boolean> {
  const { buildIsCurrent: check } = (await import(path.resolve('scripts/fingerprint.mjs'))) as { buildIsCurrent: (root?: string) => boolean };
  return check(process.cwd());
}

/** Where start-up time goes: the app's own log lines (JSON, with their time), relative to the spawn. */
const MILESTONES: Array<[string, RegExp]> = [
  ['process started', /starting \(/],
  ['web app prepared', /web app prepared/],
  ['embedded database ready', /embedded database ready/],
  ['example scripts created', /example scripts/],
  ['registered scripts loaded', /registered scripts loaded/],
  ['simulator started', /plant simulator publishing/],
  ['history backfilled', /filled the last hour/],
  ['listening', /is ready at/],
];

function milestones(output: string, spawnedAt: number): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { msg?: string; time?: number };
      if (!entry.msg || !entry.time) continue;
      for (const [name, pattern] of MILESTONES) if (!(name in found) && pattern.test(entry.msg)) found[name] = round((entry.time - spawnedAt) / 1000, 2);
    } catch {
      // not a log line
    }
  }
  return found;
}

async function startOnce(): Promise<{ seconds: number; rebuilt: boolean; milestones: Record<string, number> }> {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-bench-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete env[name];
  Object.assign(env, { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir });
  const started = performance.now();
  const spawnedAt = Date.now();
  // npm → sh → node scripts/start.mjs (the server): a process group of its own, stopped as a whole.
  const group = spawnProcessGroup('npm', ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const child = group.child;
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited with ${child.exitCode ?? child.signalCode} before /api/health answered 200:\n${output.slice(-3000)}`);
      if (performance.now() - started > 120_000) throw new Error(`npm start: no 200 from /api/health within 120 s:\n${output.slice(-3000)}`);
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(1000) });
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    const seconds = (performance.now() - started) / 1000;
    // The log lines up to the first 200 (a moment for the last ones to arrive).
    await sleep(300);
    return { seconds, rebuilt: output.includes('No current build'), milestones: { ...milestones(output, spawnedAt), 'health 200': round(seconds, 2) } };
  } finally {
    // Not only npm: wait until the server itself has exited (SIGKILL after 15 s). Waiting for npm alone
    // and leaving let the server outlive us — its stdout reader gone, it spun on EPIPE forever.
    await group.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<FigureResult> {
  const seconds: number[] = [];
  const timelines: Array<Record<string, number>> = [];
  let attempts = 0;
  while (seconds.length < RUNS && attempts < RUNS + 3) {
    attempts++;
    if (!(await buildIsCurrent())) {
      log('P6: the build is not current (sources changed): building first, outside the timing…');
      const code = await runToStderr(process.execPath, ['scripts/build.mjs']);
      if (code !== 0) throw new Error(`npm run build failed (exit ${code})`);
    }
    let run;
    try {
      run = await startOnce();
    } catch (error) {
      // Someone building in this tree can take .next away under a starting app: try again.
      log(`P6: a run failed, not counted: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`);
      continue;
    }
    if (run.rebuilt) {
      log(`P6: npm start rebuilt during the run (a source changed meanwhile): ${round(run.seconds, 2)} s not counted`);
      continue;
    }
    seconds.push(run.seconds);
    timelines.push(run.milestones);
    log(`P6: run ${seconds.length}/${RUNS}: /api/health 200 after ${round(run.seconds, 2)} s — ${Object.entries(run.milestones).map(([name, at]) => `${name} ${at} s`).join(', ')}`);
  }
  if (seconds.length === 0) throw new Error('P6: no run without a rebuild');
  const value = median(seconds);
  return {
    id: 'P6',
    value: round(value, 2),
    unit: 's',
    baseline: null,
    ratio: null,
    bar: `≤ ${MAX_SECONDS} s`,
    holds: value <= MAX_SECONDS,
    summary: `npm start → /api/health 200 in ${round(value, 2)} s (median of ${seconds.length}: ${seconds.map((s) => round(s, 2)).join(', ')} s)`,
    details: { runs: seconds.map((s) => round(s, 3)), spread: round(spread(seconds), 3), timelineOfMedianRun: timelines[seconds.indexOf(medianRun(seconds))] },
  };
}

function medianRun(values: number[]): number {
  return [...values].sort((a, b) => a - b)[(values.length - 1) >> 1];
}

runFigure(main);
