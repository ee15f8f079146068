import { UserError } from '../model/errors';
import type { InputSample, PreviousOutput } from '../sandbox/script-sandbox';
import type { EditorRunPorts } from './editor-run-ports';
import { getStoredScriptOrThrow } from '../scripts/get-script';
import type { RunnableDraft } from '../model/script-schema';
import type { TagScalar } from '../model/tag-value';

/** What an editor run works on: a draft, or a saved script, with its inputs as of now. */
export interface RunTarget {
  scriptId: string | null;
  name: string | null;
  draft: RunnableDraft;
}

export interface RunInputs {
  samples: Array<InputSample | null>;
  previous: Array<PreviousOutput | null>;
  /** Inputs never seen (bound to null), by alias. */
  missing: string[];
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
  overrides: Record<string, TagScalar> | undefined,
  now: number,
): RunInputs {
  const aliases = new Set(draft.inputs.map((input) => input.alias));
  for (const alias of Object.keys(overrides ?? {})) {
    if (!aliases.has(alias)) {
      throw new UserError('VALIDATION_FAILED', `inputs.${alias}: '${alias}' is not an input alias of this script`, { alias });
    }
  }
  const missing: string[] = [];
  const samples = draft.inputs.map((input): InputSample | null => {
    if (overrides && Object.hasOwn(overrides, input.alias)) {
      return { value: overrides[input.alias], ts: now, quality: 'good' };
    }
    const held = services.catalog.get(input.tag);
    if (!held) {
      missing.push(input.alias);
      return null;
    }
    return { value: held.value, ts: held.ts, quality: held.quality };
  });
  const previous = draft.outputs.map((output): PreviousOutput | null => {
    const held = services.catalog.get(output.tag);
    return held ? { value: held.value, quality: held.quality } : null;
  });
  return { samples, previous, missing };
}
