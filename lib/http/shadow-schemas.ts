import { z } from 'zod';
import { ScriptDraftSchema } from '../model/script-schema';
import { DiagnosticSchema, QualitySchema, TagScalarSchema } from './api-schemas';

/** Request and answer schemas of the shadow-run operations (changes.md "Shadow runs"). */

const IsoTime = z.string().meta({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });
const isoQueryTime = (name: string) =>
  z.iso.datetime({ offset: true, message: `${name} must be an ISO 8601 time with a zone, e.g. 2030-01-31T00:00:00Z` }).optional();

export const StartShadowBodySchema = z.strictObject({ script: ScriptDraftSchema });

export const ShadowStartedSchema = z.object({ id: z.string(), startedAt: IsoTime });

const Sample = z.object({ value: TagScalarSchema, ts: IsoTime, quality: QualitySchema }).nullable();

export const ShadowSchema = z
  .object({
    id: z.string(),
    startedAt: IsoTime,
    version: z.number().int().meta({ description: 'The version the candidate becomes if promoted' }),
    state: z.enum(['starting', 'running', 'waiting', 'quarantined']).meta({ description: 'starting: the engine has not reported on it yet' }),
    evaluations: z.number().int(),
    errors: z.number().int(),
    lastError: DiagnosticSchema.nullable(),
    reportedAt: IsoTime.nullable().meta({ description: 'When the engine running it last reported (about every second)' }),
    outputs: z.record(
      z.string(),
      z.object({
        live: Sample,
        shadow: Sample,
        compared: z.number().int(),
        differing: z.number().int(),
        maxAbsDiff: z.number().nullable(),
      }),
    ),
  })
  .meta({ id: 'Shadow' });

export const ShadowSeriesQuerySchema = z.strictObject({
  from: isoQueryTime('from'),
  to: isoQueryTime('to'),
  maxPoints: z.coerce.number().int().min(2).max(100_000).optional(),
});

const Points = z.array(z.object({ ts: IsoTime, value: TagScalarSchema, quality: QualitySchema }));

export const ShadowSeriesSchema = z.object({
  id: z.string(),
  from: IsoTime.nullable(),
  to: IsoTime.nullable(),
  outputs: z.record(z.string(), z.object({ live: Points, shadow: Points, difference: Points.meta({ description: 'shadow − live where both are numbers' }) })),
});
