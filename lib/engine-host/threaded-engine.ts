import type { Diagnostic } from '../model/diagnostic';
import type { Logger } from '../support/logger';
import { PromiseQueue } from '../support/promise-queue';
import { HUNG, watchHang, type Hung } from '../support/hang-watchdog';
import { hangDiagnostic } from '../support/hang-message';
import type { TagState, TagValue } from '../model/tag-value';
import { UnexpectedError } from '../model/errors';
import { ThreadClient, type ThreadEntry } from '../threads/thread-rpc';
import type { EngineOptions } from '../engine/engine';
import { unpackPassResult, type EngineMethods } from '../engine/engine-methods';
import { ValuePacker, ValueUnpacker } from '../model/packed-values';
import { PROGRESS_BYTES, progressView } from '../engine/engine-progress';
import type { EngineHost, EngineScriptSpec, PassResult, RegisterOutcome, ScriptRuntimeStatus, ShadowSpec, ShadowStatus } from '../ports/engine';
import { IdleTicks } from './idle-ticks';

/**
 * The engine in a worker thread, watched.
 *
 * QuickJS checks its deadline between bytecodes, so a script looping over a native call that itself
 * takes a long time (a sort of 100 000 strings, an indexOf over megabytes) is not stopped in time.
 * A watchdog here stops the whole thread when an evaluation has not returned after `hangMs`,
 * starts a new one, and runs the batch again one script per VM call, each announced in a shared
 * buffer: the script whose run does not return is named, quarantined and left out, and the batch is
 * evaluated a last time without it. The other scripts restart (their initCode runs again) — the
 * price of a thread that had to be stopped. If the thread dies for any other reason it is restarted
 * the same way.
 */

export interface ThreadedEngineOptions extends EngineOptions {
  /** The engine thread's entry (workers/thread-entries.ts). */
  entry: ThreadEntry<EngineMethods>;
  logger: Logger;
  latestValues: () => TagState[];
  /**
   * A VM call that has not returned after this long is a hang (default max(2 s, 40 × cpuMs, 4 × initCpuMs)). Calls
   * are short by construction (at most 2 000 runs each, every run under its deadline), so a long
   * batch never looks like a hang: the engine thread beats between calls.
   */
  hangMs?: number;
}

/** The status of a script (or shadow) that hung the thread: kept out of it, quarantined, not retried. */
function hungStatus(id: string, version: number, error: Diagnostic): ScriptRuntimeStatus {
  return {
    id,
    version,
    state: 'quarantined',
    evaluations: 0,
    errors: 1,
    consecutiveFailures: 1,
    avgMicros: 0,
    lastRunAt: null,
    lastError: error,
    missingInputs: [],
    retryAt: null,
  };
}

/** How long a thread may take to start before a call to it counts as hung. */
const BOOT_ALLOWANCE_MS = 30_000;

