import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic, DiagnosticSource } from '../model/diagnostic';
import { diagnostic } from '../model/diagnostic-messages';
import { QUALITIES, type Quality, type TagScalar } from '../model/tag-value';
import { PRELUDE, PRELUDE_FILE } from './prelude';
import { newCappedModule } from './quickjs-module';

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

/** A script's static variables as JSON (dumpState), or which one does not serialise and why. */
export type StaticState =
  | { ok: true; vars: Record<string, unknown>; undef: string[] }
  | { ok: false; variable: string; why: string };

export interface SandboxLimits {
  cpuMs: number;
  initCpuMs: number;
  memoryMb: number;
  /** QuickJS stack bound; keeps deep recursion a catchable error inside the guest. */
  stackBytes?: number;
}

export interface InputSample {
  value: TagScalar;
  ts: number;
  quality: Quality;
}

export interface EvaluationJob {
  slot: number;
  now: number;
  inputs: InputSample[];
}

export interface OutputSample {
  /** Index into the script's outputs. */
  index: number;
  value: TagScalar;
  quality: Quality;
}

export type JobResult =
  | { status: 'ok'; outputs: OutputSample[] }
  | { status: 'failed'; outputs: OutputSample[]; error: Diagnostic }
  | { status: 'skipped' };

export interface PreviousOutput {
  value: TagScalar;
  quality: Quality;
}

export interface LoadOptions {
  /** ctx.now during initCode. */
  now: number;
  /** Last published value of each output (by index), for change detection and ctx.previous. */
  previous?: ReadonlyArray<PreviousOutput | null | undefined>;
  /** Report every valid output on every run, not only the changed ones (editor runs). */
  reportAll?: boolean;
  /** The program is a traced compilation (debug runs): give it a step recorder, read with takeTrace. */
  trace?: boolean;
  /** Latest known values of the script's tags (inputs seen, outputs published), by tag. */
  seed?: ReadonlyMap<string, InputSample> | ((tag: string) => InputSample | undefined);
}

/** On failure `slot` is the slot the program was given, for reading the trace of its initCode. */
export type LoadResult = { ok: true; slot: number } | { ok: false; error: Diagnostic; slot?: number };

export interface ConsoleLog {
  level: 'log' | 'warn' | 'error';
  message: string;
  line?: number;
  source?: DiagnosticSource;
}

export interface BatchResult {
  results: JobResult[];
  /** Set when the sandbox broke during the batch: jobs from this index on were not run. */
  brokenAt: number | null;
}

export const DEFAULT_STACK_BYTES = 256 * 1024;
const SCRIPT_FILE = 'script.js';

type Guard =
  | { mode: 'idle' }
  | { mode: 'deadline'; deadline: number }
  | { mode: 'batch'; limit: number; lastJob: number; lastJobAt: number; lastReadAt: number };

interface GuestError {
  op: number;
  ordinal: number;
  slot: number;
  kind: 'runtime' | 'output';
  name?: string;
  message?: string;
  stack?: string;
  output?: number;
}

/** A value a script published in a batch. */
export interface PublishedRecord {
  /** The ordinal the run op carried (the caller's own numbering). */
  ordinal: number;
  /** Tag table index of the output tag. */
  index: number;
  value: TagScalar;
  quality: Quality;
  /** 'error': the null/bad value a failed run publishes for an output it could not compute. */
  reason?: 'error';
}

/** A run that failed in a batch. */
export interface FailedRun {
  ordinal: number;
  slot: number;
  op: number;
  error: Diagnostic;
}

export interface OpsResult {
  records: PublishedRecord[];
  failures: FailedRun[];
  /** Conditional runs that did not evaluate (not triggered, or an input never seen), by ordinal. */
  skipped: number[];
  /** Set when the sandbox broke: ops from this index on were not applied. */
  brokenAt: number | null;
}

/** Each op is 4 integers and 4 numbers (see prelude.ts): one stride for both arrays. */
const OP_STRIDE = 4;
const OP_BYTES = (4 + 8) * OP_STRIDE;
const READ_INTERVAL_MS = 1;
/** Runs per VM call: bounds how long one call lasts, so a watchdog can tell a hang from a big batch. */
const MAX_RUNS_PER_CALL = 2000;

