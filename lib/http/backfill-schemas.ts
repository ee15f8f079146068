import { z } from 'zod';
import { BACKFILL_MODES, JOB_STATES } from '../model/job';
import { lookupKey } from './api-schemas';

/** Request and answer schemas of the backfill jobs (history-ml.md "Backfill"). */

const IsoTime = z.string().meta({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });
const timeInput = (name: string) =>
  z
    .string({ message: `${name} must be a time: ISO 8601 with a zone (2030-01-31T00:00:00Z) or epoch milliseconds` })
    .min(1, { message: `${name} must not be empty` })
    .max(100, { message: `${name} is at most 100 characters` })
    .meta({ description: `${name === 'from' ? 'Start (included)' : 'End (excluded)'}: ISO 8601 with a zone, or epoch milliseconds` });

export const StartBackfillBodySchema = z.strictObject({
  from: timeInput('from'),
  to: timeInput('to'),
  version: z
    .number({ message: 'version must be a version number (1, 2, …)' })
    .int({ message: 'version must be a whole number' })
    .min(1, { message: 'version must be at least 1' })
    .max(2_147_483_647, { message: 'version must be at most 2147483647' })
    .optional()
    .meta({ description: 'The version to compute; default the running (or else latest) version' }),
  mode: z
    .enum(BACKFILL_MODES, { message: 'mode must be "replace" or "fill"' })
    .optional()
    .meta({ description: 'replace [default]: delete the outputs\' history in [from, to) first; fill: write only where an output has no value' }),
});

export const JobSchema = z
  .object({
    id: z.string(),
    kind: z.literal('backfill'),
    scriptId: z.string(),
    version: z.number().int(),
    from: IsoTime,
    to: IsoTime,
    mode: z.enum(BACKFILL_MODES),
    state: z.enum(JOB_STATES),
    progress: z.object({
      fraction: z.number().meta({ description: 'Share of the period processed, 0 to 1' }),
      processedUntil: IsoTime.nullable().meta({ description: 'Everything before this instant is computed and written' }),
      evaluations: z.number().int(),
      written: z.number().int().meta({ description: 'Values written to the history store' }),
      errors: z.number().int().meta({ description: 'Evaluations that failed (their outputs written null/bad with reason "error", as live)' }),
    }),
    startedAt: IsoTime.nullable(),
    finishedAt: IsoTime.nullable(),
    error: z.string().nullable(),
    createdBy: z.object({ id: z.string(), name: z.string() }).nullable(),
  })
  .meta({ id: 'Job' });

export const StartedJobSchema = JobSchema.extend({
  warnings: z.array(z.string()).meta({ description: 'Scripts fed by its outputs, which the backfill does not recompute' }),
}).meta({ id: 'StartedJob' });

export const JobListSchema = z.object({ jobs: z.array(JobSchema) });

export const JobIdParams = z.object({ id: lookupKey('id', 200) });

export const JobListQuerySchema = z.strictObject({
  scriptId: lookupKey('scriptId', 200).optional(),
  state: z.enum(JOB_STATES, { message: `state must be one of ${JOB_STATES.join(', ')}` }).optional(),
});
