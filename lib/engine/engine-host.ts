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

/** The engine's methods as a worker thread serves them (see workers/engine-thread.ts). */
export function engineMethods(engine: Engine) {
  return {
    register: (spec: EngineScriptSpec) => engine.register(spec),
    unregister: (id: string) => engine.unregister(id),
    ingest: (values: TagValue[]) => engine.ingest(values),
    tick: (now: number) => engine.tick(now),
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
    ...methods,
    close: async () => engine.dispose(),
  };
}
