import type { Diagnostic } from '../model/diagnostic';
import { UserError } from '../model/errors';
import { diagnostic } from '../model/diagnostic-messages';
import { ScriptSandbox, type ConsoleLog, type InputSample, type PreviousOutput, type SandboxLimits } from '../sandbox/script-sandbox';
import type { RunnableDraft } from '../model/script-schema';
import { concatTraces, EMPTY_TRACE, type Trace } from './trace-steps';
import { evaluateTraced, loadTraced, type LabDebugResult } from './traced-run';
import type { TracedProgram } from '../compiler/compile-traced-script';

/**
 * The sandbox side of debug sessions (in the lab thread): one sandbox per session, holding the
 * draft's traced program and its static state between runs. Expiry, the cap and the sweep are the
 * host's (see debug-sessions.ts); here a session lives until it is closed.
 *
 * The initCode runs once, when the session opens; its steps and console lines are handed out with
 * the first run, before that run's own.
 */

export interface OpenSessionRequest {
  draft: RunnableDraft;
  now: number;
  previous: Array<PreviousOutput | null>;
}

export type OpenSessionResult = { ok: true; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

export interface RunSessionRequest {
  inputs: Array<InputSample | null>;
  now: number;
}

interface LabSession {
  draft: RunnableDraft;
  sandbox: ScriptSandbox;
  diagnostics: Diagnostic[];
  loaded: { traced: TracedProgram; slot: number } | null;
  /** Why the initCode failed; every run reports it (the state it should have built does not exist). */
  initError: Diagnostic | null;
  /** What initCode recorded, handed out with the next run. */
  pendingTrace: Trace;
  pendingLogs: ConsoleLog[];
}

export class LabSessions {
  private readonly sessions = new Map<string, LabSession>();

  constructor(private readonly limits: SandboxLimits) {}

  get size(): number {
    return this.sessions.size;
  }

  async open(id: string, request: OpenSessionRequest): Promise<OpenSessionResult> {
    this.close(id);
    const sandbox = await ScriptSandbox.create(this.limits);
    sandbox.setCapture(true);
    const load = loadTraced(sandbox, request.draft, { now: request.now, previous: request.previous });
    if (!load.ok && load.error === null) {
      sandbox.dispose();
      return { ok: false, diagnostics: load.diagnostics };
    }
    this.sessions.set(id, {
      draft: request.draft,
      sandbox,
      diagnostics: load.diagnostics,
      loaded: load.ok ? { traced: load.traced, slot: load.slot } : null,
      initError: load.ok ? null : load.error,
      pendingTrace: load.trace,
      pendingLogs: load.logs,
    });
    return { ok: true, diagnostics: load.diagnostics };
  }

  run(id: string, request: RunSessionRequest): LabDebugResult {
    const session = this.sessions.get(id);
    if (!session) throw new UserError('NOT_FOUND', `debug session '${id}' was not found; it may have expired — open a new one`, { id });
    const trace = session.pendingTrace;
    const logs = session.pendingLogs;
    session.pendingTrace = EMPTY_TRACE;
    session.pendingLogs = [];
    if (!session.loaded || session.sandbox.broken) {
      const error = session.initError ?? diagnostic('session-broken', { error: String(session.sandbox.broken) }, { source: 'calc', kind: 'memory' });
      return {
        diagnostics: session.diagnostics,
        outputs: session.draft.outputs.map(() => null),
        staticVars: {},
        durationMs: 0,
        error,
        logs,
        trace: trace.steps,
        truncated: trace.truncated,
      };
    }
    const result = evaluateTraced(session.sandbox, session.loaded, session.draft, request);
    const combined = concatTraces(trace, { steps: result.trace, truncated: result.truncated });
    return { ...result, diagnostics: session.diagnostics, logs: [...logs, ...result.logs], trace: combined.steps, truncated: combined.truncated };
  }

  /** Frees the session's sandbox; false when there was no such session. */
  close(id: string): boolean {
    const session = this.sessions.get(id);
    if (!session) return false;
    this.sessions.delete(id);
    session.sandbox.dispose();
    return true;
  }

  closeAll(): void {
    for (const id of [...this.sessions.keys()]) this.close(id);
  }
}
