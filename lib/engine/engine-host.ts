import type { TagState, TagValue } from '../tags/tag-value';
import type { EngineScriptSpec, PassResult, RegisterOutcome, ScriptRuntimeStatus } from './engine';
import { Engine, type EngineOptions } from './engine';

/** The engine as its host process sees it: in a worker thread in production, in-process in tests. */
export interface EngineHost {
  register(spec: EngineScriptSpec): Promise<RegisterOutcome>;
  unregister(id: string): Promise<boolean>;
  ingest(values: TagValue[]): Promise<PassResult>;
  tick(now: number): Promise<PassResult>;
  statuses(): Promise<ScriptRuntimeStatus[]>;
  restore(states: TagState[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * What the engine thread tells the watchdog of the thread that hosts it: [script number + 1 of the
 * run about to start in careful mode (0: none), time of its last VM call or run (epoch ms)].
 */
export function progressView(buffer: SharedArrayBuffer): Float64Array {
  return new Float64Array(buffer, 0, 2);
}

/** The engine's methods as a worker thread serves them (see workers/engine-thread.ts). */
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
    unregister: (id: string) => engine.unregister(id),
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

/** The engine in the calling thread (tests, tools). */
export function inProcessEngine(options: EngineOptions): EngineHost {
  const engine = new Engine(options);
  const methods = engineMethods(engine);
  return {
    register: (spec) => methods.register(spec),
    unregister: methods.unregister,
    ingest: (values) => methods.ingest(values),
    tick: methods.tick,
    statuses: methods.statuses,
    restore: methods.restore,
    close: async () => engine.dispose(),
  };
}
