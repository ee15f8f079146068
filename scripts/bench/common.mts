// Shared by the benchmark runner and the figure scripts (scripts/bench/p*.mts).
//
// Every figure script runs in its own Node.js process, logs to stderr and prints exactly one line on
// stdout: the JSON of its FigureResult. The runner (run-bench.mts) collects them into the table.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopAllApps } from '../../tests/helpers/app-process';

export interface Check {
  /** What the measured value is compared with, e.g. "bare QuickJS loop". */
  name: string;
  baseline: number;
  ratio: number;
  bar: string;
  holds: boolean;
}

export interface FigureResult {
  id: string;
  value: number | null;
  unit: string;
  baseline: number | null;
  ratio: number | null;
  bar: string;
  holds: boolean;
  /** Set when the figure could not be measured (a service is missing, the build failed…). */
  skipped?: string;
  /** One line for the table: the absolute figures, printed beside the ratio. */
  summary?: string;
  /** P1 has two baselines: every comparison, the first one also in baseline/ratio. */
  checks?: Check[];
  details?: Record<string, unknown>;
}

export function log(...parts: unknown[]): void {
  process.stderr.write(`[bench] ${parts.map(String).join(' ')}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile of an already sorted array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** Relative spread of samples: (max − min) / median, to show how noisy a figure was. */
export function spread(values: readonly number[]): number {
  if (values.length < 2) return 0;
  return (Math.max(...values) - Math.min(...values)) / median(values);
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** 1234567 → "1 234 567" (the spec's thousands separator). */
export function thousands(value: number): string {
  return Math.round(value).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** A seeded PRNG (mulberry32): the same seed gives the same scripts and inputs on every run. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function argValue(args: readonly string[], name: string, fallback: string): string {
  const index = args.indexOf(`--${name}`);
  if (index >= 0 && index + 1 < args.length) return args[index + 1];
  const inline = args.find((arg) => arg.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}

/**
 * Runs a figure script's main and prints its result (or results) as the one stdout line. On every way
 * out — result, error, Ctrl-C, SIGTERM — what the figure started (apps, process groups) is stopped first.
 */
export function runFigure(main: () => Promise<FigureResult | FigureResult[]>): void {
  installExitHandlers();
  main()
    .then(async (result) => {
      await stopEverything();
      process.stdout.write(`${JSON.stringify(result)}\n`);
      // Kafka clients, timers and worker threads may linger: the result is out, leave.
      process.exit(0);
    })
    .catch(async (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      await stopEverything();
      process.exit(1);
    });
}

/** Something this process started and must stop before it leaves: politely (stop) or, on exit, at once (killNow). */
export interface Owned {
  stop(): Promise<void>;
  killNow(): void;
}

const owned = new Set<Owned>();
let handlersInstalled = false;
let stopping: Promise<void> | null = null;

/** Registers something this figure started, so runFigure stops it on every way out; returns the unregistration. */
export function own(entry: Owned): () => void {
  installExitHandlers();
  owned.add(entry);
  return () => void owned.delete(entry);
}

/** Stops everything still owned: the process groups of spawnProcessGroup and the apps of startApp. */
export function stopEverything(): Promise<void> {
  stopping ??= Promise.allSettled([...[...owned].map((entry) => entry.stop()), stopAllApps()]).then(() => {
    stopping = null;
  });
  return stopping;
}

/**
 * Ctrl-C (SIGINT), SIGTERM, SIGHUP: stop what we started, waiting for it to exit (its output pipes
 * stay open meanwhile — a server whose stdout reader is gone can spin on EPIPE instead of exiting),
 * then leave; a second signal kills at once. Any process exit: SIGKILL whatever is still running.
 */
function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  let signalled = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      const code = 128 + (os.constants.signals[signal] ?? 1);
      if (signalled) process.exit(code);
      signalled = true;
      log(`${signal}: stopping what this figure started (again to kill it at once)…`);
      void stopEverything().finally(() => process.exit(code));
    });
  }
  process.on('exit', () => {
    for (const entry of owned) entry.killNow();
  });
}

/** Whether any live (not zombie) process is left in process group `pgid`. */
export function processGroupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
    }
    return false;
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface ProcessGroup {
  child: ChildProcess;
  /**
   * SIGTERM to the whole group, then wait until no process of it is left (SIGKILL after graceMs).
   * Only then may the caller let go of the output pipes or delete the data the processes use.
   */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns a command in a process group of its own (detached) and owns the whole group: `npm start`
 * is npm → sh → node, and killing npm alone, or waiting only for npm to exit, leaves the server
 * behind. stop() is idempotent; runFigure's handlers call it on every way out.
 */
export function spawnProcessGroup(command: string, args: string[], options: SpawnOptions = {}): ProcessGroup {
  installExitHandlers();
  const child = spawn(command, args, { ...options, detached: true });
  const pgid = child.pid;
  const signalGroup = (signal: NodeJS.Signals) => {
    if (pgid === undefined) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is gone
    }
  };
  let stopped: Promise<void> | null = null;
  const stop = (graceMs = 15_000): Promise<void> =>
    (stopped ??= (async () => {
      if (pgid !== undefined) {
        signalGroup('SIGTERM');
        const deadline = Date.now() + graceMs;
        let killed = false;
        while (processGroupAlive(pgid)) {
          if (!killed && Date.now() > deadline) {
            log(`process group ${pgid} (${command} ${args.join(' ')}) still running ${Math.round(graceMs / 1000)} s after SIGTERM: SIGKILL`);
            signalGroup('SIGKILL');
            killed = true;
          }
          if (killed && Date.now() > deadline + 10_000) {
            log(`process group ${pgid} still has a process 10 s after SIGKILL (uninterruptible?): giving up on it`);
            break;
          }
          await sleep(50);
        }
      }
      owned.delete(entry);
    })());
  const entry: Owned = { stop: () => stop(), killNow: () => signalGroup('SIGKILL') };
  owned.add(entry);
  return { child, stop };
}

export function skipped(id: string, unit: string, bar: string, reason: string): FigureResult {
  return { id, value: null, unit, baseline: null, ratio: null, bar, holds: false, skipped: reason };
}

/** Runs a command, its output to our stderr; resolves with the exit code. */
export function runToStderr(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd ?? process.cwd(), env: options.env ?? process.env, stdio: ['ignore', 2, 2] });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    child.once('error', () => resolve(127));
  });
}

/** Resident set size of a process, from /proc (Linux): current and peak, in bytes. */
export async function procMemory(pid: number): Promise<{ rss: number; peak: number }> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** A hash of db/migrations: a seeded benchmark database is seeded again when it changes. */
export function migrationsFingerprint(): string {
  const folder = path.resolve('db/migrations');
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(`${path.relative(folder, full)}\n`).update(readFileSync(full));
    }
  };
  walk(folder);
  return hash.digest('hex').slice(0, 16);
}
