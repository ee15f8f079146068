import { z } from 'zod';

/**
 * Every setting the processes read, with its default, its schema and one line of documentation.
 * The core never reads `process.env`: a composition root calls `loadConfig(process.env)` once and passes
 * the result down.
 */

const boolFlag = z
  .enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['on', 'true', '1', 'yes'].includes(value));

const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

export const CONFIG_VARIABLES = {
  PORT: { schema: positiveInt(1, 65535).default(3000), doc: 'where the web app and API listen (port)' },
  HOST: { schema: z.string().min(1).default('127.0.0.1'), doc: 'where the web app and API listen (interface)' },
  DATA_DIR: { schema: z.string().min(1).default('./data'), doc: 'embedded database and other files of embedded mode' },
  PGLITE_THREAD: {
    schema: boolFlag.default(true),
    doc: 'on (the default): the embedded database (PGlite) runs in a worker thread of its own, so its statements never hold the thread serving the API (docs/decisions/0018); off: on the main thread (≈ 1 s less CPU at start-up, for a machine with one core)',
  },
  BUS_THREAD: {
    schema: boolFlag.default(false),
    doc: 'on: a worker\'s Kafka consumer and output producer run in a thread of their own, so kafkajs and the messages\' JSON never hold the thread serving the API (docs/decisions/0021); off (the default for now): on the main thread. Not used by WORKER_MODE=partitioned',
  },
  DATABASE_URL: {
    schema: optionalString.refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
      message: 'expected a postgres://user:password@host:5432/database URL',
    }),
    doc: 'PostgreSQL connection URL; unset means the embedded database (PGlite)',
    secret: true,
  },
  KAFKA_BROKERS: {
    schema: optionalString.refine(
      (value) => value === undefined || value.split(',').every((broker) => /^[^\s:,]+:\d{1,5}$/.test(broker.trim())),
      { message: 'expected comma-separated host:port pairs, e.g. 127.0.0.1:9092' },
    ),
    doc: 'Kafka bootstrap servers; unset means the embedded in-process bus',
  },
  KAFKA_INPUT_TOPIC: { schema: z.string().min(1).default('from_ipcm'), doc: 'topic of raw tag values' },
  KAFKA_OUTPUT_TOPIC: { schema: z.string().min(1).default('to_ipcm'), doc: 'topic of computed values' },
  KAFKA_GROUP_ID: { schema: z.string().min(1).default('script-server'), doc: 'consumer group of the workers' },
  KAFKA_DLQ_TOPIC: { schema: optionalString, doc: 'where undecodable input messages go; unset drops them' },
  KAFKA_CREATE_TOPICS: { schema: boolFlag.default(true), doc: 'create missing topics at start' },
  KAFKA_PIPELINE_DEPTH: {
    schema: positiveInt(1, 16).default(3),
    doc: 'slices of one input partition in hand at once: the next is fetched, decoded and evaluated while earlier ones are published; offsets are still committed in order, each after every earlier output is acknowledged (1: one slice at a time)',
  },
  WORKER_MODE: {
    schema: z.enum(['single', 'partitioned']).default('single'),
    doc: 'single: one worker of the group computes, the others stand by; partitioned: the script groups are split across the workers (needs KAFKA_BROKERS)',
  },
  KAFKA_CLIENT: {
    schema: z.enum(['kafkajs', 'confluent']).default('kafkajs'),
    doc: 'partitioned mode: the Kafka client of the router, engine and state topic; confluent (@confluentinc/kafka-javascript, built from source) rebalances cooperatively (docs/decisions/0016)',
  },
  KAFKA_GROUP_INSTANCE_ID: {
    schema: optionalString,
    doc: 'KAFKA_CLIENT=confluent: static group membership, a stable id unique to this worker; a restart within the session timeout keeps its partitions without a rebalance',
  },
  KAFKA_ROUTED_TOPIC: { schema: optionalString, doc: 'partitioned mode: topic of raw values routed by script group; default <KAFKA_GROUP_ID>.routed' },
  KAFKA_ROUTED_PARTITIONS: { schema: positiveInt(1, 10_000).default(32), doc: 'partitioned mode: partitions of the routed and state topics when created (the most workers that can share the work)' },
  KAFKA_STATE_TOPIC: { schema: optionalString, doc: 'partitioned mode: compacted topic of the scripts\' state; default <KAFKA_GROUP_ID>.state' },
  STATE_CHECKPOINT_MS: { schema: positiveInt(10, 3_600_000).default(1000), doc: 'partitioned mode: longest wait before a changed script\'s state is written (periodic scripts; a pass writes its own at once)' },
  INFLUX_URL: {
    schema: optionalString.refine((value) => value === undefined || /^https?:\/\//.test(value), {
      message: 'expected an http(s):// URL, e.g. http://127.0.0.1:8086',
    }),
    doc: 'InfluxDB base URL (v1-compatible API); unset means the embedded history table',
  },
  INFLUX_DB: { schema: z.string().min(1).default('script_server'), doc: 'InfluxDB database (or bucket mapped to it)' },
  INFLUX_TOKEN: { schema: optionalString, doc: 'InfluxDB token (2.x/3.x)', secret: true },
  INFLUX_USERNAME: { schema: optionalString, doc: 'InfluxDB 1.x user name' },
  INFLUX_PASSWORD: { schema: optionalString, doc: 'InfluxDB 1.x password', secret: true },
  SIMULATOR: { schema: boolFlag.optional(), doc: 'built-in plant simulator; default on with the embedded bus, off with Kafka' },
  SCRIPT_CPU_MS: { schema: positiveInt(1, 60_000).default(50), doc: 'CPU deadline of one calculation' },
  SCRIPT_INIT_CPU_MS: { schema: positiveInt(1, 600_000).default(500), doc: 'CPU deadline of initCode' },
  SCRIPT_MEMORY_MB: { schema: positiveInt(8, 4096).default(32), doc: 'memory cap of one sandbox' },
  QUARANTINE_AFTER: { schema: positiveInt(1, 1_000_000).default(5), doc: 'consecutive failures before a script is quarantined' },
  QUARANTINE_RETRY_MS: {
    schema: positiveInt(0, 3_600_000).default(60_000),
    doc: 'wait before a quarantined script is evaluated again, doubling after each failed retry up to an hour; 0 turns retries off',
  },
  DEBUG_SESSION_TTL_MS: { schema: positiveInt(100, 86_400_000).default(60_000), doc: 'idle debug sessions expire after this' },
  DEBUG_SESSION_MAX: { schema: positiveInt(1, 10_000).default(50), doc: 'live debug sessions kept; the least recently used is evicted beyond' },
  HISTORY_RETENTION_DAYS: { schema: z.coerce.number().positive().max(36_500).default(7), doc: 'embedded history retention' },
  BACKFILL_CONCURRENCY: { schema: positiveInt(1, 64).default(1), doc: 'backfill jobs run at once by one web process (each in the lab thread, chunk by chunk)' },
  BACKFILL_CHUNK_STEPS: {
    schema: positiveInt(64, 65_536).default(2048),
    doc: 'evaluation steps per backfill chunk: progress is saved, a cancel noticed and outputs written at this grain; larger chunks hold the lab and the API longer (docs/performance.md, P8)',
  },
  EXPORT_MAX_ROWS: { schema: positiveInt(1, 1_000_000_000).default(5_000_000), doc: 'most rows of one GET /api/export (rows = period ÷ step); beyond it the request is refused with 400' },
  BODY_LIMIT_BYTES: { schema: positiveInt(1024, 1024 * 1024 * 1024).default(1024 * 1024), doc: 'largest accepted request body' },
  LOG_LEVEL: { schema: z.enum(['debug', 'info', 'warn', 'error']).default('info'), doc: 'log level' },
  LOG_FORMAT: { schema: z.enum(['pretty', 'json']).optional(), doc: 'log format; default pretty in development, json in production' },
  NODE_ENV: { schema: z.string().default('production'), doc: 'development or production' },
  AUTH: { schema: boolFlag.default(true), doc: 'sign-in on every /api route; off is accepted only when HOST is loopback (everyone is the built-in admin)' },
  ADMIN_USERNAME: { schema: z.string().min(1).default('admin'), doc: 'the administrator created at the first start with ADMIN_PASSWORD' },
  ADMIN_PASSWORD: { schema: optionalString, doc: 'creates ADMIN_USERNAME at the first start (no user yet); at least 12 characters', secret: true },
  SESSION_IDLE_MINUTES: { schema: positiveInt(1, 525_600).default(480), doc: 'a sign-in session ends after this long without use' },
  METRICS_TOKEN: { schema: optionalString, doc: 'when set, GET /api/metrics needs Authorization: Bearer <it>', secret: true },
  OIDC_ISSUER: { schema: optionalString, doc: 'OpenID provider (issuer URL) for single sign-on; with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET' },
  OIDC_CLIENT_ID: { schema: optionalString, doc: 'the client id registered at the OpenID provider' },
  OIDC_CLIENT_SECRET: { schema: optionalString, doc: 'the client secret registered at the OpenID provider', secret: true },
  OIDC_NAME: { schema: z.string().min(1).default('single sign-on'), doc: 'the button says "Sign in with <OIDC_NAME>"' },
  OIDC_ROLE_CLAIM: { schema: z.string().min(1).default('groups'), doc: 'the claim holding the groups or roles (a dotted path reaches nested claims)' },
  OIDC_ROLE_MAP: { schema: optionalString, doc: 'claim values to roles, e.g. plant-admins=admin,process-eng=editor' },
  OIDC_DEFAULT_ROLE: { schema: z.enum(['viewer', 'editor', 'admin']).default('viewer'), doc: 'the role of an OIDC user no OIDC_ROLE_MAP entry matches' },
} as const;