export function threadedEngine(options: ThreadedEngineOptions): EngineHost {
  const registered = new Map<string, EngineScriptSpec>();
  /** The number of each script in the progress buffer (registration order). */
  const numbers = new Map<string, number>();
  const byNumber: string[] = [];
  /** Scripts that hung the thread: kept out of it, reported quarantined. */
  const hung = new Map<string, { spec: EngineScriptSpec; error: Diagnostic }>();
  /** Shadow runs by script id, to start again in a restarted thread; and those that hung it. */
  const shadows = new Map<string, ShadowSpec>();
  const hungShadows = new Map<string, { spec: ShadowSpec; error: Diagnostic }>();
  const { logger, latestValues, entry, ...engineOptions } = options;
  const hangMs = options.hangMs ?? Math.max(2000, 40 * engineOptions.limits.cpuMs, 4 * engineOptions.limits.initCpuMs);
  const runHangMs = Math.max(500, 10 * engineOptions.limits.cpuMs);
  const progress = new SharedArrayBuffer(PROGRESS_BYTES);
  const view = progressView(progress);
  const idleTicks = new IdleTicks();

  const numberOf = (id: string) => {
    let number = numbers.get(id);
    if (number === undefined) {
      number = byNumber.length;
      byNumber.push(id);
      numbers.set(id, number);
    }
    return number;
  };

  /**
   * Tag names and lineages cross to the engine thread once per thread, indices after that
   * (PackedChannel): a packer and an unpacker kept in step with the thread's, started afresh with
   * every thread (onRestart) and after any failed pass.
   */
  const freshChannel = () => ({ packer: new ValuePacker(), unpacker: new ValueUnpacker(), fresh: true });
  let channel = freshChannel();

  const client: ThreadClient<EngineMethods> = new ThreadClient<EngineMethods>({
    entry,
    name: 'engine',
    workerData: {
      options: {
        limits: engineOptions.limits,
        quarantineAfter: engineOptions.quarantineAfter,
        quarantineRetryMs: engineOptions.quarantineRetryMs,
        scriptsPerSandbox: engineOptions.scriptsPerSandbox,
      },
      progress,
    },
    onError: (error) => logger.error({ err: error }, 'engine thread failed'),
    onRestart: async (call) => {
      channel = freshChannel();
      idleTicks.touch();
      view[0] = 0;
      view[1] = 0;
      logger.warn({ scripts: registered.size }, 'engine thread restarted; reloading scripts');
      await call('restore', latestValues());
      for (const spec of registered.values()) await call('register', spec, numberOf(spec.id));
      // Quarantined ones go on being quarantined (and retried) in the new thread.
      for (const spec of parked.values()) await call('register', spec, numberOf(spec.id));
      for (const spec of shadows.values()) await call('startShadow', spec, numberOf(spec.shadowId));
    },
  });

  /** Resolves with the call's result, or HUNG when the thread has not beaten for `ms` (or `onPoll` says so). */
  function watch<T>(call: Promise<T>, ms: number, onPoll?: () => boolean): Promise<T | Hung> {
    const started = Date.now();
    return watchHang(
      call,
      () => {
        // Until its first beat the thread may still be starting (loading its code): allow for that.
        const overdue = view[1] === 0 ? Date.now() - started > BOOT_ALLOWANCE_MS : Date.now() - Math.max(started, view[1]) > ms;
        return overdue || (onPoll?.() ?? false);
      },
      20,
    );
  }

  /**
   * Scripts the engine quarantined are given to a restarted thread quarantined (`resumeQuarantine`:
   * their retries go on there); one whose retry succeeded (QUARANTINE_RETRY_MS) is registered again.
   */
  const parked = new Map<string, EngineScriptSpec>();
  function settle(result: PassResult): PassResult {
    for (const entry of result.quarantined) {
      const spec = registered.get(entry.id) ?? parked.get(entry.id);
      if (spec) parked.set(entry.id, { ...spec, resumeQuarantine: { lastError: entry.error } });
      registered.delete(entry.id);
    }
    for (const id of result.recovered ?? []) {
      const spec = parked.get(id);
      if (spec) {
        const { resumeQuarantine: _, ...running } = spec;
        registered.set(id, running);
      }
      parked.delete(id);
    }
    return result;
  }

  /**
   * Runs an evaluation under the watchdog (see above). One at a time: the thread evaluates them in
   * turn anyway, and a second watchdog must never restart the thread under the first one's feet.
   */
  const serial = new PromiseQueue();
  function guarded(method: 'ingest' | 'tick', argument: TagValue[] | number, replay = false): Promise<PassResult> {
    return serial.run(async () => settle(await watched(method, argument, replay)));
  }

  /** Values to the thread and outputs back as packed lanes, not one object each (docs/decisions/0021). */
  const ingest = async (values: TagValue[], replay?: boolean): Promise<PassResult> => {
    const current = channel;
    const known = current.packer.known[0];
    const packed = current.packer.pack(values);
    const fresh = current.fresh;
    current.fresh = false;
    try {
      return unpackPassResult(await client.call('ingestPacked', packed, replay, { fresh, known }), current.unpacker);
    } catch (error) {
      // The thread may or may not have taken this batch's names: both sides start afresh with the next pass.
      if (channel === current) channel = freshChannel();
      throw error;
    }
  };

  async function watched(method: 'ingest' | 'tick', argument: TagValue[] | number, replay: boolean): Promise<PassResult> {
    let first = method === 'ingest' ? ingest(argument as TagValue[], replay) : client.call('tick', argument as number);
    let outcome: PassResult | Hung;
    try {
      outcome = await watch(first.catch((error) => Promise.reject(error)), hangMs);
    } catch (error) {
      if (method !== 'ingest') throw error;
      // The thread failed the pass (it died, or the name tables were out of step) after it may have
      // taken the values: a restarted thread restored them from the main thread's catalog, which holds
      // them already. Their redelivery would then find every value held and evaluate nothing — outputs
      // lost while the offsets are committed. So the batch is evaluated again here, once, as a replay
      // (if that fails too, the pipeline runs the bus's redelivery of the batch as a replay: OwedValues).
      logger.warn({ err: error }, 'the engine thread failed a pass; evaluating its values again');
      first = ingest(argument as TagValue[], true);
      outcome = await watch(first.catch((retryError) => Promise.reject(retryError)), hangMs);
    }
    if (outcome !== HUNG) return outcome;
    first.catch(() => undefined);
    logger.error({ method, hangMs }, `an evaluation did not return within ${hangMs} ms; restarting the engine thread to find the script`);
    await client.restart();

    // Careful: one run per VM call, each announced; a run past runHangMs names its script.
    await client.call('setCareful', true);
    view[0] = 0;
    // The restarted thread restored the latest values, this batch's included: replay it regardless.
    const again = () => (method === 'ingest' ? ingest(argument as TagValue[], true) : client.call('tick', argument as number));
    const careful = again();
    careful.catch(() => undefined);
    const carefulOutcome = await watch(careful, hangMs, () => view[0] > 0 && Date.now() - view[1] > runHangMs);
    if (carefulOutcome !== HUNG) {
      await client.call('setCareful', false);
      return carefulOutcome;
    }
    const culpritId = view[0] > 0 ? byNumber[view[0] - 1] : undefined;
    const culprit = culpritId ? registered.get(culpritId) : undefined;
    // A shadow run that hangs the thread is stopped alone: the live scripts' batch runs again without it.
    const shadowCulprit = culpritId ? [...shadows.values()].find((spec) => spec.shadowId === culpritId) : undefined;
    if (shadowCulprit) {
      shadows.delete(shadowCulprit.scriptId);
      const error: Diagnostic = hangDiagnostic('hang-quarantined', Math.round((Date.now() - view[1]) / 100) / 10, engineOptions.limits.cpuMs);
      hungShadows.set(shadowCulprit.scriptId, { spec: shadowCulprit, error });
      logger.error({ scriptId: shadowCulprit.scriptId, shadowId: shadowCulprit.shadowId }, 'a shadow run hung the engine thread; stopped');
    }
    if (culprit) {
      registered.delete(culprit.id);
      const error: Diagnostic = hangDiagnostic('hang-quarantined', Math.round((Date.now() - view[1]) / 100) / 10, engineOptions.limits.cpuMs);
      hung.set(culprit.id, { spec: culprit, error });
      logger.error({ scriptId: culprit.id }, 'a script hung the engine thread; quarantined');
    }
    await client.restart(); // careful mode ends with the thread
    const last = again();
    const lastOutcome = await watch(last, hangMs);
    if (lastOutcome === HUNG) {
      last.catch(() => undefined);
      await client.restart();
      throw new UnexpectedError(`an evaluation kept hanging the engine thread and no script could be named; the batch was not evaluated`);
    }
    const result = lastOutcome;
    if (culprit) {
      const entry = hung.get(culprit.id)!;
      result.failures++;
      result.quarantined.push({ id: culprit.id, error: entry.error });
      // Its outputs say it stopped (scripts.md); a script that hangs the thread is not retried.
      const lineage = { id: culprit.id, name: culprit.name, version: culprit.version };
      const now = Date.now();
      for (const output of culprit.definition.outputs) result.outputs.push({ tag: output.tag, value: null, ts: now, quality: 'bad', reason: 'quarantined', script: lineage });
    }
    if (shadowCulprit) {
      result.shadow ??= { outputs: [], evaluations: 0, failures: 0, quarantined: [], recovered: [] };
      result.shadow.failures++;
      result.shadow.quarantined.push({ id: shadowCulprit.scriptId, error: hungShadows.get(shadowCulprit.scriptId)!.error });
    }
    return result;
  }

  /**
   * Loading compiles and runs initCode (its own deadline): allowed for on a busy machine. An initCode
   * that never returns (a native call the deadline cannot stop) leaves the script (or shadow) out.
   */
  async function watchedLoad(pending: Promise<RegisterOutcome>): Promise<RegisterOutcome> {
    const outcome = await watch(pending, Math.max(hangMs, 4 * engineOptions.limits.initCpuMs + 1000));
    if (outcome !== HUNG) return outcome;
    pending.catch(() => undefined);
    await client.restart();
    return { ok: false, reason: 'invalid', diagnostics: [hangDiagnostic('hang-init', hangMs / 1000, engineOptions.limits.initCpuMs)] };
  }

  return idleTicks.wrap({
    register: (spec) =>
      serial.run(async () => {
        const outcome = await watchedLoad(client.call('register', spec, numberOf(spec.id)));
        if (outcome.ok) {
          // Kept to reload a restarted thread, without the compiled program: the main thread holds no
          // copy of every script's program, and a restart (rare) compiles them again.
          const kept = spec.program ? { ...spec, program: undefined } : spec;
          hung.delete(spec.id);
          // Loaded quarantined (a restart): kept with the quarantined ones until a retry succeeds.
          if (spec.resumeQuarantine) {
            parked.set(spec.id, kept);
            registered.delete(spec.id);
          } else {
            registered.set(spec.id, kept);
            parked.delete(spec.id);
          }
        }
        return outcome;
      }),
    unregister: (id, reason) =>
      serial.run(async () => {
        registered.delete(id);
        parked.delete(id);
        hung.delete(id);
        return client.call('unregister', id, reason);
      }),
    ingest: (values: TagValue[], options?: { replay?: boolean }) => guarded('ingest', values, options?.replay === true),
    tick: (now: number) => guarded('tick', now),
    async statuses(): Promise<ScriptRuntimeStatus[]> {
      const live = await client.call('statuses');
      const quarantined = [...hung.values()].map(({ spec, error }) => hungStatus(spec.id, spec.version, error));
      return [...live, ...quarantined];
    },
    restore: (states: TagState[]) => client.call('restore', states),
    captureState: (options) => serial.run(() => client.call('captureState', options)),
    unload: (ids) =>
      serial.run(async () => {
        for (const id of ids) {
          registered.delete(id);
          parked.delete(id);
          hung.delete(id);
        }
        await client.call('unload', ids);
      }),
    startShadow: (spec) =>
      serial.run(async () => {
        const outcome = await watchedLoad(client.call('startShadow', spec, numberOf(spec.shadowId)));
        hungShadows.delete(spec.scriptId);
        if (outcome.ok) shadows.set(spec.scriptId, spec.program ? { ...spec, program: undefined } : spec);
        else shadows.delete(spec.scriptId);
        return outcome;
      }),
    stopShadow: (scriptId) =>
      serial.run(async () => {
        const hadHung = hungShadows.delete(scriptId);
        shadows.delete(scriptId);
        return (await client.call('stopShadow', scriptId)) || hadHung;
      }),
    async shadowStatuses(): Promise<ShadowStatus[]> {
      const running = await client.call('shadowStatuses');
      const stopped = [...hungShadows.values()].map(({ spec, error }) => ({ ...hungStatus(spec.scriptId, spec.version, error), shadowId: spec.shadowId }));
      return [...running, ...stopped];
    },
    close: () => client.close(),
  });
}
