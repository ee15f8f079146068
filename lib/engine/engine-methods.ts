import type { TagState, TagValue } from '../model/tag-value';
import type { EngineScriptSpec, StopReason } from '../ports/engine';
import type { Engine } from './engine';
import { progressView } from './engine-progress';

/** The engine's methods as a worker thread serves them (workers/engine-thread.ts); the host calls them through lib/engine-host/threaded-engine.ts. */
export function engineMethods(engine: Engine, progress?: SharedArrayBuffer) {
  const numbers = new Map<string, number>();
  const view = progress ? progressView(progress) : null;
  const beat = view
    ? () => {
        view[1] = Date.now();
      }
    : () => undefined;
  if (view) engine.setHeartbeat(beat);
  return {
    /** `number`: how the host names the script in the progress buffer. */
    register: (spec: EngineScriptSpec, number?: number) => {
      if (number !== undefined) numbers.set(spec.id, number);
      beat();
      return engine.register(spec);
    },
    setCareful: async (on: boolean) => {
      engine.setProgressReporter(
        on && view
          ? (scriptId) => {
              const number = scriptId === null ? undefined : numbers.get(scriptId);
              view[1] = Date.now();
              view[0] = number === undefined ? 0 : number + 1;
            }
          : null,
      );
    },
    unregister: (id: string, reason?: StopReason) => engine.unregister(id, reason),
    ingest: (values: TagValue[], replay?: boolean) => {
      beat();
      return engine.ingest(values, { replay });
    },
    tick: (now: number) => {
      beat();
      return engine.tick(now);
    },
    statuses: async () => engine.statuses(),
    restore: async (states: TagState[]) => engine.restore(states),
  };
}

export type EngineMethods = ReturnType<typeof engineMethods>;