type Variables = typeof CONFIG_VARIABLES;
export type Config = { [K in keyof Variables]: z.output<Variables[K]['schema']> } & {
  /** Derived: which adapter each port uses. */
  mode: { db: 'embedded' | 'postgres'; bus: 'embedded' | 'kafka'; history: 'embedded' | 'influx'; simulator: boolean };
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates every variable; throws a ConfigError naming each bad one. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(CONFIG_VARIABLES)) {
    const raw = env[name];
    const parsed = (variable.schema as z.ZodType).safeParse(raw === '' && name !== 'DATABASE_URL' ? undefined : raw);
    if (parsed.success) {
      values[name] = parsed.data;
    } else {
      const reason = parsed.error.issues.map((issue) => issue.message).join('; ');
      problems.push(`${name}=${JSON.stringify(raw)}: ${reason} (${variable.doc})`);
    }
  }
  problems.push(...oidcProblems(values));
  if (values.WORKER_MODE === 'partitioned' && !values.KAFKA_BROKERS) {
    problems.push('WORKER_MODE=partitioned splits the work through Kafka: set KAFKA_BROKERS too (or WORKER_MODE=single)');
  }
  if (values.KAFKA_CLIENT === 'confluent' && values.WORKER_MODE !== 'partitioned') {
    problems.push('KAFKA_CLIENT=confluent is for WORKER_MODE=partitioned: single mode gives every partition to one worker with an assignor librdkafka cannot run (decision 0005); set WORKER_MODE=partitioned or KAFKA_CLIENT=kafkajs');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = values as Omit<Config, 'mode'>;
  const bus = config.KAFKA_BROKERS ? 'kafka' : 'embedded';
  return {
    ...config,
    mode: {
      db: config.DATABASE_URL ? 'postgres' : 'embedded',
      bus,
      history: config.INFLUX_URL ? 'influx' : 'embedded',
      simulator: config.SIMULATOR ?? bus === 'embedded',
    },
  } as Config;
}

