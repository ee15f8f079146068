import { compileScript } from '../compiler/compile-script';
import { hasErrors, type Diagnostic } from '../model/diagnostic';
import { UserError } from '../model/errors';
import { ScriptSandbox, type SandboxLimits } from '../sandbox/script-sandbox';
import { LabSessions, type OpenSessionRequest, type OpenSessionResult, type RunSessionRequest } from './lab-sessions';
import { PlotReplay, type ReplayChunk, type ReplayOpenRequest, type ReplayOutcome, type ReplayProgress } from './plot-replay';
import { runBenchmark, type BenchmarkOutcome, type BenchmarkRequest } from './run-benchmark';
import { concatTraces } from './trace-steps';
import type { LabRunRequest, LabRunResult } from './lab-run';
import { evaluateTraced, loadTraced, type LabDebugResult } from './traced-run';
import { runTestCases, type LabTestOutcome, type LabTestRequest } from './test-run';

/**
 * Runs scripts for the editor, in the lab thread: once (validate, calculate), traced (debug, debug
 * sessions), repeatedly (benchmark) and over history (plot). The same compiler, sandbox, limits and
 * prelude as the engine; editor runs turn on the editor's extras — every output reported (not only
 * the changed ones), what was computed before an error kept, console output captured.
 */

export class Lab {
  private sandbox: ScriptSandbox | null = null;
  readonly sessions: LabSessions;
  private readonly replays = new Map<string, PlotReplay>();

  constructor(private readonly limits: SandboxLimits) {
    this.sessions = new LabSessions(limits);
  }

  private async usableSandbox(): Promise<ScriptSandbox> {
    if (!this.sandbox || this.sandbox.broken) {
      this.sandbox?.dispose();
      this.sandbox = await ScriptSandbox.create(this.limits);
    }
    return this.sandbox;
  }

  async run(request: LabRunRequest): Promise<LabRunResult> {
    const compiled = compileScript(request.draft, { capture: true });
    const empty = (diagnostics: Diagnostic[], error: Diagnostic | null = null): LabRunResult => ({
      diagnostics,
      outputs: request.draft.outputs.map(() => null),
      staticVars: {},
      durationMs: 0,
      error,
      logs: [],
    });
    if (!compiled.program || hasErrors(compiled.diagnostics)) return empty(compiled.diagnostics);

    const sandbox = await this.usableSandbox();
    sandbox.setCapture(true);
    const loaded = sandbox.load(compiled.program, { now: request.now, previous: request.previous, reportAll: true });
    if (!loaded.ok) {
      const logs = sandbox.broken ? [] : sandbox.takeLogs();
      return { ...empty(compiled.diagnostics, loaded.error), logs };
    }
    try {
      const inputs = request.inputs.map((input) => input ?? { value: null, ts: request.now, quality: 'bad' as const });
      const started = performance.now();
      const batch = sandbox.evaluate([{ slot: loaded.slot, now: request.now, inputs }]);
      const durationMs = performance.now() - started;
      const outcome = batch.results[0];
      const outputs: LabRunResult['outputs'] = request.draft.outputs.map(() => null);
      let error: Diagnostic | null = null;
      if (outcome && outcome.status !== 'skipped') {
        for (const sample of outcome.outputs) outputs[sample.index] = { value: sample.value, quality: sample.quality };
        if (outcome.status === 'failed') error = outcome.error;
      }
      const staticVars = sandbox.broken ? {} : sandbox.readStatic(loaded.slot);
      const logs = sandbox.broken ? [] : sandbox.takeLogs(loaded.slot);
      return { diagnostics: compiled.diagnostics, outputs, staticVars, durationMs, error, logs };
    } finally {
      if (!sandbox.broken) {
        sandbox.unload(loaded.slot);
        sandbox.setCapture(false);
      }
    }
  }

  /** One traced run: initCode and calcCode recorded step by step, console captured. */
  async debug(request: LabRunRequest): Promise<LabDebugResult> {
    const sandbox = await this.usableSandbox();
    sandbox.setCapture(true);
    const load = loadTraced(sandbox, request.draft, { now: request.now, previous: request.previous });
    try {
      if (!load.ok) {
        return {
          diagnostics: load.diagnostics,
          outputs: request.draft.outputs.map(() => null),
          staticVars: {},
          durationMs: 0,
          error: load.error,
          logs: load.logs,
          trace: load.trace.steps,
          truncated: load.trace.truncated,
        };
      }
      const result = evaluateTraced(sandbox, load, request.draft, request);
      const trace = concatTraces(load.trace, { steps: result.trace, truncated: result.truncated });
      return { ...result, diagnostics: load.diagnostics, logs: [...load.logs, ...result.logs], trace: trace.steps, truncated: trace.truncated };
    } finally {
      if (!sandbox.broken) {
        if (load.ok) sandbox.unload(load.slot);
        sandbox.setCapture(false);
      }
    }
  }

  /** Regression tests: each from a fresh initialisation, its steps in order (see test-run.ts). */
  async runTests(request: LabTestRequest): Promise<LabTestOutcome> {
    const compiled = compileScript(request.draft, { capture: true });
    if (!compiled.program || hasErrors(compiled.diagnostics)) return { ok: false, diagnostics: compiled.diagnostics };
    return { ok: true, results: await runTestCases(compiled.program, request, this.limits) };
  }

  openSession(id: string, request: OpenSessionRequest): Promise<OpenSessionResult> {
    return this.sessions.open(id, request);
  }

  runSession(id: string, request: RunSessionRequest): LabDebugResult {
    return this.sessions.run(id, request);
  }

  closeSession(id: string): boolean {
    return this.sessions.close(id);
  }

  benchmark(request: BenchmarkRequest): Promise<BenchmarkOutcome> {
    return runBenchmark(this.limits, request);
  }

  async openReplay(id: string, request: ReplayOpenRequest): Promise<{ ok: true } | { ok: false; diagnostics: Diagnostic[] }> {
    this.closeReplay(id);
    const opened = await PlotReplay.open(this.limits, request);
    if (!opened.ok) return opened;
    this.replays.set(id, opened.replay);
    return { ok: true };
  }

  feedReplay(id: string, chunk: ReplayChunk): ReplayProgress {
    return this.replayOrThrow(id).feed(chunk);
  }

  /** The outcome of a replay; frees its sandbox. */
  finishReplay(id: string): ReplayOutcome {
    const outcome = this.replayOrThrow(id).finish();
    this.closeReplay(id);
    return outcome;
  }

  closeReplay(id: string): void {
    this.replays.get(id)?.dispose();
    this.replays.delete(id);
  }

  private replayOrThrow(id: string): PlotReplay {
    const replay = this.replays.get(id);
    if (!replay) throw new UserError('NOT_FOUND', `plot replay '${id}' is not open`);
    return replay;
  }

  dispose(): void {
    this.sandbox?.dispose();
    this.sandbox = null;
    this.sessions.closeAll();
    for (const id of [...this.replays.keys()]) this.closeReplay(id);
  }
}
