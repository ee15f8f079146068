import { randomUUID } from 'node:crypto';
import type { Diagnostic } from '../model/diagnostic';
import { UserError } from '../model/errors';
import type { Logger } from '../support/logger';
import { HUNG, raceHang } from '../support/hang-watchdog';
import { hangDiagnostic } from '../support/hang-message';
import type { SandboxLimits } from '../sandbox/script-sandbox';
import { ThreadClient, type ThreadEntry } from '../threads/thread-rpc';
import { DebugSessions, type SessionBackend } from './debug-sessions';
import type { LabMethods } from '../lab/lab-methods';
import type { LabRunRequest, LabRunResult } from '../lab/lab-run';
import type { ReplayChunk, ReplayOpenRequest, ReplayOutcome, ReplayProgress } from '../lab/plot-replay';
import type { BenchmarkOutcome, BenchmarkRequest } from '../lab/run-benchmark';
import type { LabDebugResult } from '../lab/traced-run';
import type { LabTestOutcome, LabTestRequest } from '../lab/test-run';

/** Editor runs (validate, calculate, debug, benchmark, plot) as the web process sees them. */
export interface LabHost {
  run(request: LabRunRequest): Promise<LabRunResult>;
  debug(request: LabRunRequest): Promise<LabDebugResult>;
  benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome>;
  /** Regression tests of a script (changes.md), each from a fresh initialisation. */
  runTests(request: LabTestRequest): Promise<LabTestOutcome>;
  /** Evaluates a script over replay steps streamed in chunks (plot); at most one chunk is in flight. */
  /**
   * `onChunk` (backfill) sees each chunk's progress in order before the next result is awaited;
   * answering false stops the replay there (cancelled).
   */
  replay(request: ReplayOpenRequest, chunks: AsyncIterable<ReplayChunk>, onChunk?: OnReplayChunk): Promise<ReplayResult>;
  /** Debug sessions: registry here, sandboxes in the lab thread. */
  readonly sessions: DebugSessions;
  close(): Promise<void>;
}

export type OnReplayChunk = (progress: ReplayProgress) => Promise<boolean>;

export type ReplayResult = { ok: true; outcome: ReplayOutcome } | { ok: false; diagnostics: Diagnostic[] };

export interface LabHostOptions {
  /** An editor run that has not returned after this long stops its thread (default max(2 s, 40 × cpuMs)). */
  hangMs?: number;
  sessionTtlMs: number;
  maxSessions: number;
  /** Wall clock for session expiry (tests). */
  clock?: () => number;
  sweepIntervalMs?: number;
}

export type ReplayBackend = Pick<LabMethods, 'openReplay' | 'feedReplay' | 'finishReplay' | 'closeReplay'>;

export const DEFAULT_LAB_OPTIONS: LabHostOptions = { sessionTtlMs: 60_000, maxSessions: 50 };

/**
 * Editor runs in their own worker thread, off the HTTP thread and apart from the engine. Benchmarks
 * get a second lab thread, started on the first one: a benchmark keeps its thread busy for its whole
 * duration (up to 10 s), and calculate, debug or plot calls must not wait behind it. Plots use the
 * main lab thread: they are fed in chunks, so other calls slip in between chunks.
 */
