import fc from 'fast-check';
import { envelopeProblem } from './api-requests';
import { authFetch } from './app-process';

/**
 * A schema-driven fuzzer over an OpenAPI 3.1 document, on fast-check: for each operation it builds
 * requests — path parameters, query parameters and JSON bodies — from the operation's JSON schemas
 * (values that conform, values with one part broken, and random JSON or text), sends them to a
 * running server and checks every answer: never a 5xx, and every non-2xx in the error envelope.
 *
 * The JSON-Schema → arbitrary translation covers the subset generated documents use: object with
 * properties/required/additionalProperties, array with items/minItems/maxItems, string with
 * minLength/maxLength/pattern/format date-time, number and integer with bounds, enum, const,
 * anyOf/oneOf, type lists, nullable, and $ref into components.
 */

export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
};

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
}

export interface OpenApiOperation {
  operationId?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

/** One operation of the document, flattened for generation. */
export interface FuzzOperation {
  id: string;
  method: string;
  path: string;
  pathParameters: string[];
  queryParameters: Array<{ name: string; required: boolean; schema: JsonSchema }>;
  body: JsonSchema | null;
  /** Statuses the document lists for the operation. */
  documentedStatuses: number[];
}

export function listOperations(document: OpenApiDocument): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const parameters = operation.parameters ?? [];
      operations.push({
        id: operation.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParameters: parameters.filter((parameter) => parameter.in === 'path').map((parameter) => parameter.name),
        queryParameters: parameters
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => ({ name: parameter.name, required: parameter.required ?? false, schema: parameter.schema ?? {} })),
        body: operation.requestBody?.content?.['application/json']?.schema ?? null,
        documentedStatuses: Object.keys(operation.responses ?? {}).map(Number),
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------- strings

/** One UTF-16 code unit of a surrogate pair, alone: not valid Unicode text, valid in JSON. */
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
/** Characters that break naive code: NUL, bidi marks, combining marks, emoji, path and quote characters. */
const trickyCharacter = fc.constantFrom('\u0000', '\u202e', '\u200f', '\u0301', '\ufeff', '😀', '%', '/', '..', '\\', '"', "'", '\n', '%2F', '<', '$');
const oddUnit = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: loneSurrogate },
  { weight: 2, arbitrary: trickyCharacter },
);

/** Any text, odd Unicode included (lone surrogates, NUL, bidi and combining marks, emoji). */
export function oddString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: oddUnit, minLength: constraints.minLength ?? 0, maxLength: constraints.maxLength ?? 40 });
}

/**
 * hostileString no longer than `maxLength`: a URL over 16 KB is refused by Node's HTTP parser (431)
 * before the application sees it, so path and query values stay well below that.
 */
export function hostileStringUpTo(maxLength: number): fc.Arbitrary<string> {
  return fc.oneof(HOSTILE_CONSTANTS, fc.integer({ min: 1, max: maxLength }).map((length) => 'x'.repeat(length)));
}

const HOSTILE_CONSTANTS = fc.constantFrom(
  '',
  ' ',
  '..',
  '../..',
  '%',
  '%2F',
  '%00',
  "'; drop table scripts; --",
  '" or 1=1 --',
  '\\',
  'a\\',
  'NaN',
  'Infinity',
  '-0',
  '1e308',
  'null',
  'undefined',
  '__proto__',
  'constructor',
  '{}',
  '[]',
  '\ud800',
  '\u0000',
  '\u202eRTL',
  'e\u0301',
  '😀',
);

/** Strings that target parsers and stores: SQL and path fragments, huge, empty, number-like. */
export const hostileString = hostileStringUpTo(12_000);

// ---------------------------------------------------------------- JSON schema → arbitrary

export interface SchemaArbitraryOptions {
  /**
   * Arbitraries mixed in (3 : 1 with the schema's own) for properties, keyed by property name
   * ("tag") or by the nearest named component and property ("RunRequest.inputs"), which wins.
   */
  propertyHints?: Record<string, fc.Arbitrary<unknown>>;
  /** Arbitraries used instead of the schema's own, keyed like propertyHints (e.g. to keep durations short). */
  propertyOverrides?: Record<string, fc.Arbitrary<unknown>>;
  /** How deep $refs and nesting are followed before giving up with a simple value. */
  maxDepth?: number;
  /** Longest generated string and array, unless the schema demands more. */
  maxLength?: number;
  maxItems?: number;
  /** Longest hostile string (default 12 000; keep URLs short). */
  hostileMaxLength?: number;
}

function resolveRef(document: OpenApiDocument, ref: string): JsonSchema {
  const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
  const schema = match ? document.components?.schemas?.[decodeURIComponent(match[1])] : undefined;
  if (!schema) throw new Error(`cannot resolve ${ref}`);
  return schema;
}

