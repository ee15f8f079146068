import { z } from 'zod';
import { parseTagName } from './parse-tag-fields';
import { identifierProblem } from './names';
import { ScriptTestsSchema } from './script-tests';

/** The script definition of scripts.md, validated at every boundary with these schemas. */

export const SCRIPT_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
export const MAX_CODE_BYTES = 64 * 1024;
export const MAX_INPUTS = 100;
export const MAX_OUTPUTS = 50;
export const MIN_PERIOD_MS = 100;
export const MAX_PERIOD_MS = 24 * 60 * 60 * 1000;
export const MIN_STALE_AFTER_MS = 1000;

export const TagNameSchema = z.string().superRefine((value, ctx) => {
  const parsed = parseTagName(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
}).meta({ description: 'A tag name; plant tag names may contain -, ., /, spaces', example: 'FT-101.PV' });

const IdentifierSchema = z.string().superRefine((value, ctx) => {
  const problem = identifierProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const ScriptInputSchema = z.object({
  tag: TagNameSchema,
  alias: IdentifierSchema.meta({ description: 'The JavaScript name the input is bound to in calcCode' }),
  staleAfterMs: z
    .number({ message: 'staleAfterMs must be a number of milliseconds (at least 1000)' })
    .int({ message: 'staleAfterMs must be a whole number of milliseconds' })
    .min(MIN_STALE_AFTER_MS, { message: `staleAfterMs must be at least ${MIN_STALE_AFTER_MS} ms (staleness is checked every second); remove it to never mark this input stale` })
    .max(MAX_PERIOD_MS, { message: `staleAfterMs must be at most ${MAX_PERIOD_MS} ms (one day)` })
    .optional()
    .meta({ description: 'No value for this long (wall clock since the last one arrived): the input counts as uncertain and isGood() is false' }),
});

export const ScriptOutputSchema = z.object({
  tag: TagNameSchema,
  variable: z.string().min(1).meta({ description: 'A top-level binding of calcCode or initCode' }),
  deadband: z.number().min(0).finite().optional().meta({ description: 'Absolute; publish only changes larger than this' }),
  description: z.string().max(2000).optional().meta({ description: 'What the output tag means (shown in the tag list, picker and trends)' }),
  unit: z.string().max(50).optional().meta({ description: 'Engineering unit of the output tag, e.g. t/t, %, °C' }),
});

export const TriggerSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('onChange'),
      inputs: z.array(z.string().min(1)).min(1).max(MAX_INPUTS).optional().meta({
        description: 'Aliases whose changes trigger the script; all inputs when absent',
      }),
    }),
    z.object({
      type: z.literal('periodic'),
      intervalMs: z.number().int().min(MIN_PERIOD_MS).max(MAX_PERIOD_MS),
    }),
  ])
  .meta({ id: 'Trigger' });

const codeSchema = (what: string) =>
  z.string().refine((code) => Buffer.byteLength(code, 'utf8') <= MAX_CODE_BYTES, {
    message: `${what} is larger than ${MAX_CODE_BYTES / 1024} KB`,
  });

const draftShape = {
  name: z.string().regex(SCRIPT_NAME, {
    message: 'name must be 1–100 characters of letters, digits, _, - and .',
  }),
  description: z.string().max(2000).optional(),
  inputs: z.array(ScriptInputSchema).max(MAX_INPUTS),
  initCode: codeSchema('the initialization code').optional(),
  calcCode: codeSchema('the calculation code'),
  outputs: z.array(ScriptOutputSchema).min(1, { message: 'a script needs at least one output' }).max(MAX_OUTPUTS),
  trigger: TriggerSchema.optional(),
  tests: ScriptTestsSchema.optional().meta({ description: 'Regression tests (changes.md), versioned with the script' }),
};

type DraftShape = {
  inputs: Array<{ tag: string; alias: string }>;
  initCode?: string;
  calcCode: string;
  outputs: Array<{ tag: string; variable: string }>;
  trigger?: { type: 'onChange'; inputs?: string[] } | { type: 'periodic'; intervalMs: number };
};

/** Rules across fields: unique aliases and output tags, outputs not inputs, trigger aliases known. */
function checkDefinition(draft: DraftShape, ctx: z.RefinementCtx): void {
  const aliases = new Map<string, number>();
  draft.inputs.forEach((input, index) => {
    const first = aliases.get(input.alias);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['inputs', index, 'alias'], message: `alias '${input.alias}' is already used by input ${first + 1}` });
    } else {
      aliases.set(input.alias, index);
    }
  });
  const inputTags = new Set(draft.inputs.map((input) => input.tag));
  const outputTags = new Map<string, number>();
  draft.outputs.forEach((output, index) => {
    const first = outputTags.get(output.tag);
    if (first !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['outputs', index, 'tag'], message: `output tag '${output.tag}' is already produced by output ${first + 1}` });
    } else {
      outputTags.set(output.tag, index);
    }
    if (inputTags.has(output.tag)) {
      ctx.addIssue({ code: 'custom', path: ['outputs', index, 'tag'], message: `output tag '${output.tag}' is also an input of this script` });
    }
  });
  const totalBytes = Buffer.byteLength(draft.initCode ?? '', 'utf8') + Buffer.byteLength(draft.calcCode, 'utf8');
  if (totalBytes > MAX_CODE_BYTES) {
    ctx.addIssue({ code: 'custom', path: ['calcCode'], message: `the initialization and the calculation together are larger than ${MAX_CODE_BYTES / 1024} KB` });
  }
  if (draft.trigger?.type === 'onChange' && draft.trigger.inputs) {
    draft.trigger.inputs.forEach((alias, index) => {
      if (!aliases.has(alias)) {
        ctx.addIssue({ code: 'custom', path: ['trigger', 'inputs', index], message: `trigger input '${alias}' is not an alias of this script` });
      }
    });
  }
  if (draft.trigger?.type === 'onChange' && draft.inputs.length === 0) {
    ctx.addIssue({ code: 'custom', path: ['trigger'], message: 'a script without inputs never changes: use a periodic trigger' });
  }
}

export const ScriptDraftSchema = z.object(draftShape).superRefine(checkDefinition).meta({ id: 'ScriptDraft' });

/** A draft run from the editor (validate, calculate, debug...): the name may be omitted. */
export const RunnableDraftSchema = z
  .object({ ...draftShape, name: draftShape.name.optional() })
  .superRefine(checkDefinition)
  .meta({ id: 'RunnableDraft' });

export type ScriptInput = z.infer<typeof ScriptInputSchema>;
export type ScriptOutput = z.infer<typeof ScriptOutputSchema>;
export type Trigger = z.infer<typeof TriggerSchema>;
export type ScriptDraft = z.infer<typeof ScriptDraftSchema>;
export type RunnableDraft = z.infer<typeof RunnableDraftSchema>;

export const DEFAULT_TRIGGER: Trigger = { type: 'onChange' };

/** A zod issue path as users read it: inputs[1].alias */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text ? `.${String(part)}` : String(part);
  }
  return text;
}

export function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${formatPath(issue.path)}: ${issue.message}` : issue.message))
    .join('; ');
}