export type DecodedOp =
  | { type: 'update'; tag: string; value: TagScalar; ts: number; quality: Quality; step: number }
  | { type: 'step'; step: number; now: number }
  | { type: 'run'; slot: number; conditional: boolean; ordinal: number; quality: number };

const UPDATE = 1;
const RUN = 2;
const STEP = 3;
const VALUES = 4;

/**
 * Builds the op stream of one batch (the wire format of prelude.ts): op n is ints[4n..4n+3] and
 * nums[4n..4n+3]. Integers travel in an Int32Array because the guest indexes its arrays with them:
 * QuickJS looks an array up by a double several times slower, and converting costs as much.
 */
export class OpStream {
  private ints = new Int32Array(OP_STRIDE * 1024);
  private nums = new Float64Array(OP_STRIDE * 1024);
  private length = 0;
  readonly strings: string[] = [];

  get count(): number {
    return this.length;
  }

  /** Empties the stream for the next batch, keeping its buffers (the engine reuses one per sandbox). */
  reset(): this {
    this.length = 0;
    this.strings.length = 0;
    this.runOps.length = 0;
    this.outputSlots = 0;
    this.currentStep = Number.NaN;
    this.currentNow = Number.NaN;
    this.openValues = -1;
    return this;
  }

  update(index: number, value: TagScalar, ts: number, quality: Quality, step: number): void {
    const q = this.reserve(UPDATE);
    const ints = this.ints;
    const nums = this.nums;
    ints[q + 1] = index;
    if (typeof value === 'number') {
      ints[q + 2] = 1;
      nums[q] = value;
    } else if (value === null) {
      ints[q + 2] = 0;
    } else if (typeof value === 'boolean') {
      ints[q + 2] = value ? 3 : 2;
    } else {
      ints[q + 2] = 4;
      nums[q] = this.strings.length;
      this.strings.push(value);
    }
    ints[q + 3] = QUALITY_CODE[quality];
    nums[q + 1] = ts;
    nums[q + 2] = step;
  }

  /**
   * A number for a tag, nothing else (see prelude.ts: only when nothing reads qualities or stamps).
   * Up to three consecutive values share one op: the guest's loop turns once for three of them.
   */
  value(index: number, value: number): void {
    const open = this.openValues;
    if (open >= 0) {
      const ints = this.ints;
      if (ints[open + 2] < 0) {
        ints[open + 2] = index;
        this.nums[open + 1] = value;
        return;
      }
      ints[open + 3] = index;
      this.nums[open + 2] = value;
      this.openValues = -1;
      return;
    }
    const q = this.reserve(VALUES);
    this.ints[q + 1] = index;
    this.ints[q + 2] = -1;
    this.ints[q + 3] = -1;
    this.nums[q] = value;
    this.openValues = q;
  }

  /** Position of the last op when it is a value op with room for another value, else -1. */
  private openValues = -1;

  /** Starts a step: the runs that follow evaluate at `step`, with ctx.now = `now`. */
  step(step: number, now: number): void {
    if (step === this.currentStep && now === this.currentNow) return;
    const q = this.reserve(STEP);
    this.nums[q] = step;
    this.nums[q + 1] = now;
    this.currentStep = step;
    this.currentNow = now;
  }

  /**
   * A run of the script in `slot` at the current step; returns its ordinal (runs are numbered in
   * stream order). `quality`: the worst input quality when known, -1 to let the runner work it out.
   */
  run(slot: number, conditional: boolean, quality: number, outputCount: number): number {
    const q = this.reserve(RUN);
    const ints = this.ints;
    ints[q + 1] = slot;
    ints[q + 2] = conditional ? 1 : 0;
    ints[q + 3] = quality;
    this.outputSlots += outputCount;
    this.runOps.push(this.length - 1);
    return this.runOps.length - 1;
  }

