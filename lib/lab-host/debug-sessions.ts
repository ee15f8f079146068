import { randomUUID } from 'node:crypto';
import type { Diagnostic } from '../model/diagnostic';
import { isAppError, UserError } from '../model/errors';
import type { RunnableDraft } from '../model/script-schema';
import type { OpenSessionRequest, OpenSessionResult, RunSessionRequest } from '../lab/lab-sessions';
import type { LabDebugResult } from '../lab/traced-run';

/**
 * The host's registry of debug sessions: which exist, for which draft, and when each expires. The
 * sandboxes themselves live in the lab thread (lab-sessions.ts); this side decides their lifetime:
 *  - a session expires `ttlMs` after its last run (or its creation) and is then unknown (404);
 *  - a sweep every `sweepIntervalMs` (5 s) frees expired sessions and their sandboxes;
 *  - at most `maxSessions` live at once: opening one more evicts the least recently used.
 */

export interface SessionBackend {
  openSession(id: string, request: OpenSessionRequest): Promise<OpenSessionResult>;
  runSession(id: string, request: RunSessionRequest): Promise<LabDebugResult>;
  closeSession(id: string): Promise<boolean>;
}

export interface DebugSessionOptions {
  ttlMs: number;
  maxSessions: number;
  sweepIntervalMs?: number;
  /** Wall clock (ms); injectable for tests. */
  clock?: () => number;
  onError?: (error: unknown) => void;
}

export interface DebugSession {
  id: string;
  draft: RunnableDraft;
  expiresAt: number;
}

interface Entry {
  id: string;
  draft: RunnableDraft;
  lastUsedAt: number;
}

export const SWEEP_INTERVAL_MS = 5_000;

export class DebugSessions {
  /** In least recently used order: a run moves its session to the end. */
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | null = null;
  private readonly clock: () => number;
  /** Sessions being opened (their initCode running): they count against the cap already. */
  private opening = 0;

  constructor(
    private readonly backend: SessionBackend,
    private readonly options: DebugSessionOptions,
  ) {
    this.clock = options.clock ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.sweep().catch((error) => this.options.onError?.(error));
    }, this.options.sweepIntervalMs ?? SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Opens a session: the draft is compiled (traced) and its initCode runs in a sandbox of its own.
   * A draft that does not compile is refused (422 with the diagnostics); an initCode that throws
   * still opens the session, and every run reports that error with the initCode's trace.
   */
  async open(draft: RunnableDraft, context: { previous: OpenSessionRequest['previous'] }): Promise<DebugSession & { diagnostics: Diagnostic[] }> {
    await this.sweep();
    while (this.entries.size > 0 && this.entries.size + this.opening >= this.options.maxSessions) {
      const leastRecent = this.entries.keys().next().value as string;
      await this.discard(leastRecent);
    }
    const id = randomUUID();
    const now = this.clock();
    this.opening++;
    let opened: OpenSessionResult;
    try {
      opened = await this.backend.openSession(id, { draft, now, previous: context.previous });
    } finally {
      this.opening--;
    }
    if (!opened.ok) {
      const errors = opened.diagnostics.filter((diagnostic) => diagnostic.severity === 'error');
      throw new UserError('SCRIPT_INVALID', `the script does not compile: ${errors[0]?.message ?? 'see diagnostics'}`, {
        diagnostics: opened.diagnostics,
      });
    }
    this.entries.set(id, { id, draft, lastUsedAt: now });
    return { id, draft, expiresAt: now + this.options.ttlMs, diagnostics: opened.diagnostics };
  }

  /** The live session, or a 404 (unknown, expired, evicted or closed). */
  get(id: string): DebugSession {
    const entry = this.entries.get(id);
    if (!entry || this.isExpired(entry, this.clock())) throw this.notFound(id);
    return { id, draft: entry.draft, expiresAt: entry.lastUsedAt + this.options.ttlMs };
  }

  /** Runs the session's calcCode once more, continuing from its state; the session's idle time restarts. */
  async run(id: string, request: Omit<RunSessionRequest, 'now'> & { now?: number }): Promise<{ session: DebugSession; result: LabDebugResult }> {
    const entry = this.entries.get(id);
    const now = this.clock();
    if (!entry || this.isExpired(entry, now)) {
      if (entry) await this.discard(id);
      throw this.notFound(id);
    }
    this.entries.delete(id);
    entry.lastUsedAt = now;
    this.entries.set(id, entry);
    let result: LabDebugResult;
    try {
      result = await this.backend.runSession(id, { inputs: request.inputs, now: request.now ?? now });
    } catch (error) {
      // The lab thread lost it (restarted): forget it here too.
      if (isAppError(error) && error.code === 'NOT_FOUND') this.entries.delete(id);
      throw error;
    }
    return { session: { id, draft: entry.draft, expiresAt: now + this.options.ttlMs }, result };
  }

  async close(id: string): Promise<void> {
    const entry = this.entries.get(id);
    const live = entry !== undefined && !this.isExpired(entry, this.clock());
    if (entry) await this.discard(id);
    if (!live) throw this.notFound(id);
  }

  /** Frees every expired session; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock();
    const expired = [...this.entries.values()].filter((entry) => this.isExpired(entry, now)).map((entry) => entry.id);
    for (const id of expired) await this.discard(id);
    return expired.length;
  }

  async closeAll(): Promise<void> {
    this.stop();
    for (const id of [...this.entries.keys()]) await this.discard(id);
  }

  private isExpired(entry: Entry, now: number): boolean {
    return now >= entry.lastUsedAt + this.options.ttlMs;
  }

  private async discard(id: string): Promise<void> {
    this.entries.delete(id);
    try {
      await this.backend.closeSession(id);
    } catch (error) {
      this.options.onError?.(error);
    }
  }

  private notFound(id: string): UserError {
    return new UserError(
      'NOT_FOUND',
      `debug session '${id}' was not found: it never existed, was closed, or expired after ${formatDuration(this.options.ttlMs)} without a run — open a new one`,
      { id },
    );
  }
}

function formatDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
