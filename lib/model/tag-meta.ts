import { z } from 'zod';

/**
 * Tag metadata (product.md item 7): what a tag measures, its engineering unit and its normal range.
 * Every field may be null (not known). A raw tag's metadata is stored (PUT /api/tags/{tag}/meta, the
 * simulator's own at start); an output tag's description and unit come from its script's outputs[].
 */
export interface TagMeta {
  tag: string;
  description: string | null;
  unit: string | null;
  lo: number | null;
  hi: number | null;
}

export const MAX_TAG_DESCRIPTION_LENGTH = 2000;
export const MAX_TAG_UNIT_LENGTH = 50;

/** PostgreSQL text cannot hold NUL, nor a string with an unpaired UTF-16 surrogate. */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Text that is empty once trimmed means "not known". */
const optionalText = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string (or null)` })
    .max(max, { message: `${what} is longer than ${max} characters` })
    .refine((value) => !UNSTORABLE.test(value), { message: `${what} contains a character that cannot be saved (a NUL character or an unpaired surrogate)` })
    .nullable()
    .optional()
    .transform((value) => (value === undefined || value === null || value.trim() === '' ? null : value.trim()));

const optionalLimit = (what: string) =>
  z
    .number({ error: `${what} must be a number (or null)` })
    .finite({ message: `${what} must be a finite number` })
    .nullable()
    .optional()
    .transform((value) => value ?? null);

/** The body of PUT /api/tags/{tag}/meta: every field optional; an absent one becomes null. */
export const TagMetaBodySchema = z
  .object({
    description: optionalText('description', MAX_TAG_DESCRIPTION_LENGTH).meta({ description: 'What the tag measures' }),
    unit: optionalText('unit', MAX_TAG_UNIT_LENGTH).meta({ description: 'Engineering unit, e.g. t/h, °C, barg, %' }),
    lo: optionalLimit('lo').meta({ description: 'Low end of the normal range' }),
    hi: optionalLimit('hi').meta({ description: 'High end of the normal range' }),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.lo !== null && body.hi !== null && body.lo > body.hi) {
      ctx.addIssue({ code: 'custom', path: ['lo'], message: `lo (${body.lo}) is above hi (${body.hi}): the normal range must run from lo up to hi` });
    }
  })
  .meta({ id: 'TagMetaUpdate' });

export type TagMetaBody = z.output<typeof TagMetaBodySchema>;

export function emptyTagMeta(tag: string): TagMeta {
  return { tag, description: null, unit: null, lo: null, hi: null };
}
