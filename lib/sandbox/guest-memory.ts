import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { OpStream } from './op-stream';
import { Arg, Layout, Op, Out } from './wire';

/**
 * A buffer both sides of the sandbox read and write without a copy through handles: an ArrayBuffer
 * of the guest whose bytes the host allocated in the module's linear memory (`_malloc`) and reaches
 * through its own view of that memory. QuickJS owns it from then on (freed with the ArrayBuffer);
 * the host keeps the address. This is what `context.newArrayBuffer` does for every call, minus the
 * copy, kept instead of thrown away.
 *
 * It relies on three members of quickjs-emscripten's QuickJSContext that are not its public API
 * (`module._malloc`, `ffi.QTS_NewArrayBuffer`, `memory.heapValueHandle`, the context pointer
 * `ctx.value`); `sharedBufferSupported` checks them and guest-memory.test.ts pins the behaviour.
 */

interface ContextInternals {
  module?: { _malloc?: (bytes: number) => number };
  ffi?: { QTS_NewArrayBuffer?: (context: number, address: number, length: number) => number };
  ctx?: { value?: number };
  memory?: { heapValueHandle?: (pointer: number) => QuickJSHandle };
}

export interface SharedBuffer {
  /** The guest's ArrayBuffer (the host disposes its handle once the guest holds it). */
  handle: QuickJSHandle;
  /** Byte address in the module's memory (a multiple of 8). */
  address: number;
  bytes: number;
}

export function sharedBufferSupported(context: QuickJSContext): boolean {
  const c = context as unknown as ContextInternals;
  return (
    typeof c.module?._malloc === 'function' &&
    typeof c.ffi?.QTS_NewArrayBuffer === 'function' &&
    typeof c.ctx?.value === 'number' &&
    typeof c.memory?.heapValueHandle === 'function'
  );
}

/** A zeroed shared buffer of `bytes`, or null when the module's memory has no room for it. */
export function newSharedBuffer(context: QuickJSContext, memory: WebAssembly.Memory, bytes: number): SharedBuffer | null {
  if (!sharedBufferSupported(context)) throw new Error('quickjs-emscripten changed: the sandbox cannot share a buffer with its guest');
  const c = context as unknown as Required<{ [K in keyof ContextInternals]: Required<NonNullable<ContextInternals[K]>> }>;
  const address = c.module._malloc(bytes);
  if (!address) return null;
  if (address % 8 !== 0) throw new Error('the module returned a shared buffer that is not 8-byte aligned');
  new Uint8Array(memory.buffer, address, bytes).fill(0);
  const pointer = c.ffi.QTS_NewArrayBuffer(c.ctx.value, address, bytes);
  return { handle: c.memory.heapValueHandle(pointer), address, bytes };
}

// The wire's constants read once (an imported enum member costs a getter call per use under tsx).
const ARGS: number = Arg.Size, OP_BYTES: number = Layout.OpBytes, HEADER: number = Out.Header, RECORD: number = Out.Record;
const STRIDE: number = Layout.OpStride, NO_INDEX: number = Layout.NoIndex, VALUES: number = Op.Values, STEP: number = Op.Step;

/**
 * A sandbox's buffers shared with its guest: one for a run call's arguments, the out buffer and the
 * batch's ops (wire.ts Arg; api.setShared), one for the guest's numbers by table index (N in
 * guest/prelude.ts; api.setNumbers). Both grow (a new buffer handed over) and are otherwise reused:
 * a run call takes no handle but the batch's strings.
 */
export class GuestBuffers {
  private shared = { address: 0, outCap: 0, opCap: 0 };
  private numbers = { address: 0, cap: 0 };
  /** By table index, 1 for a direct index (step-code.ts directIndexes) of the installed step code. */
  private direct = new Uint8Array(0);
  /** Non-direct values of a batch's first step (hoist), as index/value pairs. */
  private readonly pending: number[] = [];
  /** The last numbersFor handed the guest a new N. */
  numbersMoved = false;

  constructor(
    private readonly context: QuickJSContext,
    private readonly memory: WebAssembly.Memory,
    private readonly api: QuickJSHandle,
    private readonly setShared: QuickJSHandle,
    private readonly setNumbers: QuickJSHandle,
  ) {}

  /** The direct indexes of the step code just installed (none when it was not). */
  setDirect(direct: ReadonlySet<number> | null, tableSize: number): void {
    // None direct: nothing to hoist (an empty table skips the walk).
    this.direct = new Uint8Array(direct && direct.size > 0 ? tableSize : 0);
    for (const index of direct ?? []) this.direct[index] = 1;
  }

  /** Writes the next run call's arguments (wire.ts Arg). */
  setArgs(count: number, start: number, tableSize: number, resume: { ordinal: number; step: number; now: number }, maxRuns: number): void {
    const args = new Float64Array(this.memory.buffer, this.shared.address, ARGS);
    args[Arg.Count] = count;
    args[Arg.StartOp] = start;
    args[Arg.TableSize] = tableSize;
    args[Arg.FirstOrdinal] = resume.ordinal;
    args[Arg.FirstStep] = resume.step;
    args[Arg.FirstNow] = resume.now;
    args[Arg.MaxRuns] = maxRuns;
  }

