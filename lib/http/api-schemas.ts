import { z } from 'zod';
import { DIAGNOSTIC_CODES } from '../model/diagnostic-messages';
import { RunnableDraftSchema, ScriptDraftSchema, TagNameSchema } from '../model/script-schema';
import { VALUE_REASONS } from '../model/tag-value';
import { ScriptTestSchema, TestExpectationSchema } from '../model/script-tests';

/**
 * The shapes of api.md. Requests are validated with these schemas and the OpenAPI document is
 * generated from them: one source of truth.
 */

/** NUL and unpaired UTF-16 surrogates: no id or tag holds one, and PostgreSQL refuses them in a query. */
const UNQUERYABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** An id or tag name to look up: refused (400) when it holds what the database cannot be asked for. */
export const lookupKey = (what: string, maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .refine((value) => !UNQUERYABLE.test(value), { message: `${what} must not contain NUL or an unpaired UTF-16 surrogate` });

export const TagScalarSchema = z.union([z.number(), z.boolean(), z.string(), z.null()]).meta({ id: 'TagScalar' });
export const QualitySchema = z.enum(['good', 'uncertain', 'bad']).meta({ id: 'Quality' });
const IsoTime = z.string().meta({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });
/** ISO 8601 text or epoch milliseconds. */
export const TimeInputSchema = z.union([z.string(), z.number()]).meta({ description: 'ISO 8601 or epoch milliseconds' });

export const DiagnosticSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    message: z.string(),
    source: z.enum(['init', 'calc', 'definition']),
    line: z.number().int().optional(),
    column: z.number().int().optional(),
    kind: z.enum(['syntax', 'reference', 'runtime', 'timeout', 'memory', 'output', 'definition']),
    code: z
      .string()
      .optional()
      .meta({ description: `Stable name of the message, for translating it: ${DIAGNOSTIC_CODES.join(', ')}`, example: 'unknown-identifier-suggest' }),
    params: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .meta({ description: 'The values in the message (names, lines, a suggestion), keyed as in its template', example: { name: 'stem', suggestion: 'steam' } }),
  })
  .meta({ id: 'Diagnostic' });

export const ScriptStatusSchema = z
  .object({
    state: z.enum(['unregistered', 'registered', 'quarantined']),
    lastError: DiagnosticSchema.nullable(),
    lastRunAt: IsoTime.nullable(),
    evaluations: z.number(),
    errors: z.number(),
    avgMicros: z.number(),
    missingInputs: z.array(z.string()).optional(),
    retryAt: IsoTime.nullable().optional().meta({ description: 'When a quarantined script is evaluated again (QUARANTINE_RETRY_MS); null when none is planned' }),
    runningVersion: z.number().int().nullable().meta({ description: 'The version the engine runs (outputs carry it as script.version); null when not registered' }),
    stateNotice: z
      .string()
      .optional()
      .meta({ description: 'WORKER_MODE=partitioned: why the static state could not move to the worker running the script (it ran its initCode instead)' }),
  })
  .meta({ id: 'ScriptStatus' });

/** Who made a change: the user's id and username (for a token, its owner's). */
const ChangedBySchema = z.object({ id: z.string(), name: z.string() });

export const ScriptSchema = z
  .object({
    id: z.string(),
    version: z.number().int(),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    createdBy: ChangedBySchema.nullable().optional(),
    updatedBy: ChangedBySchema.nullable().optional(),
    status: ScriptStatusSchema,
    name: z.string(),
    description: z.string().optional(),
    inputs: z.array(z.object({ tag: z.string(), alias: z.string() })),
    initCode: z.string().optional(),
    calcCode: z.string(),
    outputs: z.array(z.object({ tag: z.string(), variable: z.string(), deadband: z.number().optional(), description: z.string().optional(), unit: z.string().optional() })),
    trigger: z.unknown().optional(),
    tests: z.array(ScriptTestSchema).optional(),
  })
  .meta({ id: 'Script' });

