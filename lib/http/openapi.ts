import { z } from 'zod';
import { OPERATIONS } from './api-operations';
import { ErrorEnvelopeSchema } from './api-schemas';
import { SESSION_COOKIE } from './authenticate-request';
import type { Operation } from './operation';

/**
 * The OpenAPI 3.1 document of /api/openapi.json, generated from the same zod schemas that validate
 * requests. Named schemas (meta id) become components; everything else is inlined.
 */

type JsonSchema = Record<string, unknown>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed JSON, wrong types, missing fields or values out of range',
  401: 'No valid identity: sign in (session cookie) or send Authorization: Bearer ss_… (an unknown, revoked or expired token, or a disabled user, is refused)',
  403: 'The role is below the one this operation needs (the message names it), or a cross-site change was refused',
  404: 'Unknown script, tag or debug session (for single sign-on: OIDC is not configured)',
  409: 'Duplicate name, output tag owned by another script, dependency cycle, or a tag that may not be changed or removed (the message says why)',
  413: 'Body over the configured limit',
  422: 'SCRIPT_INVALID: the script does not compile (details.diagnostics lists why); TESTS_FAILED: its regression tests fail (details holds the test results; ?force=true saves anyway, audited)',
  429: 'Too many failed sign-ins; Retry-After says when to try again',
  503: 'A backing service is down; the message names it',
};

export function buildOpenApiDocument(version: string): Record<string, unknown> {
  const components: Record<string, JsonSchema> = {};
  const schemaOf = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
    return hoistDefinitions(json, components);
  };

  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    const pathItem = (paths[operation.path] ??= {});
    const parameters: unknown[] = [];
    for (const match of operation.path.matchAll(/\{(\w+)\}/g)) {
      parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    }
    if (operation.query) {
      const query = schemaOf(operation.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: query.required?.includes(name) ?? false, schema });
      }
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(operation.responses)) {
      responses[status] = response.schema
        ? { description: response.description, content: { [response.contentType ?? 'application/json']: { schema: schemaOf(response.schema, 'output') } } }
        : response.binaryContentTypes
          ? { description: response.description, content: Object.fromEntries(response.binaryContentTypes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }])) }
          : response.contentType
          ? { description: response.description, content: { [response.contentType]: { schema: { type: 'string' } } } }
          : { description: response.description };
    }
    const refusals = operation.role === 'public' ? (operation.id === 'metrics' ? [401] : []) : [401, 403];
    for (const status of [...new Set([...operation.errors, ...refusals])].sort((a, b) => a - b).concat(500)) {
      responses[String(status)] = {
        description: STATUS_TEXT[status] ?? 'Internal error (logged with a request id)',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    const bodySchema = operation.documentedBody ?? operation.body;
    pathItem[operation.method.toLowerCase()] = {
      operationId: operation.id,
      summary: operation.summary,
      tags: [operation.tag],
      ...(parameters.length ? { parameters } : {}),
      ...securityOf(operation),
      ...(bodySchema ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(bodySchema, 'input') } } } } : {}),
      responses,
    };
  }
  schemaOf(ErrorEnvelopeSchema, 'output');
  paths['/api/openapi.json'] = {
    get: {
      operationId: 'openApi',
      summary: 'This document',
      tags: ['operations'],
      security: [],
      responses: { 200: { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  };

  return {
    openapi: '3.1.0',
    info: {
      title: 'Script Server API',
      version,
      description: 'Calculated tags: scripts over live plant values, evaluated in QuickJS sandboxes. Every non-2xx answer uses the error envelope.',
    },
    servers: [{ url: '/' }],
    security: SIGNED_IN,
    paths,
    components: { schemas: components, securitySchemes: SECURITY_SCHEMES },
  };
}

const SECURITY_SCHEMES = {
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session of POST /api/auth/login (HttpOnly, SameSite=Strict). Changes must be JSON and come from the app’s own origin.',
  },
  bearerToken: { type: 'http', scheme: 'bearer', bearerFormat: 'ss_…', description: 'An API token (POST /api/tokens), shown once when created' },
};

const SIGNED_IN = [{ sessionCookie: [] }, { bearerToken: [] }];

/** Who may call it: anyone (`[]`), metrics with METRICS_TOKEN when set, else a session or a token with the role. */
function securityOf(operation: Operation<any, any, any>): Record<string, unknown> {
  if (operation.role === 'public') {
    return operation.id === 'metrics'
      ? { security: [{}, { bearerToken: [] }], description: 'Open, unless the server sets METRICS_TOKEN: then Authorization: Bearer <METRICS_TOKEN>' }
      : { security: [] };
  }
  return { security: SIGNED_IN, 'x-required-role': operation.role, description: `Needs the ${operation.role} role (security.md).` };
}

/** Moves `$defs` into components and points `$ref`s at them. */
function hoistDefinitions(schema: JsonSchema, components: Record<string, JsonSchema>): JsonSchema {
  const { $defs, $schema: _ignored, ...rest } = schema as JsonSchema & { $defs?: Record<string, JsonSchema>; $schema?: string };
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value)) {
        out[key] = key === '$ref' && typeof inner === 'string' ? inner.replace('#/$defs/', '#/components/schemas/') : rewrite(inner);
      }
      return out;
    }
    return value;
  };
  for (const [name, definition] of Object.entries($defs ?? {})) {
    components[name] ??= rewrite(definition) as JsonSchema;
  }
  const body = rewrite(rest) as JsonSchema;
  // A top-level schema with an id comes back as a bare $ref to itself; keep it in components too.
  const id = (schema as { id?: string }).id;
  if (typeof id === 'string') {
    const { id: _id, ...withoutId } = body;
    components[id] ??= withoutId;
    return { $ref: `#/components/schemas/${id}` };
  }
  return body;
}
