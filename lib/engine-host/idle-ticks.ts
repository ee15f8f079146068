import type { EngineHost, PassResult } from '../ports/engine';

/**
 * Ticks the engine has said it has nothing for are not sent to its thread.
 *
 * A process ticks its engine every 100 ms (periodic scripts, quarantine retries, staleness, stop
 * publications); with none of these a tick is an idle round trip to the engine thread and a
 * watchdog, ten times a second, in every worker. A tick's result says until when the next one would
 * do nothing (`PassResult.idleUntil`); until then, and while nothing else reached the engine (a
 * script loaded or stopped, values, restored state, a shadow run, a restarted thread), a tick is
 * answered here with an empty pass.
 */
export class IdleTicks {
  /** Counts the calls that may give a tick work. */
  private generation = 0;
  private idle = { until: 0, generation: -1 };

  /** Something reached the engine (or its thread restarted): the next tick goes to it. */
  touch(): void {
    this.generation++;
  }

  /** `host` with its ticks skipped while idle; every call that may give a tick work touches. */
  wrap(host: EngineHost): EngineHost {
    const touching = <A extends unknown[], R>(call: (...args: A) => R) => (...args: A): R => {
      this.touch();
      return call(...args);
    };
    return {
      ...host,
      register: touching(host.register),
      unregister: touching(host.unregister),
      ingest: touching(host.ingest),
      restore: touching(host.restore),
      startShadow: touching(host.startShadow),
      stopShadow: touching(host.stopShadow),
      ...(host.unload ? { unload: touching(host.unload) } : {}),
      tick: (now) => this.tick(now, host.tick),
    };
  }

  private async tick(now: number, tick: (now: number) => Promise<PassResult>): Promise<PassResult> {
    if (this.idle.generation === this.generation && now < this.idle.until) return { outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [], recovered: [] };
    const seen = this.generation;
    const result = await tick(now);
    this.idle = { until: result.idleUntil ?? 0, generation: seen };
    return result;
  }
}