const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Values of `schema` — conforming ones, mostly; strings and numbers include the odd and extreme. */
export function schemaArbitrary(
  schema: JsonSchema,
  document: OpenApiDocument,
  options: SchemaArbitraryOptions = {},
  depth = 0,
  component = '',
): fc.Arbitrary<unknown> {
  const maxDepth = options.maxDepth ?? 6;
  if (depth > maxDepth) return fc.constant(null);
  const next = (inner: JsonSchema) => schemaArbitrary(inner, document, options, depth + 1, component);

  if (schema.$ref) {
    const name = schema.$ref.split('/').pop() ?? '';
    return schemaArbitrary(resolveRef(document, schema.$ref), document, options, depth + 1, name);
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return withNullable(schema, fc.oneof(...alternatives.map(next)));
  if (schema.allOf) return next(Object.assign({}, ...schema.allOf) as JsonSchema);
  if (Array.isArray(schema.type)) {
    return fc.oneof(...schema.type.map((type) => schemaArbitrary({ ...schema, type }, document, options, depth, component)));
  }

  switch (schema.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return withNullable(schema, fc.boolean());
    case 'integer':
    case 'number':
      return withNullable(schema, numberArbitrary(schema));
    case 'string':
      return withNullable(schema, stringArbitrary(schema, options));
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? Number.MAX_SAFE_INTEGER, minLength + (options.maxItems ?? 4)));
      return withNullable(schema, fc.array(schema.items ? next(schema.items) : anyJson, { minLength, maxLength }));
    }
    case 'object':
    case undefined: {
      if (schema.type === undefined && !schema.properties && schema.additionalProperties === undefined) return anyJson;
      return withNullable(schema, objectArbitrary(schema, document, options, depth, component));
    }
    default:
      return anyJson;
  }
}

function withNullable(schema: JsonSchema, arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return schema.nullable ? fc.option(arbitrary, { nil: null }) : arbitrary;
}

function objectArbitrary(schema: JsonSchema, document: OpenApiDocument, options: SchemaArbitraryOptions, depth: number, component: string): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  const lookup = (table: Record<string, fc.Arbitrary<unknown>> | undefined, name: string) => table?.[`${component}.${name}`] ?? table?.[name];
  for (const [name, property] of Object.entries(properties)) {
    const override = lookup(options.propertyOverrides, name);
    if (override) {
      model[name] = override;
      continue;
    }
    const generated = schemaArbitrary(property, document, options, depth + 1, component);
    const hint = lookup(options.propertyHints, name);
    model[name] = hint ? fc.oneof({ weight: 3, arbitrary: hint }, { weight: 1, arbitrary: generated }) : generated;
  }
  const required = (schema.required ?? []).filter((name) => name in model);
  const known = fc.record(model, { requiredKeys: required });
  const extra = schema.additionalProperties;
  if (extra === false) return known;
  const extraValue = typeof extra === 'object' ? schemaArbitrary(extra, document, options, depth + 1, component) : anyJson;
  const extraKeys = fc.dictionary(oddString({ maxLength: 12 }), extraValue, { maxKeys: typeof extra === 'object' ? 4 : 1 });
  return fc.tuple(known, fc.option(extraKeys, { freq: 3 })).map(([value, more]) => (more ? { ...more, ...(value as object) } : value));
}

function numberArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const integer = schema.type === 'integer';
  const low = schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + (integer ? 1 : Number.EPSILON) : schema.minimum;
  const high = schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - (integer ? 1 : Number.EPSILON) : schema.maximum;
  const inRange = integer
    ? fc.integer({ min: Math.max(low ?? -(2 ** 31), Number.MIN_SAFE_INTEGER), max: Math.min(high ?? 2 ** 31, Number.MAX_SAFE_INTEGER) })
    : fc.double({ min: low ?? -1e12, max: high ?? 1e12, noNaN: true, noDefaultInfinity: true });
  const edges = [low, high, 0, -0, 1e308, -1e308, 2 ** 53 + 1, 0.5, -1].filter((value): value is number => typeof value === 'number');
  return fc.oneof({ weight: 4, arbitrary: inRange }, { weight: 1, arbitrary: fc.constantFrom(...edges) });
}

function stringArbitrary(schema: JsonSchema, options: SchemaArbitraryOptions): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc.date({ min: new Date('1980-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((date) => date.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? Number.MAX_SAFE_INTEGER, minLength + (options.maxLength ?? 40)));
  const free = fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 2, arbitrary: oddString({ minLength, maxLength }) },
    { weight: 1, arbitrary: hostileStringUpTo(options.hostileMaxLength ?? 12_000) },
  );
  if (!schema.pattern) return free;
  let matching: fc.Arbitrary<string>;
  try {
    matching = fc.stringMatching(new RegExp(schema.pattern));
  } catch {
    return free;
  }
  return fc.oneof({ weight: 3, arbitrary: matching }, { weight: 1, arbitrary: free });
}