export const ScriptListSchema = z.object({ scripts: z.array(ScriptSchema) });

const OVERRIDE_SHAPE = 'an override is a value (number, boolean, string or null) or { "value": …, "quality"?: "good" | "uncertain" | "bad", "ts"?: ISO 8601 or epoch ms }';

export const InputOverrideSchema = z
  .union(
    [
      TagScalarSchema,
      z
        .strictObject({
          value: TagScalarSchema,
          quality: QualitySchema.optional().meta({ description: 'Default good' }),
          ts: TimeInputSchema.optional().meta({ description: "The value's time; default now" }),
        })
        .meta({ description: 'A value with its quality and time, to try isGood() branches and old values' }),
    ],
    { error: (issue) => (issue.code === 'invalid_union' ? overrideProblem(issue.input, issue.errors) : undefined) },
  )
  .meta({ id: 'InputOverride' });

/** Says which field of an override object is wrong (a union would only say "Invalid input"). */
function overrideProblem(input: unknown, branches: ReadonlyArray<ReadonlyArray<{ path: PropertyKey[]; message: string }>>): string {
  const isObject = typeof input === 'object' && input !== null && !Array.isArray(input);
  const inner = isObject ? branches[1]?.[0] : undefined;
  if (!inner) return OVERRIDE_SHAPE;
  const field = inner.path.map(String).join('.');
  if (field === 'value') return `"value" is ${(input as { value?: unknown }).value === undefined ? 'missing' : 'not a number, boolean, string or null'} — ${OVERRIDE_SHAPE}`;
  return `${field ? `"${field}": ` : ''}${inner.message} — ${OVERRIDE_SHAPE}`;
}

export const InputOverridesSchema = z
  .record(z.string(), InputOverrideSchema)
  .meta({
    description:
      'Values to use instead of the latest ones, by alias: a bare value (quality good, time now) or { value, quality?, ts? }. A null value is passed to the script as null',
  });

/** validate / calculate / debug / benchmark / plot: a draft or a saved script. */
const runTarget = {
  script: RunnableDraftSchema.optional(),
  scriptId: lookupKey('scriptId', 200).optional(),
  inputs: InputOverridesSchema.optional(),
};

function exactlyOneTarget(body: { script?: unknown; scriptId?: unknown }, ctx: z.RefinementCtx) {
  if ((body.script === undefined) === (body.scriptId === undefined)) {
    ctx.addIssue({ code: 'custom', message: 'give either "script" (a draft) or "scriptId" (a saved script), not both' });
  }
}

export const RunRequestSchema = z.object(runTarget).superRefine(exactlyOneTarget).meta({ id: 'RunRequest' });

export const CalcResultSchema = z
  .object({
    scriptId: z.string().nullable(),
    name: z.string().nullable(),
    inputs: z.record(
      z.string(),
      z.object({ alias: z.string(), value: TagScalarSchema, ts: IsoTime.nullable(), quality: QualitySchema }),
    ),
    outputs: z.record(z.string(), z.object({ value: TagScalarSchema, quality: QualitySchema })),
    staticVars: z.record(z.string(), z.unknown()),
    calcAt: IsoTime,
    durationMs: z.number(),
    error: DiagnosticSchema.nullable(),
    warnings: z.array(DiagnosticSchema).meta({
      description: 'Inputs never seen (the engine would wait for them), inputs that are null, outputs that would be published as null',
    }),
    engineWouldRun: z.boolean().meta({ description: 'False when an input has never had a value: the engine would wait and not run the script yet' }),
  })
  .meta({ id: 'CalcResult' });

// ---- debug, debug sessions, benchmark, plot ----

export const StepSchema = z
  .object({
    step: z.number().int().meta({ description: '1-based, in execution order' }),
    source: z.enum(['init', 'calc']),
    line: z.number().int(),
    column: z.number().int(),
    vars: z.record(z.string(), z.unknown()).meta({
      description:
        'Values of the variables in scope after the statement (inputs, init variables, calc variables); plain JSON, objects and arrays summarised; variables not yet initialised are absent',
    }),
  })
  .meta({ id: 'Step' });