export function threadedLab(entry: ThreadEntry<LabMethods>, limits: SandboxLimits, logger: Logger, options: LabHostOptions = DEFAULT_LAB_OPTIONS): LabHost {
  let guardedLate: <T>(call: () => Promise<T>, onHang: (error: Diagnostic) => T) => Promise<T> = (call) => call();
  const client = new ThreadClient<LabMethods>({
    entry,
    name: 'lab',
    workerData: { limits },
    onError: (error) => logger.error({ err: error }, 'lab thread failed'),
  });
  let benchClient: ThreadClient<LabMethods> | null = null;
  const bench = () =>
    (benchClient ??= new ThreadClient<LabMethods>({
      entry,
      name: 'lab-bench',
      workerData: { limits },
      onError: (error) => logger.error({ err: error }, 'benchmark thread failed'),
    }));
  /** Open replays of backfills (`collect`). */
  const collecting = new Set<string>();
  const backend: SessionBackend & ReplayBackend = {
    openSession: (id, request) => client.call('openSession', id, request),
    runSession: (id, request) =>
      guardedLate(
        () => client.call('runSession', id, request),
        (error) => ({ diagnostics: [], outputs: [], staticVars: {}, durationMs: 0, error, logs: [], trace: [], truncated: false }),
      ),
    closeSession: (id) => client.call('closeSession', id),
    openReplay: (id, request) => {
      if (request.collect) collecting.add(id);
      return client.call('openReplay', id, request);
    },
    feedReplay: (id, chunk) =>
      // A backfill's chunk may use every step's CPU deadline (as regression tests do); a plot's has the editor runs' allowance.
      guarded(client, () => client.call('feedReplay', id, chunk), hangMs + 1000 + (collecting.has(id) ? chunk.times.length * limits.cpuMs : 0), (error) => {
        throw new UserError('SCRIPT_INVALID', `the ${collecting.has(id) ? 'backfill' : 'plot'} was stopped: ${error.message}`, { diagnostics: [error] });
      }),
    finishReplay: (id) => {
      collecting.delete(id);
      return client.call('finishReplay', id);
    },
    closeReplay: (id) => {
      collecting.delete(id);
      return client.call('closeReplay', id);
    },
  };
  const sessions = new DebugSessions(backend, {
    ttlMs: options.sessionTtlMs,
    maxSessions: options.maxSessions,
    clock: options.clock,
    sweepIntervalMs: options.sweepIntervalMs,
    onError: (error) => logger.warn({ err: error }, 'debug session cleanup failed'),
  });
  sessions.start();
  const hangMs = options.hangMs ?? Math.max(2000, 40 * limits.cpuMs);
  guardedLate = (call, onHang) => guarded(client, call, hangMs + 1000, onHang);
  /**
   * QuickJS does not stop a script inside a long native call (a sort or search over a huge array or
   * string): an editor run that has not returned after hangMs stops its thread, which restarts (the
   * debug sessions it held are gone), and answers with a timeout.
   */
  const guarded = async <T,>(which: ThreadClient<LabMethods>, call: () => Promise<T>, ms: number, onHang: (error: Diagnostic) => T): Promise<T> => {
    const pending = call();
    const outcome = await raceHang(pending, ms);
    if (outcome !== HUNG) return outcome as T;
    pending.catch(() => undefined);
    logger.warn({ thread: which === client ? 'lab' : 'lab-bench', ms }, 'an editor run did not return; restarting its thread');
    await which.restart();
    return onHang(hangDiagnostic('hang', ms / 1000, limits.cpuMs));
  };
  const hungRun = (request: LabRunRequest, error: Diagnostic): LabRunResult => ({
    diagnostics: [],
    outputs: request.draft.outputs.map(() => null),
    staticVars: {},
    durationMs: hangMs,
    error,
    logs: [],
  });
  return {
    run: (request) => guarded(client, () => client.call('run', request), hangMs, (error) => hungRun(request, error)),
    debug: (request) =>
      guarded(client, () => client.call('debug', request), hangMs + 1000, (error) => ({ ...hungRun(request, error), trace: [], truncated: false })),
    benchmark: (request) =>
      guarded(bench(), () => bench().call('benchmark', request), request.durationMs + hangMs, (error) => ({
        ok: true as const,
        figures: { iterations: 0, totalMs: 0, avgMicros: 0, p50Micros: 0, p99Micros: 0, maxMicros: 0, errors: 1, lastError: error },
      })),
    // Every step may use its CPU deadline: the watchdog allows for all of them.
    runTests: (request) =>
      guarded(client, () => client.call('runTests', request), hangMs + stepsOf(request) * limits.cpuMs, (error) => ({
        ok: true as const,
        results: request.tests.map(() => ({ outputs: request.draft.outputs.map(() => null), error, step: null })),
      })),
    replay: (request, chunks, onChunk) => driveReplay(backend, request, chunks, onChunk),
    sessions,
    close: async () => {
      sessions.stop();
      await Promise.all([client.close(), benchClient?.close()]);
    },
  };
}

function stepsOf(request: LabTestRequest): number {
  return request.tests.reduce((total, test) => total + test.steps.length, 0);
}

/**
 * Feeds replay chunks to the lab one at a time while the next one is being read: the lab evaluates
 * chunk n while the host reads and merges chunk n + 1, and no more than those two exist at once.
 */
export async function driveReplay(
  backend: ReplayBackend,
  request: ReplayOpenRequest,
  chunks: AsyncIterable<ReplayChunk>,
  onChunk?: OnReplayChunk,
): Promise<ReplayResult> {
  const id = randomUUID();
  const opened = await backend.openReplay(id, request);
  if (!opened.ok) return opened;
  let finished = false;
  let inFlight: Promise<ReplayProgress> | null = null;
  /** The chunk in flight's outcome; false when the replay must stop after it. */
  const settle = async (pending: Promise<ReplayProgress>): Promise<boolean> => {
    const progress = await pending;
    const goOn = onChunk ? await onChunk(progress) : true;
    return goOn && !progress.stopped;
  };
  try {
    for await (const chunk of chunks) {
      if (inFlight) {
        const pending = inFlight;
        inFlight = null;
        if (!(await settle(pending))) break;
      }
      inFlight = backend.feedReplay(id, chunk);
    }
    if (inFlight) {
      const pending = inFlight;
      inFlight = null;
      await settle(pending);
    }
    const outcome = await backend.finishReplay(id);
    finished = true;
    return { ok: true, outcome };
  } finally {
    if (!finished) {
      // Reading failed (a history store went down) or the lab did: let the chunk in flight settle, then free the replay.
      await inFlight?.catch(() => undefined);
      await backend.closeReplay(id).catch(() => undefined);
    }
  }
}

/** The lab of a process without editor runs (the worker): every call says where they are served. */
export function unavailableLab(): LabHost {
  const fail = async (): Promise<never> => {
    throw new Error('editor runs are served by the web process');
  };
  const sessions = new DebugSessions({ openSession: fail, runSession: fail, closeSession: fail }, { ttlMs: 1, maxSessions: 1 });
  return { run: fail, debug: fail, benchmark: fail, runTests: fail, replay: fail, sessions, close: async () => undefined };
}