// ---------------------------------------------------------------- breaking a conforming value

type Mutation = 'replace' | 'delete' | 'wrap-in-array' | 'stringify';

/** `value` with one node (chosen by `pick`) replaced, deleted, wrapped in an array or turned into text. */
export function mutate(value: unknown, pick: number, mutation: Mutation, replacement: unknown): unknown {
  const nodes: Array<{ parent: Record<string, unknown> | unknown[] | null; key: string | number }> = [{ parent: null, key: '' }];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((item, index) => {
        nodes.push({ parent: node, key: index });
        visit(item);
      });
    } else if (node && typeof node === 'object') {
      for (const [key, item] of Object.entries(node)) {
        nodes.push({ parent: node as Record<string, unknown>, key });
        visit(item);
      }
    }
  };
  const copy = structuredClone(value);
  visit(copy);
  const target = nodes[pick % nodes.length];
  const current = target.parent === null ? copy : (target.parent as Record<string | number, unknown>)[target.key];
  const changed =
    mutation === 'replace' ? replacement : mutation === 'wrap-in-array' ? [current] : mutation === 'stringify' ? JSON.stringify(current) ?? 'undefined' : undefined;
  if (target.parent === null) return mutation === 'delete' ? undefined : changed;
  if (mutation === 'delete') {
    if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
    else delete target.parent[target.key as string];
  } else {
    (target.parent as Record<string | number, unknown>)[target.key] = changed;
  }
  return copy;
}

// ---------------------------------------------------------------- requests

export interface FuzzRequest {
  method: string;
  /** Path and query, already encoded as sent. */
  url: string;
  headers: Record<string, string>;
  /** The exact body text sent, or undefined for none. */
  body?: string;
  /** How the body was made, for the failure report. */
  bodyKind: 'none' | 'conforming' | 'mutated' | 'random-json' | 'anything' | 'text';
}

export interface RequestArbitraryOptions extends SchemaArbitraryOptions {
  /** Extra values mixed into a path parameter's arbitrary (e.g. ids that exist), by parameter name. */
  pathHints?: Record<string, fc.Arbitrary<string>>;
}

const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** encodeURIComponent throws on a lone surrogate; a client would send U+FFFD in its place. */
function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATES, '\ufffd');
}

/** Path parameter values: text of every kind URL-encoded, plus raw segments that are not valid encoding. */
function pathParameterArbitrary(hint: fc.Arbitrary<string> | undefined): fc.Arbitrary<string> {
  const encoded = fc
    .oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 30 }), oddString({ minLength: 1, maxLength: 30 }), hostileStringUpTo(1_000))
    .map((text) => encodeURIComponent(wellFormed(text)));
  const malformed = fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '%FF', '%C0%AF', 'a%2', '%%');
  const options: Array<fc.WeightedArbitrary<string>> = [
    { weight: 6, arbitrary: encoded },
    { weight: 1, arbitrary: malformed },
  ];
  if (hint) options.push({ weight: 6, arbitrary: hint.map((text) => encodeURIComponent(wellFormed(text))) });
  return fc.oneof(...options);
}

export function requestArbitrary(operation: FuzzOperation, document: OpenApiDocument, options: RequestArbitraryOptions = {}): fc.Arbitrary<FuzzRequest> {
  const pathValues = fc.tuple(...operation.pathParameters.map((name) => pathParameterArbitrary(options.pathHints?.[name])));
  const queryModel: Record<string, fc.Arbitrary<unknown>> = {};
  for (const parameter of operation.queryParameters) {
    const hint = options.propertyHints?.[parameter.name];
    queryModel[parameter.name] = fc.oneof(
      { weight: 3, arbitrary: schemaArbitrary(parameter.schema, document, { ...options, hostileMaxLength: 1_000 }) },
      { weight: hint ? 3 : 0, arbitrary: hint ?? fc.constant(undefined) },
      { weight: 1, arbitrary: oddString() },
      { weight: 1, arbitrary: hostileStringUpTo(1_000) },
    );
  }
  const requiredQuery = operation.queryParameters.filter((parameter) => parameter.required).map((parameter) => parameter.name);
  const query = fc.tuple(
    fc.record(queryModel, { requiredKeys: requiredQuery }),
    fc.option(fc.dictionary(oddString({ minLength: 1, maxLength: 8 }), oddString(), { maxKeys: 2 }), { freq: 4 }),
  );
  const body: fc.Arbitrary<Pick<FuzzRequest, 'body' | 'bodyKind'>> = operation.body ? bodyArbitrary(operation.body, document, options) : fc.constant({ bodyKind: 'none' as const });

  return fc.tuple(pathValues, query, body).map(([values, [declared, extra], { body: text, bodyKind }]): FuzzRequest => {
    let index = 0;
    const path = operation.path.replace(/\{\w+\}/g, () => values[index++]);
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries({ ...(extra ?? {}), ...declared })) {
      if (value !== undefined) search.append(name, typeof value === 'string' ? value : JSON.stringify(value) ?? '');
    }
    const queryText = search.toString();
    return {
      method: operation.method,
      url: queryText ? `${path}?${queryText}` : path,
      headers: text === undefined ? {} : ({ 'content-type': 'application/json' } as Record<string, string>),
      body: text,
      bodyKind,
    };
  });
}