  private currentStep = Number.NaN;
  private currentNow = Number.NaN;
  /** Op index of each run, by ordinal. */
  private readonly runOps: number[] = [];

  /** Ordinal of the first run at or after op `op`, and the step/time in force there. */
  resumePoint(op: number): { ordinal: number; step: number; now: number } {
    let ordinal = this.runOps.length;
    for (let r = 0; r < this.runOps.length; r++) {
      if (this.runOps[r] >= op) {
        ordinal = r;
        break;
      }
    }
    let step = 0;
    let now = 0;
    for (let at = Math.min(op, this.length) - 1; at >= 0; at--) {
      if (this.ints[OP_STRIDE * at] === STEP) {
        step = this.nums[OP_STRIDE * at];
        now = this.nums[OP_STRIDE * at + 1];
        break;
      }
    }
    return { ordinal, step, now };
  }

  get runCount(): number {
    return this.runOps.length;
  }

  /** Room for every output of every run: what the guest may publish. */
  private outputSlots = 0;

  get resultCapacity(): number {
    return 4 + 5 * this.outputSlots;
  }

  /** The slot of run op `op` (for the host's own bookkeeping). */
  slotAt(op: number): number {
    const q = OP_STRIDE * op;
    return this.ints[q] === RUN ? this.ints[q + 1] : -1;
  }

  /** The ordinal of run op `op`, -1 for other ops. */
  ordinalAt(op: number): number {
    if (this.ints[OP_STRIDE * op] !== RUN) return -1;
    return this.resumePoint(op).ordinal;
  }

  /** The ordinal of the first run op at or after `op` (runs before it were reached). */
  firstOrdinalFrom(op: number): number {
    return this.resumePoint(op).ordinal;
  }

  /** The ops from `from` on, readable (for replaying them in another sandbox). */
  decode(from: number, tagAt: (index: number) => string): DecodedOp[] {
    const ops: DecodedOp[] = [];
    const ints = this.ints;
    const nums = this.nums;
    for (let op = from; op < this.length; op++) {
      const q = OP_STRIDE * op;
      const type = ints[q];
      if (type === VALUES) {
        for (let k = 0; k < 3 && ints[q + 1 + k] >= 0; k++) {
          ops.push({ type: 'update', tag: tagAt(ints[q + 1 + k]), value: nums[q + k], ts: 0, quality: 'good', step: 0 });
        }
      } else if (type === UPDATE) {
        const kind = ints[q + 2];
        const value: TagScalar = kind === 1 ? nums[q] : kind === 0 ? null : kind === 2 ? false : kind === 3 ? true : this.strings[nums[q]];
        ops.push({ type: 'update', tag: tagAt(ints[q + 1]), value, ts: nums[q + 1], quality: QUALITIES[ints[q + 3]], step: nums[q + 2] });
      } else if (type === STEP) {
        ops.push({ type: 'step', step: nums[q], now: nums[q + 1] });
      } else {
        ops.push({ type: 'run', slot: ints[q + 1], conditional: ints[q + 2] === 1, quality: ints[q + 3], ordinal: this.runOps.indexOf(op) });
      }
    }
    return ops;
  }

  /** The stream as the guest reads it: the ops' integers, then their numbers, in one buffer. */
  finish(): ArrayBuffer {
    const n = this.length;
    const buffer = new ArrayBuffer(OP_BYTES * n);
    new Int32Array(buffer, 0, OP_STRIDE * n).set(this.ints.subarray(0, OP_STRIDE * n));
    new Float64Array(buffer, 4 * OP_STRIDE * n, OP_STRIDE * n).set(this.nums.subarray(0, OP_STRIDE * n));
    return buffer;
  }

  /** Starts an op of `type`; returns its first position in both arrays (they share the stride). */
  private reserve(type: number): number {
    this.openValues = -1;
    const q = OP_STRIDE * this.length;
    if (q + OP_STRIDE > this.ints.length) {
      const ints = new Int32Array(this.ints.length * 2);
      ints.set(this.ints);
      this.ints = ints;
      const nums = new Float64Array(this.nums.length * 2);
      nums.set(this.nums);
      this.nums = nums;
    }
    this.ints[q] = type;
    this.length++;
    return q;
  }
}

