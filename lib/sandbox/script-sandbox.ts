import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import type { TagScalar } from '../model/tag-value';
import { collectOutput } from './guest-output';
import { OpStream, QUALITY_CODE } from './op-stream';
import { PRELUDE, PRELUDE_FILE } from './prelude';
import { GuestBuffers } from './guest-memory';
import { memoryOf, newCappedModule } from './quickjs-module';
import { mapLine, memoryOrFatal, runtimeDiagnostic, timeoutDiagnostic } from './sandbox-diagnostics';
import { installStepCode } from './step-code';
import type {
  BatchResult,
  ConsoleLog,
  EvaluationJob,
  InputSample,
  JobResult,
  LoadOptions,
  LoadResult,
  OpsResult,
  SandboxLimits,
  StaticState,
} from './sandbox-types';
import { Out } from './wire';

export type * from './sandbox-types';
export { eachRecord } from './guest-output';
export { OpStream, type DecodedOp } from './op-stream';
export { locate, mapLine, outputDiagnostic } from './sandbox-diagnostics';

/**
 * One QuickJS sandbox (a WebAssembly module with capped memory, one runtime, one context) that hosts
 * any number of scripts, each in its own slot, and evaluates them in batches: one VM call applies a
 * stream of tag updates and script runs (one buffer: an Int32Array and a Float64Array) and returns
 * what was published in one copy. The scripts of a sandbox share a tag table (see prelude.ts): each
 * tag they read or publish has an index, and each script's generated runner reads and publishes by
 * index.
 *
 * Guarantees kept per script inside a batch:
 *  - CPU deadline: the guest records which job runs; the interrupt handler stops a job that has run
 *    longer than its limit, that job fails with a timeout and the batch resumes after it.
 *  - Isolation: built-ins and the global object are frozen, so scripts sharing a context cannot see
 *    or change each other's state; nothing of the host is reachable from script code.
 *  - Memory: the module's memory cannot grow past the cap; an out-of-memory (or any fatal error)
 *    marks the sandbox broken, and its owner rebuilds it.
 */

export const DEFAULT_STACK_BYTES = 256 * 1024;
const SCRIPT_FILE = 'script.js';

type Guard =
  | { mode: 'idle' }
  | { mode: 'deadline'; deadline: number }
  | { mode: 'batch'; limit: number; lastJob: number; lastJobAt: number; lastReadAt: number };

const READ_INTERVAL_MS = 1;
/** Runs per VM call: bounds how long one call lasts, so a watchdog can tell a hang from a big batch. */
const MAX_RUNS_PER_CALL = 2000;

export class ScriptSandbox {
  private guard: Guard = { mode: 'idle' };
  private readonly programs = new Map<number, CompiledScript>();
  /** Tag table indexes of each slot: inputs, then outputs. */
  private readonly slotIndexes = new Map<number, number[]>();
  private readonly tagIndexes = new Map<string, number>();
  private readonly tagNames: string[] = [];
  private stepCounter = 0;
  /** The guest's step code (step-code.ts) no longer matches the loaded scripts. */
  private stepStale = false;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private brokenReason: string | null = null;
  private disposed = false;
  /** The buffers shared with the guest: ops, arguments, out buffer, numbers (guest-memory.ts). */
  private readonly buffers: GuestBuffers;
  /** Called before every VM call of a batch (a heartbeat for a watchdog in another thread). */
  beforeCall?: () => void;
  /** Slots used so far (the highest + 1): how far the host's marks of a batch reach (OpStream.markSlots). */
  get slotCount(): number {
    return this.nextSlot;
  }

