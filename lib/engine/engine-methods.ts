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
  /** This thread's side of the host's channel (PackedChannel): catalog ids by the host's tag index, and the outputs' packer. */
  let inTags: number[] = [];
  let outPacker = new ValuePacker();
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
    ingestPacked: async (values: PackedValues, replay?: boolean, channel?: PackedChannel): Promise<PackedPassResult> => {
      if (!channel) return packPassResult(await pass((followed) => engine.ingestLanes(lanesOfPacked(engine.catalog, values), { replay, followed }), replay));
      if (channel.fresh) {
        inTags = [];
        outPacker = new ValuePacker();
      }
      if (inTags.length !== channel.known) {
        throw new Error(`the engine thread knows ${inTags.length} of the host's tag names, the host counts ${channel.known}: the host starts a fresh channel`);
      }
      const lanes = lanesOfPacked(engine.catalog, values, inTags);
      const { outputs, ...rest } = await pass((followed) => engine.ingestLanes(lanes, { replay, followed }), replay);
      const outputsKnown = outPacker.known;
      return { ...rest, packedOutputs: outPacker.pack(outputs), outputsKnown };
    },
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

/**
 * A pass's result with its live outputs packed: with its own tag table (no channel), or through the
 * channel's packer, `outputsKnown` saying how many tag names and lineages the host must already hold.
 */
export type PackedPassResult = Omit<PassResult, 'outputs'> & { packedOutputs: PackedValues; outputsKnown?: [tags: number, lineages: number] };

/**
 * The host's channel to this thread (lib/engine-host/threaded-engine.ts): tag names and lineages cross
 * once per thread, indices after that — no string or lineage object per value and pass. `fresh`
 * starts both tables afresh (a new thread, or after any failed pass); `known` is how many names the
 * host has sent before this batch, so tables out of step fail the pass instead of misnaming values.
 */
export interface PackedChannel {
  fresh: boolean;
  known: number;
}

export function packPassResult({ outputs, ...rest }: PassResult): PackedPassResult {
  return { ...rest, packedOutputs: new ValuePacker().pack(outputs) };
}

/** With `unpacker` (the channel's), checks that it holds what the thread's packer had sent before. */
export function unpackPassResult({ packedOutputs, outputsKnown, ...rest }: PackedPassResult, unpacker?: ValueUnpacker): PassResult {
  if (!unpacker || !outputsKnown) return { ...rest, outputs: new ValueUnpacker().unpack(packedOutputs) as OutputValue[] };
  const [tags, lineages] = unpacker.known;
  if (tags !== outputsKnown[0] || lineages !== outputsKnown[1]) {
    throw new Error(`the host knows ${tags} tag names and ${lineages} lineages of the engine thread's outputs, the thread counts ${outputsKnown.join(' and ')}: a fresh channel follows`);
  }
  return { ...rest, outputs: unpacker.unpack(packedOutputs) as OutputValue[] };
}