export class ScriptSandbox {
  private guard: Guard = { mode: 'idle' };
  private readonly programs = new Map<number, CompiledScript>();
  /** Tag table indexes of each slot: inputs, then outputs. */
  private readonly slotIndexes = new Map<number, number[]>();
  private readonly tagIndexes = new Map<string, number>();
  private readonly tagNames: string[] = [];
  private stepCounter = 0;
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private brokenReason: string | null = null;
  private disposed = false;
  /** Called before every VM call of a batch (a heartbeat for a watchdog in another thread). */
  beforeCall?: () => void;

  private constructor(
    private readonly module: QuickJSWASMModule,
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly api: QuickJSHandle,
    private readonly stateHandle: QuickJSHandle,
    private readonly fns: Record<'define' | 'drop' | 'run' | 'side' | 'readStatic' | 'dumpState' | 'loadState' | 'setCapture' | 'takeLogs' | 'takeTrace' | 'skipped' | 'partial' | 'fail', QuickJSHandle>,
    readonly limits: SandboxLimits,
  ) {
    runtime.setInterruptHandler(() => this.shouldInterrupt());
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
    const names = ['define', 'drop', 'run', 'side', 'readStatic', 'dumpState', 'loadState', 'setCapture', 'takeLogs', 'takeTrace', 'skipped', 'partial', 'fail'] as const;
    const fns = Object.fromEntries(names.map((name) => [name, context.getProp(api, name)])) as ScriptSandbox['fns'];
    const stateHandle = context.getProp(api, 'state');
    return new ScriptSandbox(wasmModule, runtime, context, api, stateHandle, fns, limits);
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
   * sandbox breaks (out of memory), `brokenAt` says where the batch stopped.
   */
  runOps(stream: OpStream, cpuMs: number = this.limits.cpuMs, progress?: (slot: number) => void): OpsResult {
    const outcome: OpsResult = { records: [], failures: [], skipped: [], brokenAt: null };
    const count = stream.count;
    if (count === 0) return outcome;
    this.assertUsable();
    const inputHandle = this.context.newArrayBuffer(stream.finish());
    const stringsHandle = stream.strings.length > 0 ? this.context.newString(JSON.stringify(stream.strings)) : this.context.undefined;
    const capacity = stream.resultCapacity;
    let start = 0;
    try {
      for (;;) {
        const resume = start === 0 ? { ordinal: 0, step: 0, now: 0 } : stream.resumePoint(start);
        const args = [
          this.context.newNumber(start),
          this.context.newNumber(this.tagNames.length),
          this.context.newNumber(capacity),
          this.context.newNumber(resume.ordinal),
          this.context.newNumber(resume.step),
          this.context.newNumber(resume.now),
          this.context.newNumber(progress ? 1 : MAX_RUNS_PER_CALL),
        ];
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
          call = this.context.callFunction(this.fns.run, this.api, inputHandle, stringsHandle, ...args);
        } catch (error) {
          // The host itself failed inside the VM (native stack exhausted, WebAssembly trap).
          this.guard = { mode: 'idle' };
          const at = Math.max(start, this.safeCurrentJob(start));
          outcome.failures.push({ ordinal: stream.ordinalAt(at), slot: stream.slotAt(at), op: at, error: this.fatal(error, 'calc') });
          outcome.brokenAt = at + 1 < count ? at + 1 : null;
          return outcome;
        } finally {
          args.forEach((handle) => handle.dispose());
          this.guard = { mode: 'idle' };
        }
        if (!call.error) {
          const out = this.readOutput(call.value);
          call.value.dispose();
          this.collect(out, out.length >= 4 && out[1] > 0 ? this.callForString(this.fns.skipped) : null, outcome);
          if (out.length >= 4 && out[3] < count) {
            start = out[3];
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
          const partialHandle = this.context.getProp(this.stateHandle, 'outBuffer');
          this.collect(this.readOutput(partialHandle), skipped, outcome);
          partialHandle.dispose();
          const ordinal = stream.ordinalAt(stoppedAt);
          outcome.failures.push({ ordinal, slot, op: stoppedAt, error: this.timeoutDiagnostic(info, program, 'calc', cpuMs) });
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
          const partialHandle = this.context.getProp(this.stateHandle, 'outBuffer');
          this.collect(this.readOutput(partialHandle), skipped, outcome);
          partialHandle.dispose();
        } catch {
          // nothing more to save
        }
        this.brokenReason = `${info.name}: ${info.message}`;
        outcome.failures.push({ ordinal: stream.ordinalAt(stoppedAt), slot, op: stoppedAt, error: this.memoryOrFatal(info, program, 'calc') });
        outcome.brokenAt = stoppedAt + 1 < count ? stoppedAt + 1 : null;
        return outcome;
      }
    } finally {
      if (!this.brokenReason) {
        inputHandle.dispose();
        if (stringsHandle !== this.context.undefined) stringsHandle.dispose();
      }
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
      this.stateHandle.dispose();
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
    const handle = this.context.getProp(this.stateHandle, 'cur');
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

  private readOutput(handle: QuickJSHandle): Float64Array {
    if (this.context.typeof(handle) !== 'object') return new Float64Array(0);
    const bytes = this.context.getArrayBuffer(handle);
    const copy = bytes.value.slice();
    bytes.dispose();
    return new Float64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8);
  }

  /**
   * Adds what the guest published, the failures it recorded and the conditional runs it skipped to
   * `outcome`. R holds [records, skips, side entries, 0, then 5 numbers per record].
   */
  private collect(out: Float64Array, skippedJson: string | null, outcome: OpsResult): void {
    if (out.length < 4) return;
    const recordCount = out[0];
    const side =
      out[2] > 0
        ? (JSON.parse(this.callForString(this.fns.side) ?? '{"strings":[],"errors":[]}') as { strings: string[]; errors: GuestError[] })
        : { strings: [], errors: [] };
    for (let r = 0, p = 4; r < recordCount; r++, p += 5) {
      const kind = out[p + 2];
      if (kind === 5) {
        outcome.records.push({ ordinal: out[p], index: out[p + 1], value: null, quality: 'bad', reason: 'error' });
        continue;
      }
      const value: TagScalar = kind === 1 ? out[p + 3] : kind === 0 ? null : kind === 2 ? false : kind === 3 ? true : side.strings[out[p + 3]];
      outcome.records.push({ ordinal: out[p], index: out[p + 1], value, quality: QUALITIES[out[p + 4]] });
    }
    for (const error of side.errors) {
      const program = this.programs.get(error.slot);
      outcome.failures.push({
        ordinal: error.ordinal,
        slot: error.slot,
        op: error.op,
        error: program ? this.guestDiagnostic(error, program) : diagnostic('runtime-error', { error: error.message ?? 'the calculation failed' }, { source: 'calc', kind: 'runtime' }),
      });
    }
    if (skippedJson) for (const ordinal of JSON.parse(skippedJson) as number[]) outcome.skipped.push(ordinal);
  }

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
      return this.timeoutDiagnostic(info, program, phase, step === 'init' ? this.limits.initCpuMs : this.limits.cpuMs);
    }
    if (info.name === 'InternalError' && info.message === 'out of memory') {
      this.brokenReason = 'out of memory';
      return this.memoryOrFatal(info, program, phase);
    }
    return runtimeDiagnostic(info, program, phase, step === 'compile' ? 'syntax' : 'runtime');
  }

