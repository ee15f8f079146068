import { QUALITIES, type Quality, type TagScalar } from '../model/tag-value';
import { Kind, Layout, markAt, Op, Out, RunMode } from './wire';

/** Quality codes on the wire (wire.ts QualityCode), by quality. */
export const QUALITY_CODE: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export type DecodedOp =
  | { type: 'update'; tag: string; value: TagScalar; ts: number; quality: Quality; step: number }
  | { type: 'step'; step: number; now: number }
  | { type: 'run'; slot: number; conditional: boolean; ordinal: number; quality: number };

// The wire's constants, read once: where the code runs unbundled (tsx: tests, tools, the bench) an
// imported enum member is a getter call per use, which the per-value methods below cannot afford.
const STRIDE: number = Layout.OpStride;
const NO_INDEX: number = Layout.NoIndex;
const UPDATE: number = Op.Update;
const RUN: number = Op.Run;
const STEP: number = Op.Step;
const VALUES: number = Op.Values;
const MARKS: number = Op.Marks;
const FILL: number = Op.Fill;
const MARK_AT = markAt;
const NULL: number = Kind.Null;
const NUMBER: number = Kind.Number;
const FALSE: number = Kind.False;
const TRUE: number = Kind.True;
const STRING: number = Kind.String;
const UNCONDITIONAL: number = RunMode.Unconditional;
const CONDITIONAL: number = RunMode.Conditional;

/**
 * Builds the op stream of one batch (the wire format of wire.ts): op n is ints[4n..4n+3] and
 * nums[4n..4n+3]. Integers travel in an Int32Array because the guest indexes its arrays with them:
 * QuickJS looks an array up by a double several times slower, and converting costs as much.
 */