  private constructor(
    private readonly module: QuickJSWASMModule,
    /** The module's linear memory: where the host reads and writes the shared buffers. */
    memory: WebAssembly.Memory,
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly api: QuickJSHandle,
    /** The guest's Int32Array whose one cell is the op of the run in progress (prelude.ts CUR). */
    private readonly curHandle: QuickJSHandle,
    private readonly fns: Record<'define' | 'drop' | 'setStep' | 'setShared' | 'setNumbers' | 'run' | 'side' | 'readStatic' | 'dumpState' | 'loadState' | 'setCapture' | 'takeLogs' | 'takeTrace' | 'skipped' | 'partial' | 'fail', QuickJSHandle>,
    readonly limits: SandboxLimits,
  ) {
    runtime.setInterruptHandler(() => this.shouldInterrupt());
    this.buffers = new GuestBuffers(context, memory, api, fns.setShared, fns.setNumbers);
  }

  static async create(limits: SandboxLimits): Promise<ScriptSandbox> {
    const wasmModule = await newCappedModule(limits.memoryMb);
    const runtime = wasmModule.newRuntime();
    runtime.setMaxStackSize(limits.stackBytes ?? DEFAULT_STACK_BYTES);
    const context = runtime.newContext();
    const evaluated = context.evalCode(PRELUDE, PRELUDE_FILE, { strict: true });
    if (evaluated.error) {
      const detail = JSON.stringify(context.dump(evaluated.error));
      evaluated.error.dispose();
      throw new Error(`sandbox prelude failed: ${detail}`);
    }
    const api = evaluated.value;
    const names = ['define', 'drop', 'setStep', 'setShared', 'setNumbers', 'run', 'side', 'readStatic', 'dumpState', 'loadState', 'setCapture', 'takeLogs', 'takeTrace', 'skipped', 'partial', 'fail'] as const;
    const fns = Object.fromEntries(names.map((name) => [name, context.getProp(api, name)])) as ScriptSandbox['fns'];
    const curHandle = context.getProp(api, 'cur');
    const memory = memoryOf(wasmModule);
    if (!memory) throw new Error('sandbox module without a known memory');
    return new ScriptSandbox(wasmModule, memory, runtime, context, api, curHandle, fns, limits);
  }

  /** Why the sandbox can no longer be used (out of memory, fatal error), or null. */
  get broken(): string | null {
    return this.brokenReason;
  }

  get scriptCount(): number {
    return this.programs.size;
  }

  /** The tag table index of a tag in this sandbox (given on first use). */
  indexOf(tag: string): number {
    let index = this.tagIndexes.get(tag);
    if (index === undefined) {
      index = this.tagNames.length;
      this.tagIndexes.set(tag, index);
      this.tagNames.push(tag);
    }
    return index;
  }

  tagAt(index: number): string {
    return this.tagNames[index];
  }

  /** Tag table indexes of a loaded script: its inputs, then its outputs. */
  indexesOf(slot: number): readonly number[] | undefined {
    return this.slotIndexes.get(slot);
  }