  private guestDiagnostic(error: GuestError, program: CompiledScript): Diagnostic {
    if (error.kind === 'output') return outputDiagnostic(program, error.output ?? 0, error.message ?? '');
    return runtimeDiagnostic({ name: error.name ?? '', message: error.message ?? '', stack: error.stack ?? '' }, program, 'calc', 'runtime');
  }

  private timeoutDiagnostic(
    info: { stack: string },
    program: CompiledScript | undefined,
    phase: 'init' | 'calc',
    limitMs: number,
  ): Diagnostic {
    // QuickJS reports an interrupt at the start of the running function, not at the loop, so the
    // loops found by the compiler are the better pointer.
    const located = program ? locate(info.stack, program) : null;
    const source = located?.source ?? phase;
    const loops = program ? program.loops[source] : [];
    const culprit = loops.find((loop) => located && loop.line >= located.line) ?? loops[0];
    const params = { part: phase, ms: limitMs };
    if (!culprit) return diagnostic('timeout', params, { source, kind: 'timeout', line: located?.line, column: located?.column });
    const others = loops.filter((loop) => loop !== culprit).slice(0, 3).map((loop) => loop.line);
    const place = { source, kind: 'timeout' as const, line: culprit.line, column: culprit.column };
    return others.length ? diagnostic('timeout-loops', { ...params, lines: others.join(', ') }, place) : diagnostic('timeout-loop', params, place);
  }