export const LogSchema = z
  .object({
    level: z.enum(['log', 'warn', 'error']),
    message: z.string(),
    line: z.number().int().optional(),
    source: z.enum(['init', 'calc', 'definition']).optional(),
  })
  .meta({ id: 'Log' });

export const DebugResultSchema = CalcResultSchema.extend({
  trace: z.array(StepSchema).meta({ description: 'One step per executed statement (one per loop iteration), at most 10 000' }),
  logs: z.array(LogSchema),
  truncated: z.literal(true).optional().meta({ description: 'Present when the trace stopped at 10 000 steps' }),
}).meta({ id: 'DebugResult' });

export const BenchmarkRequestSchema = z
  .object({
    ...runTarget,
    durationMs: z.number().int().min(100).max(10_000).optional().meta({ description: 'How long to run (default 1000)' }),
  })
  .superRefine(exactlyOneTarget)
  .meta({ id: 'BenchmarkRequest' });

export const BenchmarkResultSchema = z
  .object({
    iterations: z.number().int(),
    totalMs: z.number().meta({ description: 'Time spent evaluating' }),
    avgMicros: z.number(),
    p50Micros: z.number(),
    p99Micros: z.number(),
    maxMicros: z.number(),
    errors: z.number().int().meta({ description: 'Evaluations that failed (timed like the others)' }),
    lastError: DiagnosticSchema.nullable().optional().meta({ description: 'Why the last failed evaluation failed' }),
  })
  .meta({ id: 'BenchmarkResult' });

export const PlotRequestSchema = z
  .object({
    ...runTarget,
    from: TimeInputSchema,
    to: TimeInputSchema,
    maxPoints: z.number().int().min(2).max(100_000).optional().meta({ description: 'Points per series at most (default 1000)' }),
  })
  .superRefine(exactlyOneTarget)
  .meta({ id: 'PlotRequest' });

export const PlotResultSchema = z
  .object({
    series: z.array(
      z.object({
        tag: z.string(),
        alias: z.string().optional(),
        role: z.enum(['input', 'output']),
        points: z.array(z.object({ ts: IsoTime, value: TagScalarSchema })),
      }),
    ),
    evaluations: z.number().int(),
    errors: z.number().int(),
    error: DiagnosticSchema.nullable().meta({ description: 'The first failed evaluation, or why the replay stopped early' }),
  })
  .meta({ id: 'PlotResult' });

export const DebugSessionCreateSchema = z.object({ script: RunnableDraftSchema }).meta({ id: 'DebugSessionCreate' });

export const DebugSessionSchema = z.object({ id: z.string(), expiresAt: IsoTime }).meta({ id: 'DebugSession' });

export const DebugSessionRunSchema = z.object({ inputs: InputOverridesSchema.optional() }).meta({ id: 'DebugSessionRun' });

export const DebugSessionParams = z.object({ id: z.string().min(1).max(200) });

export const ValidateResponseSchema = z.object({
  ok: z.boolean(),
  diagnostics: z.array(DiagnosticSchema),
  result: CalcResultSchema.nullable(),
});

export const TagSchema = z
  .object({
    tag: z.string(),
    value: TagScalarSchema,
    ts: IsoTime,
    quality: QualitySchema,
    source: z.enum(['raw', 'script']),
    reason: z.enum(VALUE_REASONS).optional().meta({ description: 'Why the value reports a failure or a stop (messages.md); absent otherwise' }),
    ...tagMetaFields(),
  })
  .meta({ id: 'Tag' });