const OIDC_TRIO = ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const;

/**
 * Single sign-on needs all three of OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET, or none; the
 * issuer is an https URL (plain http only on a loopback address, e.g. a provider started by a test).
 */
function oidcProblems(values: Record<string, unknown>): string[] {
  const set = OIDC_TRIO.filter((name) => values[name] !== undefined);
  if (set.length === 0) return [];
  if (set.length < OIDC_TRIO.length) {
    const missing = OIDC_TRIO.filter((name) => !set.includes(name));
    return [`single sign-on needs ${OIDC_TRIO.join(', ')} together: ${set.join(' and ')} ${set.length === 1 ? 'is' : 'are'} set but ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not (set ${missing.length === 1 ? 'it' : 'them'}, or unset ${set.length === 1 ? 'it' : 'them'} to sign in without OIDC)`];
  }
  const issuer = String(values.OIDC_ISSUER);
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    return [`OIDC_ISSUER=${JSON.stringify(issuer)}: not a URL; use the provider's issuer URL, e.g. https://login.microsoftonline.com/<tenant-id>/v2.0`];
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return [`OIDC_ISSUER=${JSON.stringify(issuer)}: the provider must be reached over https:// (plain http:// only on a loopback address): the client secret and the tokens travel on this connection`];
  }
  if (url.search || url.hash) return [`OIDC_ISSUER=${JSON.stringify(issuer)}: an issuer URL has no query or fragment; use the issuer of the provider's discovery document`];
  return [];
}

/** One line per variable, secrets masked, for the start-up banner. */
export function describeConfig(config: Config): string[] {
  const lines = [
    `mode: database=${config.mode.db} bus=${config.mode.bus} history=${config.mode.history} simulator=${config.mode.simulator ? 'on' : 'off'}`,
  ];
  for (const [name, variable] of Object.entries(CONFIG_VARIABLES)) {
    const value = (config as unknown as Record<string, unknown>)[name];
    if (value === undefined) continue;
    const shown = 'secret' in variable && variable.secret ? maskSecret(String(value)) : String(value);
    lines.push(`${name}=${shown}`);
  }
  return lines;
}

function maskSecret(value: string): string {
  // Keep the shape of a URL visible (scheme and host) but never the password.
  try {
    const url = new URL(value);
    if (url.password) url.password = '****';
    return url.toString();
  } catch {
    return '****';
  }
}
