import type { CompiledScript } from '../compiler/compile-script';
import { diagnostic } from '../model/diagnostic-messages';
import { QUALITIES, type TagScalar } from '../model/tag-value';
import { guestDiagnostic } from './sandbox-diagnostics';
import type { GuestError, OpsResult } from './sandbox-types';
import { Kind, Out, Rec } from './wire';

/** The copy-back: what one VM call of a batch returned, decoded on the host. */

/**
 * Adds what the guest published, the failures it recorded and the conditional runs it skipped to
 * `outcome`. `out` is the guest's out buffer (wire.ts); the side channel is read only when it holds
 * something.
 */
export function collectOutput(
  out: Float64Array,
  readSide: () => string | null,
  skippedJson: string | null,
  programs: ReadonlyMap<number, CompiledScript>,
  outcome: OpsResult,
): void {
  if (out.length < Out.Header) return;
  const recordCount = out[Out.Records];
  const side =
    out[Out.Side] > 0
      ? (JSON.parse(readSide() ?? '{"strings":[],"errors":[]}') as { strings: string[]; errors: GuestError[] })
      : { strings: [], errors: [] };
  // The wire's constants read once (an imported enum member costs a getter call per use under tsx).
  const RECORD: number = Out.Record, ORDINAL: number = Rec.Ordinal, INDEX: number = Rec.Index, KIND: number = Rec.Kind, NUMBER: number = Rec.Number, QUALITY: number = Rec.Quality;
  const FAILED: number = Kind.Failed, IS_NUMBER: number = Kind.Number, IS_NULL: number = Kind.Null, IS_FALSE: number = Kind.False, IS_TRUE: number = Kind.True;
  for (let r = 0, p: number = Out.Header; r < recordCount; r++, p += RECORD) {
    const kind = out[p + KIND];
    if (kind === FAILED) {
      outcome.records.push({ ordinal: out[p + ORDINAL], index: out[p + INDEX], value: null, quality: 'bad', reason: 'error' });
      continue;
    }
    const number = out[p + NUMBER];
    const value: TagScalar = kind === IS_NUMBER ? number : kind === IS_NULL ? null : kind === IS_FALSE ? false : kind === IS_TRUE ? true : side.strings[number];
    outcome.records.push({ ordinal: out[p + ORDINAL], index: out[p + INDEX], value, quality: QUALITIES[out[p + QUALITY]] });
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