  /** Loads a compiled script and runs its initCode under the init deadline. */
  load(program: CompiledScript, options: LoadOptions): LoadResult {
    this.assertUsable();
    const slot = this.freeSlots.pop() ?? this.nextSlot++;
    const indexes = [...program.inputTags.map((tag) => this.indexOf(tag)), ...program.outputs.map((output) => this.indexOf(output.tag))];
    const lookup = typeof options.seed === 'function' ? options.seed : options.seed ? (tag: string) => (options.seed as ReadonlyMap<string, InputSample>).get(tag) : () => undefined;
    const seed: Array<[number, TagScalar, number, number]> = [];
    program.inputTags.forEach((tag, i) => {
      const known = lookup(tag);
      if (known) seed.push([indexes[i], known.value, known.ts, QUALITY_CODE[known.quality]]);
    });
    program.outputs.forEach((output, k) => {
      const known = options.previous?.[k] ?? lookup(output.tag);
      if (known) seed.push([indexes[program.inputTags.length + k], known.value, 'ts' in known ? (known as InputSample).ts : options.now, QUALITY_CODE[known.quality]]);
    });
    const meta = JSON.stringify({
      aliases: program.aliases,
      outputs: program.outputs.map((output) => ({ tag: output.tag, variable: output.variable })),
      idx: indexes,
      seed,
      now: options.now,
      trace: options.trace ?? false,
    });

    let factory: QuickJSHandle | null = null;
    this.guard = { mode: 'deadline', deadline: performance.now() + this.limits.initCpuMs };
    try {
      const evaluated = this.context.evalCode(program.source, SCRIPT_FILE, { strict: true });
      if (evaluated.error) {
        const error = this.describeError(evaluated.error, program, 'init', 'compile');
        this.freeSlots.push(slot);
        return { ok: false, error };
      }
      factory = evaluated.value;
      const slotHandle = this.context.newNumber(slot);
      const metaHandle = this.context.newString(meta);
      const result = this.context.callFunction(this.fns.define, this.api, slotHandle, factory, metaHandle);
      slotHandle.dispose();
      metaHandle.dispose();
      if (result.error) {
        const error = this.describeError(result.error, program, 'init', 'init');
        this.freeSlots.push(slot);
        return { ok: false, error, slot };
      }
      result.value.dispose();
      this.programs.set(slot, program);
      this.slotIndexes.set(slot, indexes);
      this.stepStale = true;
      return { ok: true, slot };
    } catch (error) {
      return { ok: false, error: this.fatal(error, 'init') };
    } finally {
      factory?.dispose();
      this.guard = { mode: 'idle' };
    }
  }

  unload(slot: number): void {
    this.slotIndexes.delete(slot);
    if (!this.programs.delete(slot) || this.brokenReason) return;
    const slotHandle = this.context.newNumber(slot);
    this.context.callFunction(this.fns.drop, this.api, slotHandle).dispose();
    slotHandle.dispose();
    this.freeSlots.push(slot);
  }

