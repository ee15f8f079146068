import { UserError } from '../model/errors';
import type { InputSample, PreviousOutput } from '../sandbox/script-sandbox';
import type { EditorRunPorts } from './editor-run-ports';
import { getStoredScriptOrThrow } from '../scripts/get-script';
import type { RunnableDraft } from '../model/script-schema';
import { worstQuality, type Quality, type TagScalar } from '../model/tag-value';
import { parseTimestamp } from '../model/parse-tag-fields';

/** What an editor run works on: a draft, or a saved script, with its inputs as of now. */
export interface RunTarget {
  scriptId: string | null;
  name: string | null;
  draft: RunnableDraft;
}

/**
 * What a run may use instead of an input's latest value: a bare value (quality good, time now), or
 * `{ value, quality?, ts? }` to try isGood() branches and old values. An object is never a tag value,
 * so the two cannot be confused.
 */
export type InputOverride = TagScalar | { value: TagScalar; quality?: Quality; ts?: string | number };
export type InputOverrides = Record<string, InputOverride>;

export interface RunInputs {
  samples: Array<InputSample | null>;
  previous: Array<PreviousOutput | null>;
  /** Inputs never seen (bound to null), by alias: the engine would wait for them and not run. */
  missing: string[];
  /** Inputs seen, or overridden, with the value null, by alias. */
  nulls: string[];
  /** Inputs overridden with a time older than their `staleAfterMs`: uncertain, as the engine would make them. */
  stale: string[];
}

export async function resolveRunTarget(
  services: Pick<EditorRunPorts, 'store'>,
  body: { script?: RunnableDraft; scriptId?: string },
): Promise<RunTarget> {
  if (body.scriptId !== undefined) {
    const stored = await getStoredScriptOrThrow(services, body.scriptId);
    return { scriptId: stored.id, name: stored.definition.name, draft: stored.definition };
  }
  const draft = body.script!;
  return { scriptId: null, name: draft.name ?? null, draft };
}

/** Latest values of the draft's inputs from the catalog, overridden by alias where asked. */
export function collectRunInputs(
  services: Pick<EditorRunPorts, 'catalog'>,
  draft: RunnableDraft,
  overrides: InputOverrides | undefined,
  now: number,
): RunInputs {
  const aliases = new Set(draft.inputs.map((input) => input.alias));
  for (const alias of Object.keys(overrides ?? {})) {
    if (!aliases.has(alias)) {
      throw new UserError('VALIDATION_FAILED', `inputs.${alias}: '${alias}' is not an input alias of this script`, { alias });
    }
  }
  const missing: string[] = [];
  const nulls: string[] = [];
  const stale: string[] = [];
  const samples = draft.inputs.map((input): InputSample | null => {
    const overridden = overrides !== undefined && Object.hasOwn(overrides, input.alias);
    let sample = overridden ? overrideSample(input.alias, overrides[input.alias], now) : heldSample(services, input.tag);
    // An input that declares staleAfterMs (scripts.md) is uncertain once no value has come for that long:
    // an override's time says when its value came.
    const staleAfterMs = input.staleAfterMs;
    if (sample && overridden && staleAfterMs !== undefined && now - sample.ts >= staleAfterMs) {
      sample = { ...sample, quality: worstQuality(sample.quality, 'uncertain') };
      stale.push(input.alias);
    }
    if (!sample) missing.push(input.alias);
    else if (sample.value === null) nulls.push(input.alias);
    return sample;
  });
  const previous = draft.outputs.map((output): PreviousOutput | null => {
    const held = services.catalog.get(output.tag);
    return held ? { value: held.value, quality: held.quality } : null;
  });
  return { samples, previous, missing, nulls, stale };
}

export type ConstantOverride = { value: TagScalar; quality: Quality };

/** Overrides held for a whole replay (plot): their value and quality; a time given with them does not apply. */
export function constantOverrides(overrides: InputOverrides | undefined): Record<string, ConstantOverride> {
  const constants: Record<string, ConstantOverride> = {};
  for (const [alias, override] of Object.entries(overrides ?? {})) {
    constants[alias] = override === null || typeof override !== 'object' ? { value: override, quality: 'good' } : { value: override.value, quality: override.quality ?? 'good' };
  }
  return constants;
}

function heldSample(services: Pick<EditorRunPorts, 'catalog'>, tag: string): InputSample | null {
  const held = services.catalog.get(tag);
  return held ? { value: held.value, ts: held.ts, quality: held.quality } : null;
}

/** A bare value is good and current; an object may say its quality and time (ISO 8601 or epoch ms). */
function overrideSample(alias: string, override: InputOverride, now: number): InputSample {
  if (override === null || typeof override !== 'object') return { value: override, ts: now, quality: 'good' };
  const ts = parseTimestamp(override.ts, now, now);
  if (!ts.ok) {
    throw new UserError('VALIDATION_FAILED', `inputs.${alias}.ts: ${ts.reason} — give an ISO 8601 time such as 2026-11-27T10:00:00Z or epoch milliseconds`, { alias });
  }
  return { value: override.value, ts: ts.value, quality: override.quality ?? 'good' };
}
