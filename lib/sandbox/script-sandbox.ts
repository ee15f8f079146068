import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from 'quickjs-emscripten';
import type { CompiledScript } from '../compiler/compile-script';
import type { Diagnostic, DiagnosticSource } from '../compiler/diagnostic';
import { where } from '../compiler/diagnostic';
import { QUALITIES, type Quality, type TagScalar } from '../tags/tag-value';
import { PRELUDE, PRELUDE_FILE } from './prelude';
import { newCappedModule } from './quickjs-module';

/**
 * One QuickJS sandbox (a WebAssembly module with capped memory, one runtime, one context) that hosts
 * any number of scripts, each in its own slot, and evaluates them in batches: one VM call runs many
 * scripts, with inputs packed into a Float64Array and outputs read back in one copy.
 *
 * Guarantees kept per script inside a batch:
 *  - CPU deadline: the guest records which job runs; the interrupt handler stops a job that has run
 *    longer than its limit, that job fails with a timeout and the batch resumes after it.
 *  - Isolation: built-ins and the global object are frozen, so scripts sharing a context cannot see
 *    or change each other's state; nothing of the host is reachable from script code.
 *  - Memory: the module's memory cannot grow past the cap; an out-of-memory (or any fatal error)
 *    marks the sandbox broken, and its owner rebuilds it.
 */

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
  | { mode: 'batch'; limit: number; jobs: number; lastJob: number; lastJobAt: number };

interface GuestError {
  job: number;
  kind: 'runtime' | 'output';
  name?: string;
  message: string;
  stack?: string;
  output?: number;
}

export class ScriptSandbox {
  private guard: Guard = { mode: 'idle' };
  private readonly programs = new Map<number, CompiledScript>();
  private readonly freeSlots: number[] = [];
  private nextSlot = 0;
  private brokenReason: string | null = null;
  private disposed = false;

