import type { OutputValue, TagState, TagValue } from '../model/tag-value';
import { ValuePacker, ValueUnpacker, type PackedValues } from '../model/packed-values';
import type { EngineScriptSpec, PassResult, ShadowSpec, StopReason } from '../ports/engine';
import type { Engine } from './engine';
import { progressView } from './engine-progress';
import { lanesOfPacked } from './value-lanes';
import type { ShadowRuns } from './shadow-runs';

/** The engine's methods as a worker thread serves them (workers/engine-thread.ts); the host calls them through lib/engine-host/threaded-engine.ts. */
export function engineMethods(engine: Engine, progress?: SharedArrayBuffer, shadows?: ShadowRuns) {
  const numbers = new Map<string, number>();
  const view = progress ? progressView(progress) : null;
  const beat = view
    ? () => {
        view[1] = Date.now();
      }
    : () => undefined;
  if (view) {
    engine.setHeartbeat(beat);
    shadows?.setHeartbeat(beat);
  }
  /** Careful mode names the shadow run (by its shadow id) whose run never returns, as it names scripts. */
  const reporter = (scriptId: string | null) => {
    if (!view) return;
    const number = scriptId === null ? undefined : numbers.get(scriptId);
    view[1] = Date.now();
    view[0] = number === undefined ? 0 : number + 1;
  };
  /** A live pass (`run`), then the shadows' pass on what it applied of the tags they read. */
  const pass = async (run: (followed: TagValue[] | undefined) => Promise<PassResult>, replay?: boolean) => {
    beat();
    // The live pass picks out what the candidates read (Engine.follow) as it applies it.
    const followed: TagValue[] | undefined = shadows?.active ? [] : undefined;
    const result = await run(followed);
    // After the live pass, never before: a shadow cannot delay or change what goes out.
    if (shadows?.active) result.shadow = await shadows.follow(followed ?? [], replay);
    return result;
  };
  const ingest = (values: TagValue[], replay?: boolean) => pass((followed) => engine.ingest(values, { replay, followed }), replay);
  return {
    /** `number`: how the host names the script in the progress buffer. */
    register: (spec: EngineScriptSpec, number?: number) => {
      if (number !== undefined) numbers.set(spec.id, number);
      beat();
      return engine.register(spec);
    },
    setCareful: async (on: boolean) => {
      engine.setProgressReporter(on && view ? reporter : null);
      shadows?.setProgressReporter(on && view ? reporter : null);
    },
    unregister: (id: string, reason?: StopReason) => engine.unregister(id, reason),
    ingest,
    /** `ingest` with the values in and the live outputs out as packed lanes (docs/decisions/0021): no object per value crosses the thread. */
    ingestPacked: async (values: PackedValues, replay?: boolean) =>
      packPassResult(await pass((followed) => engine.ingestLanes(lanesOfPacked(engine.catalog, values), { replay, followed }), replay)),
    tick: async (now: number) => {
      beat();
      const result = await engine.tick(now);
      if (shadows?.active) {
        result.shadow = await shadows.tick(now);
        delete result.idleUntil; // the candidates' engine has ticks of its own
      }
      return result;
    },
    statuses: async () => engine.statuses(),
    /** `number`: how the host names the shadow run (by its shadow id) in the progress buffer. */
    startShadow: (spec: ShadowSpec, number?: number) => {
      if (!shadows) throw new Error('this engine runs no shadows');
      if (number !== undefined) numbers.set(spec.shadowId, number);
      beat();
      return shadows.start(spec);
    },
    stopShadow: async (scriptId: string) => shadows?.stop(scriptId) ?? false,
    shadowStatuses: async () => shadows?.statuses() ?? [],
    restore: async (states: TagState[]) => engine.restore(states),
    captureState: (options: { ids?: string[]; changedOnly?: boolean }) => engine.captureState(options),
    unload: (ids: string[]) => engine.unload(ids),
  };
}

export type EngineMethods = ReturnType<typeof engineMethods>;

/** A pass's result with its live outputs packed (each batch its own tag table: nothing to keep in step across restarts). */
export type PackedPassResult = Omit<PassResult, 'outputs'> & { packedOutputs: PackedValues };

export function packPassResult({ outputs, ...rest }: PassResult): PackedPassResult {
  return { ...rest, packedOutputs: new ValuePacker().pack(outputs) };
}

export function unpackPassResult({ packedOutputs, ...rest }: PackedPassResult): PassResult {
  return { ...rest, outputs: new ValueUnpacker().unpack(packedOutputs) as OutputValue[] };
}