function bodyArbitrary(schema: JsonSchema, document: OpenApiDocument, options: SchemaArbitraryOptions): fc.Arbitrary<Pick<FuzzRequest, 'body' | 'bodyKind'>> {
  const conforming = schemaArbitrary(schema, document, options);
  // The hints alone where there are hints: values the use cases accept, so that success paths run too.
  const hinted = schemaArbitrary(schema, document, { ...options, propertyOverrides: { ...options.propertyHints, ...options.propertyOverrides } });
  const serialise = (value: unknown) => JSON.stringify(value) ?? 'null';
  return fc.oneof(
    { weight: 4, arbitrary: conforming.map((value) => ({ body: serialise(value), bodyKind: 'conforming' as const })) },
    { weight: 5, arbitrary: hinted.map((value) => ({ body: serialise(value), bodyKind: 'conforming' as const })) },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.oneof(conforming, hinted), fc.nat(), fc.constantFrom<Mutation>('replace', 'replace', 'delete', 'wrap-in-array', 'stringify'), fc.oneof(fc.jsonValue({ maxDepth: 3 }), hostileString))
        .map(([value, pick, mutation, replacement]) => ({ body: serialise(mutate(value, pick, mutation, replacement)), bodyKind: 'mutated' as const })),
    },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text) => ({ body: text, bodyKind: 'random-json' as const })) },
    {
      weight: 1,
      arbitrary: fc
        .anything({ maxDepth: 3, withNullPrototype: true, withSparseArray: true })
        .map((value) => ({ body: safeStringify(value), bodyKind: 'anything' as const })),
    },
    { weight: 1, arbitrary: fc.oneof(oddString(), hostileString).map((text) => ({ body: text, bodyKind: 'text' as const })) },
    { weight: 1, arbitrary: fc.constant({ body: undefined, bodyKind: 'none' as const }) },
  );
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch {
    return String(value);
  }
}

// ---------------------------------------------------------------- sending and checking

export interface FuzzAnswer {
  status: number;
  contentType: string;
  text: string;
  /**
   * False when the answer came from another path than the one generated: a dot-segment the client
   * resolved ("/api/scripts/.." is sent as "/api/"), or a redirect (a trailing slash). Its status then
   * belongs to another operation.
   */
  reachedOperation: boolean;
}

export async function sendRequest(base: string, request: FuzzRequest, timeoutMs = 30_000): Promise<FuzzAnswer> {
  const response = await authFetch(`${base}${request.url}`, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal: AbortSignal.timeout(timeoutMs),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    text: await response.text(),
    reachedOperation: !response.redirected && new URL(response.url).pathname === request.url.split('?')[0],
  };
}

/**
 * Why the answer breaks the contract — a 5xx, an error outside the envelope, or (given the statuses
 * the document lists for the operation) a status the document does not list — or null.
 */
export function answerProblem(answer: FuzzAnswer, documentedStatuses?: number[]): string | null {
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (documentedStatuses && answer.reachedOperation && !documentedStatuses.includes(answer.status)) {
    return `status ${answer.status} is not among the statuses the document lists (${documentedStatuses.join(', ')}): ${answer.text.slice(0, 300)}`;
  }
  if (answer.status < 400) return null;
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    return `status ${answer.status} with a body that is not JSON (${answer.contentType}): ${answer.text.slice(0, 200)}`;
  }
  return envelopeProblem({ status: answer.status, json });
}

/** A request as a curl command line, to reproduce a failure by hand. */
export function describeRequest(base: string, request: FuzzRequest): string {
  const body = request.body === undefined ? '' : ` -H 'content-type: application/json' --data-binary ${JSON.stringify(request.body.length > 2_000 ? `${request.body.slice(0, 2_000)}…` : request.body)}`;
  return `curl -X ${request.method} '${base}${request.url}'${body}   [body: ${request.bodyKind}]`;
}
