/**
 * The wire format between the host (script-sandbox.ts, op-stream.ts) and the guest
 * (guest/prelude.ts): the one place its numbers are defined. The guest is bundled with these
 * constants inlined (scripts/build-guest.mjs: esbuild inlines TypeScript enums), so they cost the
 * interpreter nothing.
 *
 * A batch (in the shared buffer, see Arg below): n ops, each four integers (an Int32Array T over the first 16n bytes)
 * and four numbers (a Float64Array F after it); op k is T[4k..4k+3] and F[4k..4k+3]
 * (T and F sized for the buffer's op capacity, not n):
 *   update: T Op.Update, index, kind, quality   F number, ts, step    kind: Kind below (a string's
 *                                                                     number is its index into the
 *                                                                     batch's strings)
 *   values: T Op.Values, index, index, index    F number, number, number
 *                                               numbers only (when no script of the sandbox reads
 *                                               qualities, timestamps or change stamps): one to
 *                                               three, index Layout.NoIndex unused
 *   step:   T Op.Step                           F step, now   the runs that follow evaluate at this step/time
 *   run:    T Op.Run, slot, cond, quality       cond RunMode.Conditional: only if a trigger input changed at
 *                                               this step and every input has been seen; quality: the
 *                                               worst input quality, QualityCode.Unknown to work it out
 *   marks:  T Op.Marks, n, f                    the host's marks for the n run ops that follow its f
 *                                               fill ops: unconditional runs of fast programs with a
 *                                               known quality, slots increasing. The fill ops (T
 *                                               Op.Fill, three marks) hold, at markAt(slot) from the
 *                                               first fill op, that slot's run op + 1 (0: no run), so
 *                                               the step code runs them without a loop turn per run;
 *                                               a guest that cannot take them all reads the n run
 *                                               ops one by one, as any run (the fill ops are skipped)
 * Indexes travel as integers: QuickJS indexes an array by a double several times slower.
 * Runs are numbered in stream order (their ordinal).
 *
 * Out (a Float64Array in the shared buffer): a header of Out.Header numbers — record count, skipped-run count, side
 * entries (errors + strings), next op (when the call stopped early) — then Out.Record numbers per
 * published output: ordinal, table index, number, and its tag: quality + Out.KindUnit × RecKind (so a
 * number's tag is its quality alone; RecKind.Failed: null reporting a failed run). Strings, errors
 * and skipped runs go in a side channel, read only when there are any. The guest writes a record's
 * ordinal last: the step code keeps the record count in a local, and after a throw or an interrupt
 * the guest counts its records again up to the first ordinal still −1 (guest/prelude.ts runMarked).
 */

/** Sizes. Each op is OpStride integers and OpStride numbers: one stride for both arrays. */
export const enum Layout {
  OpStride = 4,
  OpBytes = (4 + 8) * 4,
  /** An unused index of a values op. */
  NoIndex = -1,
}

export const enum Op {
  Update = 1,
  Run = 2,
  Step = 3,
  Values = 4,
  Marks = 5,
  Fill = 6,
}

/** Where a slot's mark is in a marks op's fill ops (from the first one's first integer): three a stride, after the op's type. */
export function markAt(slot: number): number {
  return Layout.OpStride * ((slot / 3) | 0) + 1 + (slot % 3);
}

/** Kinds of a value (update ops, published records). */
export const enum Kind {
  Null = 0,
  Number = 1,
  False = 2,
  True = 3,
  String = 4,
}

/** Quality codes, in the order of QUALITIES (model/tag-value.ts). */
export const enum QualityCode {
  Good = 0,
  Uncertain = 1,
  Bad = 2,
  /** A run's worst input quality when the host does not know it: the runner works it out. */
  Unknown = -1,
}

/** A run op's condition (the runner's third argument). */
export const enum RunMode {
  /** Runs whatever changed (a script triggered by a raw value). */
  Unconditional = 0,
  /** Runs only if a trigger input changed at this step and every input has been seen. */
  Conditional = 1,
}

/** What a runner returns (compiler/generate-runner.ts writes these numbers into its epilogue). */
export const enum Ran {
  Skipped = 0,
  Ok = 1,
  BadOutput = 2,
}

/** The guest's CUR[0] (the host reads it as `api.cur[0]`): the op of the run in progress, or one of these. */
export const enum Cur {
  Idle = -1,
  Init = -2,
}

/** The out buffer: header fields, then records of Record numbers. Sizes and places: equal values are meant. */
export const enum Out {
  Header = 4,
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values -- a size, equal to Header by chance
  Record = 4,
  /** A record's tag is quality + KindUnit × its RecKind. */
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values -- a factor, equal to the sizes by chance
  KindUnit = 4,
  Records = 0,
  Skips = 1,
  Side = 2,
  Next = 3,
}

/**
 * The shared buffer (one ArrayBuffer per sandbox, allocated by the host in the module's memory and
 * handed to the guest once, api.setShared; the host writes and reads it through its own view of that
 * memory, no copy through handles): Arg.Size numbers of arguments of the next run call, then the out
 * buffer (outCap numbers), then the batch's ops (opCap ops: their integers, then their numbers).
 */
export const enum Arg {
  Count = 0,
  StartOp = 1,
  TableSize = 2,
  FirstOrdinal = 3,
  FirstStep = 4,
  FirstNow = 5,
  MaxRuns = 6,
  Size = 8,
}

/** Fields of a published record in the out buffer. */
export const enum Rec {
  Ordinal = 0,
  Index = 1,
  Number = 2,
  /** quality + Out.KindUnit × RecKind: a number's is its quality (RecKind.Number is 0). */
  Tag = 3,
}

/**
 * The kind of a published record's value (its tag, see Rec.Tag). Not Kind's numbers: a number is 0
 * here, so the step code writes a number's record without a kind (decision 0019, addendum 3).
 */
export const enum RecKind {
  Number = 0,
  Null = 1,
  False = 2,
  True = 3,
  String = 4,
  /** null/bad reporting a failed run (reason "error"). */
  Failed = 5,
}