  private memoryOrFatal(info: { name: string; message: string; stack: string }, program: CompiledScript | undefined, phase: 'init' | 'calc'): Diagnostic {
    const place = program ? locate(info.stack, program) : null;
    const at = { source: place?.source ?? phase, line: place?.line, column: place?.column };
    return info.message === 'out of memory'
      ? diagnostic('out-of-memory', { mb: this.limits.memoryMb }, { ...at, kind: 'memory' })
      : diagnostic('sandbox-failed', { error: `${info.name}: ${info.message}` }, { ...at, kind: 'runtime' });
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

const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/** Maps a line of the generated program back to the user's code. */
export function mapLine(program: CompiledScript, generatedLine: number): { source: 'init' | 'calc'; line: number } | null {
  if (generatedLine >= program.calcLine && generatedLine < program.calcLine + program.calcLines) {
    return { source: 'calc', line: generatedLine - program.calcLine + 1 };
  }
  if (generatedLine >= program.initLine && generatedLine < program.initLine + program.initLines) {
    return { source: 'init', line: generatedLine - program.initLine + 1 };
  }
  return null;
}

/** The first frame of the stack that lies in the user's code. */
export function locate(stack: string, program: CompiledScript): { source: 'init' | 'calc'; line: number; column?: number } | null {
  const frame = /script\.js:(\d+)(?::(\d+))?/g;
  for (let match = frame.exec(stack); match; match = frame.exec(stack)) {
    const mapped = mapLine(program, Number(match[1]));
    if (mapped) return { ...mapped, column: match[2] ? Number(match[2]) : undefined };
  }
  return null;
}

function runtimeDiagnostic(
  info: { name: string; message: string; stack: string },
  program: CompiledScript,
  phase: 'init' | 'calc',
  kind: 'runtime' | 'syntax',
): Diagnostic {
  const place = locate(info.stack, program);
  const at = { source: place?.source ?? phase, kind, line: place?.line, column: place?.column };
  if (info.name === 'InternalError' && info.message === 'stack overflow') return diagnostic('stack-overflow', {}, at);
  return diagnostic(kind === 'syntax' ? 'syntax' : 'runtime-error', { error: info.name ? `${info.name}: ${info.message}` : info.message }, at);
}

/**
 * An output whose value cannot be published, reported where its variable was last assigned (the
 * compiler's scope analysis). `problem` is the prelude's code: "undefined", "nonfinite NaN",
 * "long 5000", "type array".
 */
export function outputDiagnostic(program: CompiledScript, index: number, problem: string): Diagnostic {
  const output = program.outputs[index];
  const place = program.outputPlaces?.[index];
  const at = { source: place?.source ?? ('calc' as const), kind: 'output' as const, line: place?.line, column: place?.column };
  const params = { output: output.tag, variable: output.variable };
  const [what, detail = ''] = problem.split(' ');
  if (what === 'undefined') return diagnostic('output-undefined', params, at);
  if (what === 'nonfinite') return diagnostic('output-not-finite', { ...params, value: detail }, at);
  if (what === 'long') return diagnostic('output-too-long', { ...params, length: Number(detail) }, at);
  return diagnostic('output-wrong-type', { ...params, type: detail || 'unknown' }, at);
}
