import type { CompiledScript } from '../compiler/compile-script';
import { diagnostic } from '../model/diagnostic-messages';
import { QUALITIES, type Quality, type TagScalar } from '../model/tag-value';
import { guestDiagnostic } from './sandbox-diagnostics';
import type { GuestError, OpsResult } from './sandbox-types';
import { Out, Rec, RecKind } from './wire';

/** The copy-back: what one VM call of a batch returned, decoded on the host. */

// The wire's constants read once (an imported enum member costs a getter call per use under tsx).
const RECORD: number = Out.Record, UNIT: number = Out.KindUnit, ORDINAL: number = Rec.Ordinal, INDEX: number = Rec.Index, NUMBER: number = Rec.Number, TAG: number = Rec.Tag;
const FAILED: number = RecKind.Failed, IS_NUMBER: number = RecKind.Number, IS_NULL: number = RecKind.Null, IS_FALSE: number = RecKind.False, IS_TRUE: number = RecKind.True;

/** The value of the record at `p` of an out buffer (not a failed one). */
function valueAt(out: Float64Array, p: number, strings: readonly string[]): TagScalar {
  const kind = (out[p + TAG] / UNIT) | 0;
  const number = out[p + NUMBER];
  return kind === IS_NUMBER ? number : kind === IS_NULL ? null : kind === IS_FALSE ? false : kind === IS_TRUE ? true : strings[number];
}
/** A record's quality code (its tag without the kind). */
function qualityAt(out: Float64Array, p: number): number {
  return out[p + TAG] % UNIT;
}
/** Whether the record at `p` reports a failed run. */
function failedAt(out: Float64Array, p: number): boolean {
  return ((out[p + TAG] / UNIT) | 0) === FAILED;
}

/**
 * Visits what a batch published, in order: from its raw out buffer when runOps kept it (no record
 * object per output: the caller builds the one it keeps), else from `records`.
 */
export function eachRecord(
  outcome: OpsResult,
  visit: (ordinal: number, index: number, value: TagScalar, quality: Quality, reason: 'error' | undefined) => void,
): void {
  const raw = outcome.raw;
  if (raw === undefined) {
    for (const record of outcome.records) visit(record.ordinal, record.index, record.value, record.quality, record.reason);
    return;
  }
  const out = raw.out;
  const count = out[Out.Records];
  for (let r = 0, p: number = Out.Header; r < count; r++, p += RECORD) {
    if (failedAt(out, p)) visit(out[p + ORDINAL], out[p + INDEX], null, 'bad', 'error');
    else visit(out[p + ORDINAL], out[p + INDEX], valueAt(out, p, raw.strings), QUALITIES[qualityAt(out, p)], undefined);
  }
}

/**
 * Adds what the guest published, the failures it recorded and the conditional runs it skipped to
 * `outcome`. `out` is the guest's out buffer (wire.ts); the side channel is read only when it holds
 * something. `raw`: the buffer is kept as it is (outcome.raw) instead of decoded into records.
 */
export function collectOutput(
  out: Float64Array,
  readSide: () => string | null,
  skippedJson: string | null,
  programs: ReadonlyMap<number, CompiledScript>,
  outcome: OpsResult,
  raw = false,
): void {
  if (out.length < Out.Header) return;
  const recordCount = out[Out.Records];
  const side =
    out[Out.Side] > 0
      ? (JSON.parse(readSide() ?? '{"strings":[],"errors":[]}') as { strings: string[]; errors: GuestError[] })
      : { strings: [], errors: [] };
  if (raw) outcome.raw = { out, strings: side.strings };
  else {
    for (let r = 0, p: number = Out.Header; r < recordCount; r++, p += RECORD) {
      if (failedAt(out, p)) outcome.records.push({ ordinal: out[p + ORDINAL], index: out[p + INDEX], value: null, quality: 'bad', reason: 'error' });
      else outcome.records.push({ ordinal: out[p + ORDINAL], index: out[p + INDEX], value: valueAt(out, p, side.strings), quality: QUALITIES[qualityAt(out, p)] });
    }
  }
  for (const error of side.errors) {
    const program = programs.get(error.slot);
    outcome.failures.push({
      ordinal: error.ordinal,
      slot: error.slot,
      op: error.op,
      error: program ? guestDiagnostic(error, program) : diagnostic('runtime-error', { error: error.message ?? 'the calculation failed' }, { source: 'calc', kind: 'runtime' }),
    });
  }
  if (skippedJson) for (const ordinal of JSON.parse(skippedJson) as number[]) outcome.skipped.push(ordinal);
}