export class OpStream {
  private ints = new Int32Array(STRIDE * 1024);
  private nums = new Float64Array(STRIDE * 1024);
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
    this.block = -1;
    this.steps = 0;
    return this;
  }

  /**
   * Slots below this may be marked by the host (wire.ts Op.Marks): the sandbox's slot count, set by
   * the engine for its batches; 0 (editor runs, tests): every run is marked by the guest.
   */
  markSlots = 0;
  /** Position of the open marks op, -1 when the last op is not a run of its block. */
  private block = -1;
  private blockEnd = -1;
  private blockSlot = -1;

  update(index: number, value: TagScalar, ts: number, quality: Quality, step: number): void {
    const q = this.reserve(UPDATE);
    const ints = this.ints;
    const nums = this.nums;
    ints[q + 1] = index;
    if (typeof value === 'number') {
      ints[q + 2] = NUMBER;
      nums[q] = value;
    } else if (value === null) {
      ints[q + 2] = NULL;
    } else if (typeof value === 'boolean') {
      ints[q + 2] = value ? TRUE : FALSE;
    } else {
      ints[q + 2] = STRING;
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
      if (ints[open + 2] === NO_INDEX) {
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
    this.ints[q + 2] = NO_INDEX;
    this.ints[q + 3] = NO_INDEX;
    this.nums[q] = value;
    this.openValues = q;
  }

  /** Position of the last op when it is a value op with room for another value, else -1. */
  private openValues = -1;

  /** Starts a step: the runs that follow evaluate at `step`, with ctx.now = `now`. */
  step(step: number, now: number): void {
    if (step === this.currentStep && now === this.currentNow) return;
    const q = this.reserve(STEP);
    this.steps++;
    this.nums[q] = step;
    this.nums[q + 1] = now;
    this.currentStep = step;
    this.currentNow = now;
  }

  /**
   * A run of the script in `slot` at the current step; returns its ordinal (runs are numbered in
   * stream order). `quality`: the worst input quality when known, -1 to let the runner work it out.
   */
  run(slot: number, conditional: boolean, quality: number, outputCount: number, fast = false): number {
    // A fast program's unconditional run with a known quality: marked by the host, in a block.
    const marked = fast && !conditional && quality >= 0 && slot < this.markSlots;
    if (marked && (this.block < 0 || this.blockEnd !== this.length || slot <= this.blockSlot)) this.openBlock();
    const q = this.reserve(RUN);
    const ints = this.ints;
    if (marked) {
      ints[this.block + 1]++;
      ints[this.block + STRIDE + MARK_AT(slot)] = this.length;
      this.blockSlot = slot;
      this.blockEnd = this.length;
    }
    ints[q + 1] = slot;
    ints[q + 2] = conditional ? CONDITIONAL : UNCONDITIONAL;
    ints[q + 3] = quality;
    this.outputSlots += outputCount;
    this.runOps.push(this.length - 1);
    return this.runOps.length - 1;
  }

  /** A marks op and its fill ops, for the runs that follow. */
  private openBlock(): void {
    const fills = Math.ceil(this.markSlots / 3);
    const block = this.reserve(MARKS);
    this.ints[block + 1] = 0;
    this.ints[block + 2] = fills;
    for (let k = 0; k < fills; k++) {
      const q = this.reserve(FILL);
      this.ints[q + 1] = this.ints[q + 2] = this.ints[q + 3] = 0;
    }
    this.block = block;
    this.blockSlot = -1;
  }

  private currentStep = Number.NaN;
  private currentNow = Number.NaN;
  private steps = 0;

  /** Runs per step op of the batch (what the engine weighs the host's marks against). */
  get runsPerStep(): number {
    return this.steps === 0 ? 0 : this.runOps.length / this.steps;
  }
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
      if (this.ints[STRIDE * at] === STEP) {
        step = this.nums[STRIDE * at];
        now = this.nums[STRIDE * at + 1];
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
    return Out.Header + Out.Record * this.outputSlots;
  }

  /** The slot of run op `op` (for the host's own bookkeeping). */
  slotAt(op: number): number {
    const q = STRIDE * op;
    return this.ints[q] === RUN ? this.ints[q + 1] : -1;
  }

  /** The ordinal of run op `op`, -1 for other ops. */
  ordinalAt(op: number): number {
    if (this.ints[STRIDE * op] !== RUN) return -1;
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
      const q = STRIDE * op;
      const type = ints[q];
      if (type === VALUES) {
        for (let k = 0; k < 3 && ints[q + 1 + k] !== NO_INDEX; k++) {
          ops.push({ type: 'update', tag: tagAt(ints[q + 1 + k]), value: nums[q + k], ts: 0, quality: 'good', step: 0 });
        }
      } else if (type === UPDATE) {
        const kind = ints[q + 2];
        const value: TagScalar = kind === NUMBER ? nums[q] : kind === NULL ? null : kind === FALSE ? false : kind === TRUE ? true : this.strings[nums[q]];
        ops.push({ type: 'update', tag: tagAt(ints[q + 1]), value, ts: nums[q + 1], quality: QUALITIES[ints[q + 3]], step: nums[q + 2] });
      } else if (type === STEP) {
        ops.push({ type: 'step', step: nums[q], now: nums[q + 1] });
      } else if (type === MARKS || type === FILL) {
        // The host's marks: the runs they mark follow as run ops.
      } else {
        ops.push({ type: 'run', slot: ints[q + 1], conditional: ints[q + 2] === CONDITIONAL, quality: ints[q + 3], ordinal: this.runOps.indexOf(op) });
      }
    }
    return ops;
  }

  /**
   * Writes the stream where the guest reads it in the shared buffer (wire.ts Arg): the ops'
   * integers at byte `at`, their numbers after room for `capacity` ops.
   */
  writeTo(memory: ArrayBuffer, at: number, capacity: number): void {
    const n = STRIDE * this.length;
    new Int32Array(memory, at, n).set(this.ints.subarray(0, n));
    new Float64Array(memory, at + 4 * STRIDE * capacity, n).set(this.nums.subarray(0, n));
  }

  /** Starts an op of `type`; returns its first position in both arrays (they share the stride). */
  private reserve(type: number): number {
    this.openValues = -1;
    const q = STRIDE * this.length;
    if (q + STRIDE > this.ints.length) {
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