  /** Copies the batch's ops where the guest reads them. */
  write(stream: OpStream): void {
    const shared = this.shared;
    stream.writeTo(this.memory.buffer, shared.address + 8 * (ARGS + shared.outCap), shared.opCap);
  }

  /**
   * The out buffer the guest wrote, copied once (the records only): reading the side channel is a
   * VM call that may grow the module's memory, which detaches any view of it.
   */
  readOutput(): Float64Array {
    const at = this.shared.address / 8 + ARGS;
    const heap = new Float64Array(this.memory.buffer);
    return heap.slice(at, at + HEADER + RECORD * heap[at + Out.Records]);
  }
  /**
   * Applies the ops before the batch's first run that only give numbers (and steps) without the
   * guest's op loop: a direct index's number is written into the guest's N; the other numbers are
   * packed into value ops at the end of that stretch (in the shared copy of the ops; the stream stays
   * as it was). Returns the op the guest starts at. Nothing has run before it, so the order of those
   * writes does not matter but for the same index, and the last write stays the last. `end`: the
   * first op not hoisted.
   */
  hoist(count: number): { start: number; end: number } {
    const direct = this.direct;
    if (direct.length === 0) return { start: 0, end: 0 };
    const shared = this.shared;
    const at = shared.address + 8 * (ARGS + shared.outCap);
    const memory = this.memory.buffer;
    const ints = new Int32Array(memory, at, STRIDE * count);
    const nums = new Float64Array(memory, at + 4 * STRIDE * shared.opCap, STRIDE * count);
    const numbers = new Float64Array(memory, this.numbers.address, this.numbers.cap);
    const pending = this.pending;
    pending.length = 0;
    let op = 0;
    for (let q = 0; op < count; op++, q += STRIDE) {
      const type = ints[q];
      if (type === STEP) continue;
      if (type !== VALUES) break;
      for (let k = 1; k <= 3; k++) {
        const index = ints[q + k];
        if (index === NO_INDEX) break;
        const value = nums[q + k - 1];
        // NaN is N's "not a number here": such a value goes to V by an op (which writes N too).
        if (index < direct.length && direct[index] === 1 && value === value) numbers[index] = value;
        else pending.push(index, value);
      }
    }
    const start = op - Math.ceil(pending.length / 6);
    for (let p = 0, q = STRIDE * start; p < pending.length; q += STRIDE) {
      ints[q] = VALUES;
      for (let k = 1; k <= 3; k++, p += 2) {
        ints[q + k] = p < pending.length ? pending[p] : NO_INDEX;
        nums[q + k - 1] = p < pending.length ? pending[p + 1] : 0;
      }
    }
    return { start, end: op };
  }

  /** The guest's N with room for `size` tags: the one in place or a larger one (api.setNumbers; numbersMoved: the step code must be installed again). */
  numbersFor(size: number): boolean {
    this.numbersMoved = false;
    if (size <= this.numbers.cap) return true;
    const cap = Math.max(size, 2 * this.numbers.cap, 256);
    const buffer = newSharedBuffer(this.context, this.memory, 8 * cap);
    if (!buffer) return false;
    const result = this.context.callFunction(this.setNumbers, this.api, buffer.handle);
    buffer.handle.dispose();
    if (result.error) {
      result.error.dispose();
      return false;
    }
    result.value.dispose();
    this.numbers = { address: buffer.address, cap };
    this.numbersMoved = true;
    return true;
  }

  /**
   * A shared buffer with room for `ops` ops and `outNumbers` numbers of out buffer: the one in place,
   * or a larger one handed to the guest (api.setShared). False when the module's memory has no room.
   */
  shareFor(ops: number, outNumbers: number): boolean {
    const shared = this.shared;
    if (shared.address !== 0 && ops <= shared.opCap && outNumbers <= shared.outCap) return true;
    const opCap = Math.max(ops, 2 * shared.opCap, 256);
    const outCap = Math.max(outNumbers, 2 * shared.outCap, 1024);
    const buffer = newSharedBuffer(this.context, this.memory, 8 * (ARGS + outCap) + OP_BYTES * opCap);
    if (!buffer) return false;
    const outHandle = this.context.newNumber(outCap);
    const opHandle = this.context.newNumber(opCap);
    const result = this.context.callFunction(this.setShared, this.api, buffer.handle, outHandle, opHandle);
    buffer.handle.dispose();
    outHandle.dispose();
    opHandle.dispose();
    if (result.error) {
      result.error.dispose();
      return false;
    }
    result.value.dispose();
    this.shared = { address: buffer.address, outCap, opCap };
    return true;
  }
}
