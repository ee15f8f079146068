import { messageOf } from '../model/errors';
import type { ShadowActivity, ShadowReport } from '../model/shadow';
import type { TagState } from '../model/tag-value';
import type { EngineHost } from '../ports/engine';
import type { ShadowStore, StoredShadow } from '../ports/shadow-store';
import { ShadowBoard } from '../shadows/shadow-board';
import type { Logger } from '../support/logger';
import { ThrottledWarning } from '../support/throttled-warning';

/**
 * The engine's side of shadow runs (changes.md): a process that runs an engine follows the shadow
 * runs kept in the store — starts each new one in its engine (beside the live version it runs),
 * stops those that ended — and saves each run's report (comparison, series, activity) for the web
 * processes to show. A shadow runs only in an engine that runs its live version: in a web+worker
 * deployment on the worker, and with the work split across workers on the one computing the script;
 * a standby worker (no values, `isActive` false) runs it idle and saves nothing.
 */

export interface FollowShadowsDeps {
  shadows: ShadowStore;
  engine: EngineHost;
  board: ShadowBoard;
  /** The latest value of a tag in this process (the live side's starting point). */
  latest: (tag: string) => TagState | undefined;
  log: Logger;
  isActive?: () => boolean;
  now?: () => number;
  intervalMs?: number;
  /** Points per series in a saved report. */
  seriesPoints?: number;
}

const DEFAULT_SERIES_POINTS = 500;

export function followShadows(deps: FollowShadowsDeps) {
  const now = deps.now ?? Date.now;
  /** Script id → the shadow id running in the engine. */
  const running = new Map<string, string>();
  /** Script id → why its candidate could not start (reported once). */
  const failed = new Map<string, string>();
  const warning = new ThrottledWarning(10_000);
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> | null = null;

  async function start(shadow: StoredShadow): Promise<void> {
    // Regression tests are not evaluated by an engine: they stay out of what crosses to its thread.
    const { tests: _tests, ...definition } = shadow.definition;
    const outcome = await deps.engine.startShadow({ shadowId: shadow.shadowId, scriptId: shadow.scriptId, name: definition.name, version: shadow.version, definition });
    if (outcome.ok) {
      running.set(shadow.scriptId, shadow.shadowId);
      deps.board.begin(
        { shadowId: shadow.shadowId, scriptId: shadow.scriptId, version: shadow.version, startedAt: shadow.startedAt.getTime(), outputTags: shadow.definition.outputs.map((output) => output.tag) },
        deps.latest,
      );
      deps.log.info({ scriptId: shadow.scriptId, shadowId: shadow.shadowId }, 'shadow run started in the engine');
      return;
    }
    const error = outcome.reason === 'cycle' ? null : outcome.diagnostics[0];
    failed.set(shadow.scriptId, shadow.shadowId);
    const activity: ShadowActivity = { state: 'quarantined', evaluations: 0, errors: 1, lastError: error };
    if (deps.isActive?.() ?? true) await deps.shadows.saveReport(shadow.scriptId, shadow.shadowId, { comparison: {}, series: {}, activity }, new Date(now()));
    deps.log.warn({ scriptId: shadow.scriptId, error: error?.message }, 'shadow run could not start');
  }

  async function stop(scriptId: string): Promise<void> {
    running.delete(scriptId);
    deps.board.end(scriptId);
    await deps.engine.stopShadow(scriptId);
    deps.log.info({ scriptId }, 'shadow run stopped in the engine');
  }

  async function poll(): Promise<void> {
    try {
      // A shadow runs where its live version runs: with several workers splitting the work, on the
      // one that computes the script (and it moves with the script).
      const live = new Set((await deps.engine.statuses()).map((status) => status.id));
      const wanted = (await deps.shadows.list()).filter((shadow) => live.has(shadow.scriptId));
      const byScript = new Map(wanted.map((shadow) => [shadow.scriptId, shadow]));
      for (const scriptId of [...running.keys()]) {
        if (byScript.get(scriptId)?.shadowId !== running.get(scriptId)) await stop(scriptId);
      }
      for (const [scriptId, shadowId] of [...failed]) if (byScript.get(scriptId)?.shadowId !== shadowId) failed.delete(scriptId);
      for (const shadow of wanted) {
        if (running.get(shadow.scriptId) === shadow.shadowId || failed.get(shadow.scriptId) === shadow.shadowId) continue;
        await start(shadow);
      }
      if (running.size > 0 && (deps.isActive?.() ?? true)) await report();
    } catch (error) {
      if (warning.admit() !== undefined) deps.log.warn(`cannot follow shadow runs (live scripts are not affected): ${messageOf(error)}`);
    }
  }

  async function report(): Promise<void> {
    const statuses = new Map((await deps.engine.shadowStatuses()).map((status) => [status.id, status]));
    const at = now();
    const points = deps.seriesPoints ?? DEFAULT_SERIES_POINTS;
    for (const [scriptId, shadowId] of running) {
      const status = statuses.get(scriptId);
      const report: ShadowReport = {
        comparison: deps.board.comparison(scriptId) ?? {},
        series: deps.board.series(scriptId, {}, points) ?? {},
        activity: status ? { state: status.state, evaluations: status.evaluations, errors: status.errors, lastError: status.lastError } : null,
      };
      await deps.shadows.saveReport(scriptId, shadowId, report, new Date(at));
    }
  }

  return {
    /** One round now (tests; the timer does the same every `intervalMs`). */
    poll,
    async start(): Promise<void> {
      await poll();
      timer = setInterval(() => {
        polling ??= poll().finally(() => {
          polling = null;
        });
      }, deps.intervalMs ?? 1000);
      timer.unref();
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await polling;
    },
  };
}