/** Tag metadata fields (product.md item 7): null when not known. */
function tagMetaFields() {
  return {
    description: z.string().nullable().optional().meta({ description: 'What the tag measures; an output tag’s comes from its script' }),
    unit: z.string().nullable().optional().meta({ description: 'Engineering unit' }),
    lo: z.number().nullable().optional().meta({ description: 'Low end of the normal range' }),
    hi: z.number().nullable().optional().meta({ description: 'High end of the normal range' }),
  };
}

const ScriptRefSchema = z.object({ id: z.string(), name: z.string() });

export const TagRemovalSchema = z
  .discriminatedUnion('allowed', [
    z.object({ allowed: z.literal(true) }),
    z.object({
      allowed: z.literal(false),
      code: z.enum(['produced', 'read', 'recent']).meta({ description: 'produced: a script produces it; read: scripts read it; recent: it had a value within HISTORY_RETENTION_DAYS' }),
      message: z.string(),
      script: ScriptRefSchema.optional(),
      scripts: z.array(ScriptRefSchema).optional(),
      source: z.enum(['raw', 'script']).optional(),
      lastValueAt: IsoTime.optional(),
      removableAt: IsoTime.optional(),
      retentionDays: z.number().optional(),
    }),
  ])
  .meta({ id: 'TagRemoval', description: 'Whether DELETE /api/tags/{tag} would remove the tag now, and why not' });

export const TagDetailSchema = TagSchema.extend({ removal: TagRemovalSchema }).meta({ id: 'TagDetail' });

export const TagMetaSchema = z
  .object({ tag: z.string(), description: z.string().nullable(), unit: z.string().nullable(), lo: z.number().nullable(), hi: z.number().nullable() })
  .meta({ id: 'TagMeta' });

