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
  for (let r = 0, p = Out.Header; r < recordCount; r++, p += Out.Record) {
    const kind = out[p + Rec.Kind];
    if (kind === Kind.Failed) {
      outcome.records.push({ ordinal: out[p + Rec.Ordinal], index: out[p + Rec.Index], value: null, quality: 'bad', reason: 'error' });
      continue;
    }
    const number = out[p + Rec.Number];
    const value: TagScalar = kind === Kind.Number ? number : kind === Kind.Null ? null : kind === Kind.False ? false : kind === Kind.True ? true : side.strings[number];
    outcome.records.push({ ordinal: out[p + Rec.Ordinal], index: out[p + Rec.Index], value, quality: QUALITIES[out[p + Rec.Quality]] });
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