  private constructor(
    private readonly module: QuickJSWASMModule,
    private readonly runtime: QuickJSRuntime,
    private readonly context: QuickJSContext,
    private readonly api: QuickJSHandle,
    private readonly stateHandle: QuickJSHandle,
    private readonly fns: Record<'define' | 'drop' | 'run' | 'side' | 'readStatic' | 'setCapture' | 'takeLogs' | 'takeTrace', QuickJSHandle>,
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
    const names = ['define', 'drop', 'run', 'side', 'readStatic', 'setCapture', 'takeLogs', 'takeTrace'] as const;
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

  /** Loads a compiled script and runs its initCode under the init deadline. */
  load(program: CompiledScript, options: LoadOptions): LoadResult {
    this.assertUsable();
    const slot = this.freeSlots.pop() ?? this.nextSlot++;
    const meta = JSON.stringify({
      aliases: program.aliases,
      outputs: program.outputs.map((output, index) => {
        const previous = options.previous?.[index];
        return {
          tag: output.tag,
          variable: output.variable,
          deadband: output.deadband ?? 0,
          hasPrev: previous !== null && previous !== undefined,
          prev: previous?.value ?? null,
          prevQ: previous ? QUALITIES.indexOf(previous.quality) : 0,
        };
      }),
      now: options.now,
      reportAll: options.reportAll ?? false,
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
      return { ok: true, slot };
    } catch (error) {
      return { ok: false, error: this.fatal(error, 'init') };
    } finally {
      factory?.dispose();
      this.guard = { mode: 'idle' };
    }
  }

  unload(slot: number): void {
    if (!this.programs.delete(slot) || this.brokenReason) return;
    const slotHandle = this.context.newNumber(slot);
    this.context.callFunction(this.fns.drop, this.api, slotHandle).dispose();
    slotHandle.dispose();
    this.freeSlots.push(slot);
  }

  /**
   * Evaluates a batch of jobs in as few VM calls as possible. Results are aligned with `jobs`.
   * A job that throws, times out or yields an invalid output fails alone; the batch goes on.
   */
  evaluate(jobs: readonly EvaluationJob[], cpuMs: number = this.limits.cpuMs): BatchResult {
    const results: JobResult[] = new Array(jobs.length);
    if (jobs.length === 0) return { results, brokenAt: null };
    this.assertUsable();

    const { buffer, strings, strides } = this.encode(jobs);
    const inputHandle = this.context.newArrayBuffer(buffer.buffer as ArrayBuffer);
    const stringsHandle = strings.length > 0 ? this.context.newString(JSON.stringify(strings)) : this.context.undefined;
    let start = 0;
    try {
      while (start < jobs.length) {
        const startHandle = this.context.newNumber(start);
        this.guard = { mode: 'batch', limit: cpuMs, jobs: jobs.length, lastJob: start, lastJobAt: performance.now() };
        let call;
        try {
          call = this.context.callFunction(this.fns.run, this.api, inputHandle, stringsHandle, startHandle);
        } catch (error) {
          // The host itself failed inside the VM (native stack exhausted, WebAssembly trap).
          this.guard = { mode: 'idle' };
          const at = this.safeCurrentJob(start);
          const diagnostic = this.fatal(error, 'calc');
          results[at] = { status: 'failed', outputs: [], error: diagnostic };
          this.fillSkipped(results, start, at);
          return { results, brokenAt: at };
        } finally {
          startHandle.dispose();
          this.guard = { mode: 'idle' };
        }
        if (!call.error) {
          const out = this.readOutput(call.value);
          call.value.dispose();
          this.decodeRange(jobs, strides, out, start, jobs.length, results);
          return { results, brokenAt: null };
        }

        // The batch stopped at one job: a timeout (uncatchable in the guest) or a fatal error. A
        // failure in the prelude between jobs (cur = -1) is charged to the first job not finished.
        const current = this.currentJob();
        const stoppedAt = current >= start && current < jobs.length ? current : start;
        const info = this.errorInfo(call.error);
        call.error.dispose();
        const outHandle = this.context.getProp(this.stateHandle, 'outBuffer');
        const partial = this.readOutput(outHandle);
        outHandle.dispose();
        this.decodeRange(jobs, strides, partial, start, stoppedAt, results);
        const program = this.programs.get(jobs[stoppedAt].slot);
        if (info.name === 'InternalError' && info.message === 'interrupted') {
          results[stoppedAt] = { status: 'failed', outputs: [], error: this.timeoutDiagnostic(info, program, 'calc', cpuMs) };
          start = stoppedAt + 1;
          continue;
        }
        // Out of memory (or something as bad): this job failed, the sandbox must be rebuilt.
        this.brokenReason = `${info.name}: ${info.message}`;
        results[stoppedAt] = { status: 'failed', outputs: [], error: this.memoryOrFatal(info, program, 'calc') };
        this.fillSkipped(results, stoppedAt + 1, jobs.length);
        return { results, brokenAt: stoppedAt + 1 < jobs.length ? stoppedAt + 1 : null };
      }
      return { results, brokenAt: null };
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
      const job = this.currentJob();
      // Between jobs the prelude runs its own bounded code: only a job can be stopped (a stalled
      // thread on a loaded machine must not interrupt the prelude, e.g. after the last job).
      if (job < 0 || job >= guard.jobs) {
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

  private encode(jobs: readonly EvaluationJob[]) {
    let size = 1;
    for (const job of jobs) size += 3 + 4 * job.inputs.length;
    const buffer = new Float64Array(size);
    const strings: string[] = [];
    const strides = new Int32Array(jobs.length);
    buffer[0] = jobs.length;
    let p = 1;
    for (let j = 0; j < jobs.length; j++) {
      const job = jobs[j];
      const program = this.programs.get(job.slot);
      strides[j] = 2 + 4 * (program ? program.outputs.length : 0);
      buffer[p] = program ? job.slot : -1;
      buffer[p + 1] = job.now;
      buffer[p + 2] = job.inputs.length;
      p += 3;
      for (const input of job.inputs) {
        const value = input.value;
        if (typeof value === 'number') {
          buffer[p] = 1;
          buffer[p + 1] = value;
        } else if (value === null) {
          buffer[p] = 0;
        } else if (typeof value === 'boolean') {
          buffer[p] = value ? 3 : 2;
        } else {
          buffer[p] = 4;
          buffer[p + 1] = strings.length;
          strings.push(value);
        }
        buffer[p + 2] = input.ts;
        buffer[p + 3] = QUALITY_CODE[input.quality];
        p += 4;
      }
    }
    return { buffer, strings, strides };
  }

  private readOutput(handle: QuickJSHandle): Float64Array {
    if (this.context.typeof(handle) !== 'object') return new Float64Array(0);
    const bytes = this.context.getArrayBuffer(handle);
    const copy = bytes.value.slice();
    bytes.dispose();
    return new Float64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8);
  }

  private decodeRange(
    jobs: readonly EvaluationJob[],
    strides: Int32Array,
    out: Float64Array,
    from: number,
    to: number,
    results: JobResult[],
  ): void {
    let offset = 0;
    for (let j = 0; j < from; j++) offset += strides[j];
    let side: { strings: string[]; errors: GuestError[] } | null = null;
    const needSide = (): { strings: string[]; errors: GuestError[] } => (side ??= JSON.parse(this.callForString(this.fns.side) ?? '{"strings":[],"errors":[]}'));
    for (let j = from; j < to; j++) {
      const status = out[offset];
      const program = this.programs.get(jobs[j].slot);
      if (status === 2 || !program) {
        results[j] = { status: 'skipped' };
        offset += strides[j];
        continue;
      }
      const changed = out[offset + 1];
      const outputs: OutputSample[] = new Array(changed);
      let p = offset + 2;
      for (let k = 0; k < changed; k++, p += 4) {
        const type = out[p + 1];
        const value: TagScalar =
          type === 1 ? out[p + 2] : type === 0 ? null : type === 2 ? false : type === 3 ? true : needSide().strings[out[p + 2]];
        outputs[k] = { index: out[p], value, quality: QUALITIES[out[p + 3]] };
      }
      if (status === 1) {
        const guestError = needSide().errors.find((error) => error.job === j);
        results[j] = { status: 'failed', outputs, error: this.guestDiagnostic(guestError, program) };
      } else {
        results[j] = { status: 'ok', outputs };
      }
      offset += strides[j];
    }
  }

  private fillSkipped(results: JobResult[], from: number, to: number): void {
    for (let j = from; j < to; j++) results[j] ??= { status: 'skipped' };
  }

  private callForString(fn: QuickJSHandle, argument?: number): string | null {
    const args = argument === undefined ? [] : [this.context.newNumber(argument)];
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

  private guestDiagnostic(error: GuestError | undefined, program: CompiledScript): Diagnostic {
    if (!error) return { severity: 'error', source: 'calc', kind: 'runtime', message: 'the calculation failed' };
    if (error.kind === 'output') {
      const output = program.outputs[error.output ?? 0];
      return {
        severity: 'error',
        source: 'calc',
        kind: 'output',
        message: `output ${output.tag} (variable '${output.variable}') is not a valid value: ${error.message}`,
      };
    }
    return runtimeDiagnostic({ name: error.name ?? '', message: error.message, stack: error.stack ?? '' }, program, 'calc', 'runtime');
  }

  private timeoutDiagnostic(
    info: { stack: string },
    program: CompiledScript | undefined,
    phase: 'init' | 'calc',
    limitMs: number,
  ): Diagnostic {
    const what = phase === 'init' ? 'initialization' : 'calculation';
    // QuickJS reports an interrupt at the start of the running function, not at the loop, so the
    // loops found by the compiler are the better pointer.
    const located = program ? locate(info.stack, program) : null;
    const source = located?.source ?? phase;
    const loops = program ? program.loops[source] : [];
    const culprit = loops.find((loop) => located && loop.line >= located.line) ?? loops[0];
    let hint: string;
    if (culprit) {
      const others = loops.filter((loop) => loop !== culprit).slice(0, 3).map((loop) => loop.line);
      hint = ` — look for a loop that never ends ${where(source, culprit.line)}${others.length ? ` (other loops at lines ${others.join(', ')})` : ''}`;
    } else {
      hint = ' — look for a function that calls itself without end or a slow regular expression';
    }
    return {
      severity: 'error',
      source,
      kind: 'timeout',
      line: culprit?.line ?? located?.line,
      column: culprit?.column ?? located?.column,
      message: `${what} stopped after ${limitMs} ms${hint}`,
    };
  }

  private memoryOrFatal(info: { name: string; message: string; stack: string }, program: CompiledScript | undefined, phase: 'init' | 'calc'): Diagnostic {
    const place = program ? locate(info.stack, program) : null;
    const isMemory = info.message === 'out of memory';
    return {
      severity: 'error',
      source: place?.source ?? phase,
      kind: isMemory ? 'memory' : 'runtime',
      line: place?.line,
      column: place?.column,
      message: isMemory
        ? `the script ran out of memory (limit ${this.limits.memoryMb} MB)${place ? ` ${where(place.source, place.line, place.column)}` : ''} — look for arrays, strings or objects that grow without end`
        : `the sandbox failed: ${info.name}: ${info.message}`,
    };
  }

  private fatal(error: unknown, phase: 'init' | 'calc'): Diagnostic {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    this.brokenReason = text;
    const stackOverflow = /call stack/i.test(text);
    return {
      severity: 'error',
      source: phase,
      kind: stackOverflow ? 'runtime' : 'memory',
      message: stackOverflow
        ? 'the script nested calls too deeply (stack limit) — look for a function that calls itself without end'
        : `the sandbox failed (${text}) — the script was stopped`,
    };
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
  const source = place?.source ?? phase;
  let message = info.name ? `${info.name}: ${info.message}` : info.message;
  if (info.name === 'InternalError' && info.message === 'stack overflow') {
    message = 'calls nested too deeply (stack overflow) — look for a function that calls itself without end';
  }
  return {
    severity: 'error',
    source,
    kind,
    line: place?.line,
    column: place?.column,
    message: place ? `${message} ${where(source, place.line, place.column)}` : message,
  };
}