export const TagListQuerySchema = z.object({
  query: z.string().max(256).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const TagListSchema = z.object({ tags: z.array(TagSchema) });

export const HistoryQuerySchema = z.object({
  from: z.string().optional().meta({ description: 'ISO 8601 or epoch ms; default: 1 hour before `to`' }),
  to: z.string().optional().meta({ description: 'ISO 8601 or epoch ms; default: now' }),
  maxPoints: z.coerce.number().int().min(2).max(100_000).optional(),
});

export const ExportQuerySchema = z.object({
  tags: z.string().min(1).meta({ description: 'comma-separated tag names, at most 200' }),
  from: z.string().optional().meta({ description: 'ISO 8601 or epoch ms, the first row; default: 1 hour before `to`' }),
  to: z.string().optional().meta({ description: 'ISO 8601 or epoch ms, rows are before it; default: now' }),
  step: z.string().optional().meta({ description: 'the grid: 1s, 1m, 15m, 1h, 1d or an ISO 8601 duration (PT15M); default 1m' }),
  format: z.enum(['csv', 'parquet']).optional().meta({ description: 'default csv' }),
  fill: z.enum(['previous', 'none']).optional().meta({ description: 'previous: the last value at or before the row time; none: only a value within (row − step, row]; default previous' }),
  quality: z.enum(['column', 'mask']).optional().meta({ description: 'column: good/uncertain/bad or empty; mask: 1 good, 0 otherwise; default column' }),
});

export const HistoryResponseSchema = z.object({
  tag: z.string(),
  points: z.array(z.object({ ts: IsoTime, value: TagScalarSchema, quality: QualitySchema })),
});

export const RawValueSchema = z.object({
  tag: TagNameSchema,
  value: TagScalarSchema,
  ts: TimeInputSchema.optional(),
  quality: z.union([QualitySchema, z.number().int().min(0).max(0xffffffff)]).optional(),
});

export const ValuesRequestSchema = z.array(RawValueSchema).max(10_000, { message: 'at most 10 000 values per request' });

export const AcceptedSchema = z.object({ accepted: z.number().int() });

export const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded', 'unavailable']),
    db: z.enum(['embedded', 'postgres']),
    bus: z.enum(['embedded', 'kafka']),
    history: z.enum(['embedded', 'influx']),
    version: z.string(),
    failing: z.array(z.object({ part: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Health' });

export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(['VALIDATION_FAILED', 'UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'SCRIPT_INVALID', 'TESTS_FAILED', 'RATE_LIMITED', 'UNAVAILABLE', 'INTERNAL']),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .meta({ id: 'Error' });

export const ScriptIdParams = z.object({ id: lookupKey('id', 200) });

// ---- versions, rollback, regression tests (changes.md) ----

const VersionMessageSchema = z
  .string()
  .max(500, { message: 'message is at most 500 characters' })
  .meta({ description: 'Why this version was saved (shown in the history)' });

/** POST and PUT /api/scripts: the draft, and beside it the version's optional message. */
export const SaveScriptSchema = z.intersection(ScriptDraftSchema, z.object({ message: VersionMessageSchema.optional() })).meta({ id: 'ScriptSave' });

const MAX_VERSION = 2_147_483_647;
const versionNumberOf = (number: z.ZodNumber) =>
  number
    .int({ message: 'version must be a whole number' })
    .min(1, { message: 'version must be at least 1' })
    .max(MAX_VERSION, { message: `version must be at most ${MAX_VERSION}` });
const versionNumber = versionNumberOf(z.coerce.number({ message: 'version must be a version number (1, 2, …)' }));

export const ScriptVersionParams = z.object({ id: lookupKey('id', 200), version: versionNumber });

/** `?force=true`: go ahead although the regression tests fail (recorded in the audit entry). */
export const ForceQuerySchema = z.object({
  force: z
    .enum(['true', 'false'], { message: 'force must be true or false' })
    .optional()
    .transform((value) => value === 'true')
    .meta({ description: 'true: register or hot-swap although the regression tests fail; recorded in the audit entry' }),
});

export const RollbackRequestSchema = z
  .strictObject({ version: versionNumberOf(z.number({ message: 'version must be a version number (1, 2, …)' })), message: VersionMessageSchema.optional() })
  .meta({ id: 'RollbackRequest' });

const VersionFields = {
  version: z.number().int(),
  savedAt: IsoTime,
  savedBy: ChangedBySchema.nullable().meta({ description: 'Who saved it; null when unknown (saved before sign-in existed)' }),
  message: z.string().nullable(),
};

export const ScriptVersionListSchema = z
  .object({
    versions: z.array(z.object(VersionFields)).meta({ description: 'Newest first' }),
    deleted: z.boolean().meta({ description: 'The script has been deleted; its versions stay readable' }),
  })
  .meta({ id: 'ScriptVersionList' });

export const ScriptVersionSchema = z
  .object({ ...VersionFields, script: ScriptDraftSchema, deleted: z.boolean() })
  .meta({ id: 'ScriptVersion' });

export const TestRequestSchema = z
  .object({ script: RunnableDraftSchema.optional(), scriptId: lookupKey('scriptId', 200).optional() })
  .superRefine(exactlyOneTarget)
  .meta({ id: 'TestRequest' });

const TestOutputSchema = z.object({ value: TagScalarSchema, quality: QualitySchema }).nullable();

export const TestReportSchema = z
  .object({
    passed: z.number().int(),
    failed: z.number().int(),
    results: z.array(
      z.object({
        name: z.string(),
        ok: z.boolean(),
        outputs: z.record(z.string(), TestOutputSchema).meta({ description: 'Every output after the last step run; null when not computed' }),
        mismatches: z.array(z.object({ tag: z.string(), expected: TestExpectationSchema, actual: TestOutputSchema })),
        error: DiagnosticSchema.nullable(),
        step: z.number().int().optional().meta({ description: 'The step (1-based) the error happened at' }),
      }),
    ),
  })
  .meta({ id: 'TestReport' });

/** A tag name in a path (/api/tags/{tag}); any name a tag may have, see parseTagName. */
export const TagParams = z.object({ tag: lookupKey('tag', 1000) });

export { ScriptDraftSchema, RunnableDraftSchema };
export { TagMetaBodySchema } from '../model/tag-meta';