  /**
   * Evaluates a batch of jobs, each with its inputs given, in as few VM calls as possible (the
   * editor's runs: calculate, debug, benchmark, plot). Results are aligned with `jobs`. A job that
   * throws, times out or yields an invalid output fails alone; the batch goes on.
   */
  evaluate(jobs: readonly EvaluationJob[], cpuMs: number = this.limits.cpuMs): BatchResult {
    const results: JobResult[] = new Array(jobs.length);
    if (jobs.length === 0) return { results, brokenAt: null };
    this.assertUsable();
    const stream = new OpStream();
    const jobOf: number[] = [];
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      const indexes = this.slotIndexes.get(job.slot);
      if (!indexes) {
        results[j] = { status: 'skipped' };
        continue;
      }
      const step = ++this.stepCounter;
      // A script that reads only values gets bare numbers (the cheapest op); see prelude.ts.
      const valuesOnly = !this.programs.get(job.slot)?.readsInputMeta;
      for (let i = 0; i < job.inputs.length && i < indexes.length; i++) {
        const input = job.inputs[i];
        if (valuesOnly && typeof input.value === 'number') stream.value(indexes[i], input.value);
        else stream.update(indexes[i], input.value, input.ts, input.quality, step);
      }
      let worst = 0;
      for (const input of job.inputs) if (QUALITY_CODE[input.quality] > worst) worst = QUALITY_CODE[input.quality];
      stream.step(step, job.now);
      jobOf[stream.run(job.slot, false, worst, this.programs.get(job.slot)?.outputs.length ?? 0)] = j;
    }
    const outcome = this.runOps(stream, cpuMs);
    for (let j = 0; j < jobs.length; j++) if (!results[j]) results[j] = { status: 'ok', outputs: [] };
    for (const record of outcome.records) {
      const j = jobOf[record.ordinal];
      const job = jobs[j];
      const indexes = this.slotIndexes.get(job.slot) ?? [];
      const program = this.programs.get(job.slot);
      const k = indexes.indexOf(record.index, program ? program.inputTags.length : 0) - (program ? program.inputTags.length : 0);
      const result = results[j];
      if (result.status !== 'skipped') result.outputs.push({ index: k, value: record.value, quality: record.quality });
    }
    for (const failure of outcome.failures) {
      const j = jobOf[failure.ordinal];
      if (j === undefined) continue;
      const result = results[j];
      if (result.status === 'failed') continue;
      results[j] = { status: 'failed', outputs: result.status === 'skipped' ? [] : result.outputs, error: failure.error };
    }
    let brokenAt: number | null = null;
    if (outcome.brokenAt !== null) {
      // Jobs whose run was not reached did not run.
      const firstRun = stream.firstOrdinalFrom(outcome.brokenAt);
      for (let ordinal = firstRun; ordinal < stream.runCount; ordinal++) {
        const j = jobOf[ordinal];
        if (results[j].status !== 'failed') results[j] = { status: 'skipped' };
      }
      brokenAt = firstRun < stream.runCount ? jobOf[firstRun] : null;
    }
    return { results, brokenAt };
  }

  /**
   * Runs one batch of ops (tag updates and script runs, in order) — the engine's path. A run that
   * throws, times out or yields an invalid output fails alone; the batch resumes after it. When the
   * sandbox breaks (out of memory), `brokenAt` says where the batch stopped. `raw`: a batch that runs
   * whole in one call keeps its out buffer (outcome.raw, read with eachRecord) instead of records.
   */
  runOps(stream: OpStream, cpuMs: number = this.limits.cpuMs, progress?: (slot: number) => void, raw = false): OpsResult {
    const outcome: OpsResult = { records: [], failures: [], skipped: [], brokenAt: null };
    const count = stream.count;
    if (count === 0) return outcome;
    this.assertUsable();
    const buffers = this.buffers;
    const numbersOk = buffers.numbersFor(this.tagNames.length);
    // A new N: the step code is installed again (it holds the old one).
    if (buffers.numbersMoved) this.stepStale = true;
    if (this.stepStale) {
      this.stepStale = false;
      this.guard = { mode: 'deadline', deadline: performance.now() + this.limits.initCpuMs };
      try {
        const direct = installStepCode(this.context, this.api, this.fns.setStep, this.programs, this.slotIndexes);
        buffers.setDirect(direct, this.tagNames.length);
      } finally {
        this.guard = { mode: 'idle' };
      }
    }
    if (!numbersOk || !buffers.shareFor(count, stream.resultCapacity)) {
      // The module's memory is full before any script ran: no script is to blame; the owner
      // rebuilds the sandbox and runs the whole batch there.
      this.brokenReason = 'out of memory: no room for the batch in the sandbox';
      outcome.brokenAt = 0;
      return outcome;
    }
    buffers.write(stream);
    // The first step's numbers for direct indexes go straight into the guest's N: the call starts after them.
    const hoisted = buffers.hoist(count);
    let start = hoisted.start;
    const stringsHandle = stream.strings.length > 0 ? this.context.newString(JSON.stringify(stream.strings)) : this.context.undefined;
    let first = true;
    try {
      for (;;) {
        // The first call: the step and time in force after the hoisted ops (they may have held a step op).
        const from = first ? hoisted.end : start;
        const resume = from === 0 ? { ordinal: 0, step: 0, now: 0 } : stream.resumePoint(from);
        buffers.setArgs(count, start, this.tagNames.length, resume, progress ? 1 : MAX_RUNS_PER_CALL);
        this.beforeCall?.();
        if (progress) {
          // One run per VM call, announced first: a watchdog outside this thread can name the script
          // if a run never returns (a native call that takes minutes is not interrupted by QuickJS).
          let nextRun = start;
          while (nextRun < count && stream.slotAt(nextRun) < 0) nextRun++;
          progress(nextRun < count ? stream.slotAt(nextRun) : -1);
        }
        this.guard = { mode: 'batch', limit: cpuMs, lastJob: -1, lastJobAt: performance.now(), lastReadAt: Number.NEGATIVE_INFINITY };
        let call;
        try {
          call = this.context.callFunction(this.fns.run, this.api, stringsHandle);
        } catch (error) {
          // The host itself failed inside the VM (native stack exhausted, WebAssembly trap).
          this.guard = { mode: 'idle' };
          const at = Math.max(start, this.safeCurrentJob(start));
          outcome.failures.push({ ordinal: stream.ordinalAt(at), slot: stream.slotAt(at), op: at, error: this.fatal(error, 'calc') });
          outcome.brokenAt = at + 1 < count ? at + 1 : null;
          return outcome;
        } finally {
          this.guard = { mode: 'idle' };
        }
        const firstCall = first;
        first = false;
        if (!call.error) {
          call.value.dispose();
          const out = buffers.readOutput();
          const whole = firstCall && out.length >= Out.Header && out[Out.Next] >= count;
          collectOutput(out, this.readSide, out.length >= Out.Header && out[Out.Skips] > 0 ? this.callForString(this.fns.skipped) : null, this.programs, outcome, raw && whole);
          if (out.length >= Out.Header && out[Out.Next] < count) {
            start = out[Out.Next];
            continue;
          }
          if (progress) progress(-1);
          return outcome;
        }
        // The batch stopped in one run: a timeout (uncatchable in the guest) or a fatal error.
        const current = this.currentJob();
        let stoppedAt = current >= start && current < count ? current : start;
        // Charged to a run: if the guest was between runs, to the next one.
        while (stoppedAt < count - 1 && stream.slotAt(stoppedAt) < 0) stoppedAt++;
        const info = this.errorInfo(call.error);
        call.error.dispose();
        const slot = stream.slotAt(stoppedAt);
        const program = this.programs.get(slot);
        if (info.name === 'InternalError' && info.message === 'interrupted') {
          const skipped = this.callForString(this.fns.partial);
          collectOutput(buffers.readOutput(), this.readSide, skipped, this.programs, outcome);
          const ordinal = stream.ordinalAt(stoppedAt);
          outcome.failures.push({ ordinal, slot, op: stoppedAt, error: timeoutDiagnostic(info, program, 'calc', cpuMs) });
          if (slot >= 0) {
            // Its outputs report the failure (scripts.md); the guest's table learns it for the runs that follow.
            const at = stream.resumePoint(stoppedAt);
            const changed = JSON.parse(this.callForString(this.fns.fail, [slot, at.step, at.now]) ?? '[]') as number[];
            for (const index of changed) outcome.records.push({ ordinal, index, value: null, quality: 'bad', reason: 'error' });
          }
          start = stoppedAt + 1;
          if (start >= count) return outcome;
          continue;
        }
        // Out of memory (or something as bad): this run failed, the sandbox must be rebuilt. What
        // the runs before it published is kept when it can still be read.
        try {
          const skipped = this.callForString(this.fns.partial);
          collectOutput(buffers.readOutput(), this.readSide, skipped, this.programs, outcome);
        } catch {
          // nothing more to save
        }
        this.brokenReason = `${info.name}: ${info.message}`;
        outcome.failures.push({ ordinal: stream.ordinalAt(stoppedAt), slot, op: stoppedAt, error: memoryOrFatal(info, program, 'calc', this.limits.memoryMb) });
        outcome.brokenAt = stoppedAt + 1 < count ? stoppedAt + 1 : null;
        return outcome;
      }
    } finally {
      if (!this.brokenReason && stringsHandle !== this.context.undefined) stringsHandle.dispose();
    }
  }

  /** The values of a script's initCode variables, as plain JSON (editor runs). */
  readStatic(slot: number): Record<string, unknown> {
    if (this.brokenReason || !this.programs.has(slot)) return {};
    const text = this.callForString(this.fns.readStatic, slot);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  }

  /**
   * A script's static variables for another engine to continue from (scale-out.md): JSON-safe, or
   * why one does not serialise. Undefined variables are listed apart (JSON has no undefined).
   */
  dumpState(slot: number): StaticState {
    if (this.brokenReason || !this.programs.has(slot)) return { ok: false, variable: '', why: 'the script is not loaded' };
    const text = this.callForString(this.fns.dumpState, slot);
    if (text === null) return { ok: false, variable: '', why: 'reading its variables failed (a getter or proxy threw or took too long)' };
    const parsed = JSON.parse(text) as { vars?: Record<string, unknown>; undef?: string[]; bad?: string; why?: string };
    if (parsed.bad !== undefined) return { ok: false, variable: parsed.bad, why: parsed.why ?? 'does not serialise' };
    return { ok: true, vars: parsed.vars ?? {}, undef: parsed.undef ?? [] };
  }

  /** Puts static variables saved by dumpState back into a freshly loaded script (after its initCode ran). */
  loadState(slot: number, state: { vars: Record<string, unknown>; undef: string[] }): boolean {
    this.assertUsable();
    if (!this.programs.has(slot)) return false;
    const slotHandle = this.context.newNumber(slot);
    const json = this.context.newString(JSON.stringify(state));
    this.guard = { mode: 'deadline', deadline: performance.now() + this.limits.cpuMs };
    try {
      const result = this.context.callFunction(this.fns.loadState, this.api, slotHandle, json);
      if (result.error) {
        result.error.dispose();
        return false;
      }
      result.value.dispose();
      return true;
    } finally {
      this.guard = { mode: 'idle' };
      slotHandle.dispose();
      json.dispose();
    }
  }

  /**
   * What a traced program recorded since the last call (debug runs), as the guest wrote it:
   * `{"steps":[[site, index, value, ...], ...], "truncated": bool}`; null when there is none.
   * Readable after the script threw or timed out; lost only when the sandbox broke.
   */
  takeTrace(slot: number): string | null {
    if (this.brokenReason || this.disposed) return null;
    const text = this.callForString(this.fns.takeTrace, slot);
    return text === null || text === 'null' ? null : text;
  }

  /** Turns capture of console output on or off (editor runs); clears what was captured. */
  setCapture(on: boolean): void {
    this.assertUsable();
    const flag = on ? this.context.true : this.context.false;
    this.context.callFunction(this.fns.setCapture, this.api, flag).dispose();
  }

  takeLogs(slotOf?: number): ConsoleLog[] {
    if (this.brokenReason) return [];
    const text = this.callForString(this.fns.takeLogs);
    if (!text) return [];
    const entries = JSON.parse(text) as Array<{ level: ConsoleLog['level']; message: string; line: number; slot: number }>;
    return entries.map((entry) => {
      const program = this.programs.get(slotOf ?? entry.slot);
      const mapped = program && entry.line > 0 ? mapLine(program, entry.line) : null;
      return mapped
        ? { level: entry.level, message: entry.message, line: mapped.line, source: mapped.source }
        : { level: entry.level, message: entry.message };
    });
  }

  /**
   * Frees the sandbox. A broken one is dropped without disposing: disposing QuickJS after an
   * out-of-memory aborts the process.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.brokenReason) return;
    try {
      for (const handle of Object.values(this.fns)) handle.dispose();
      this.curHandle.dispose();
      this.api.dispose();
      this.context.dispose();
      this.runtime.dispose();
    } catch {
      // Leaking a sandbox is better than taking the process down.
    }
  }

  // ---- internals ----

  private shouldInterrupt(): boolean {
    const guard = this.guard;
    if (guard.mode === 'deadline') return performance.now() > guard.deadline;
    if (guard.mode === 'batch') {
      const now = performance.now();
      // Reading which run is current costs a call into the VM: at most once a millisecond (polls
      // come every few hundred microseconds), so a run's start is known to within about a millisecond.
      if (now - guard.lastReadAt < READ_INTERVAL_MS) return guard.lastJob >= 0 && now - guard.lastJobAt > guard.limit;
      guard.lastReadAt = now;
      const job = this.currentJob();
      // Between runs the prelude runs its own bounded code: only a run can be stopped (a stalled
      // thread on a loaded machine must not interrupt the prelude, e.g. after the last run).
      if (job < 0) {
        guard.lastJob = job;
        guard.lastJobAt = now;
        return false;
      }
      if (job !== guard.lastJob) {
        guard.lastJob = job;
        guard.lastJobAt = now;
        return false;
      }
      return now - guard.lastJobAt > guard.limit;
    }
    return false;
  }

  private currentJob(): number {
    const handle = this.context.getProp(this.curHandle, 0);
    const value = this.context.getNumber(handle);
    handle.dispose();
    return value;
  }

  private safeCurrentJob(fallback: number): number {
    try {
      const job = this.currentJob();
      return job >= 0 ? job : fallback;
    } catch {
      return fallback;
    }
  }

  /** The guest's side channel (strings and errors of the last call), as JSON. */
  private readonly readSide = (): string | null => this.callForString(this.fns.side);

  private callForString(fn: QuickJSHandle, argument?: number | number[]): string | null {
    const args = argument === undefined ? [] : (Array.isArray(argument) ? argument : [argument]).map((n) => this.context.newNumber(n));
    this.guard = { mode: 'deadline', deadline: performance.now() + this.limits.cpuMs };
    try {
      const result = this.context.callFunction(fn, this.api, ...args);
      if (result.error) {
        result.error.dispose();
        return null;
      }
      const text = this.context.typeof(result.value) === 'string' ? this.context.getString(result.value) : null;
      result.value.dispose();
      return text;
    } finally {
      this.guard = { mode: 'idle' };
      args.forEach((handle) => handle.dispose());
    }
  }

  private errorInfo(handle: QuickJSHandle): { name: string; message: string; stack: string } {
    // The host only reads plain data properties of real Error objects; nothing of the script runs.
    const read = (key: string) => {
      const value = this.context.getProp(handle, key);
      const text = this.context.typeof(value) === 'string' ? this.context.getString(value) : '';
      value.dispose();
      return text;
    };
    if (this.context.typeof(handle) !== 'object') return { name: '', message: 'threw a value that is not an Error', stack: '' };
    return { name: read('name'), message: read('message'), stack: read('stack').slice(0, 4000) };
  }

  private describeError(handle: QuickJSHandle, program: CompiledScript, phase: 'init' | 'calc', step: 'compile' | 'init'): Diagnostic {
    const info = this.errorInfo(handle);
    handle.dispose();
    if (info.name === 'InternalError' && info.message === 'interrupted') {
      return timeoutDiagnostic(info, program, phase, step === 'init' ? this.limits.initCpuMs : this.limits.cpuMs);
    }
    if (info.name === 'InternalError' && info.message === 'out of memory') {
      this.brokenReason = 'out of memory';
      return memoryOrFatal(info, program, phase, this.limits.memoryMb);
    }
    return runtimeDiagnostic(info, program, phase, step === 'compile' ? 'syntax' : 'runtime');
  }

  private fatal(error: unknown, phase: 'init' | 'calc'): Diagnostic {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.brokenReason = text;
    return /call stack/i.test(text)
      ? diagnostic('stack-overflow', {}, { source: phase, kind: 'runtime' })
      : diagnostic('sandbox-failed', { error: text }, { source: phase, kind: 'memory' });
  }

  private assertUsable(): void {
    if (this.disposed) throw new Error('sandbox is disposed');
    if (this.brokenReason) throw new Error(`sandbox is broken: ${this.brokenReason}`);
  }
}
