import type { z } from 'zod';
import type { EditorRunPorts } from '../editor-runs/editor-run-ports';
import type { TagHistoryPorts } from '../history/get-tag-history';
import type { ExportPorts } from '../history/export-history';
import type { ScriptPorts } from '../scripts/script-ports';
import type { Logger } from '../support/logger';
import type { AppMetrics } from '../support/metrics';
import type { TagPorts } from '../tags/tag-ports';
import type { TagMetaPorts } from '../tags/tag-meta-ports';
import type { HealthPorts } from './check-health';
import type { Identity } from '../security/identity';
import type { OidcPorts, SecurityPorts, SetupPorts } from '../security/security-ports';
import type { ShadowPorts } from '../shadows/shadow-ports';
import type { WorkerPorts } from '../partitioning/worker-ports';
import type { BackfillPorts } from '../backfill/backfill-ports';

/**
 * One operation of api.md: its method and path, the schemas of what it takes and answers, and the
 * use case it calls. The operations tables (api-operations.ts, debug-operations.ts) list them; the
 * dispatcher validates with these schemas and the OpenAPI document is built from them.
 */

/** What the operations hand to their use cases: the union of the ports those use cases declare. */
export type ApiServices = ScriptPorts &
  EditorRunPorts &
  TagPorts &
  TagMetaPorts &
  TagHistoryPorts &
  ExportPorts &
  HealthPorts &
  SecurityPorts &
  SetupPorts &
  ShadowPorts &
  WorkerPorts &
  BackfillPorts &
  OidcPorts & {
    log: Logger;
    config: { BODY_LIMIT_BYTES: number; METRICS_TOKEN?: string };
    metrics: Pick<AppMetrics, 'text' | 'contentType'>;
  };

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call an operation (security.md): a signed-in user or token with at least this role, or
 * anyone ('public': health, the OpenAPI document, metrics unless METRICS_TOKEN is set, sign-in).
 * The request handler enforces it, in one place, before the body is read or the use case runs.
 */
export type OperationRole = 'public' | 'viewer' | 'editor' | 'admin';

export interface ApiResult {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
  /** A new session for the cookie (sign-in), or `null` to clear the cookie (sign-out). */
  session?: { id: string } | null;
  /** A redirect's target (the Location header), with status 302 or 303. */
  location?: string;
  /** Other cookies to set, each a whole Set-Cookie value. */
  cookies?: string[];
  /** A body sent as it is produced (a download): pulled piece by piece, so memory holds one piece. */
  stream?: AsyncIterable<Uint8Array>;
  /** More response headers (e.g. Content-Disposition). */
  headers?: Record<string, string>;
}

export interface OperationContext<B, Q, P> {
  services: ApiServices;
  body: B;
  query: Q;
  params: P;
  requestId: string;
  /** Who is calling; null only for a public operation called without credentials. */
  identity: Identity | null;
  /** The client's address, when the server knows it (audit trail, login throttle). */
  ip?: string;
  /** The request itself, for an operation that reads its headers (single sign-on: its cookie and origin). */
  request: Request;
}

export interface Operation<B = unknown, Q = unknown, P = unknown> {
  id: string;
  method: HttpMethod;
  path: string;
  summary: string;
  tag: 'scripts' | 'runs' | 'tags' | 'operations' | 'debug' | 'auth' | 'users' | 'audit';
  role: OperationRole;
  body?: z.ZodType<B>;
  /** What the OpenAPI document shows for the body, when it differs from the parsing schema. */
  documentedBody?: z.ZodType;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /** Success answers; error answers are listed in `errors` and use the envelope. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string; binaryContentTypes?: string[] }>;
  errors: number[];
  run(context: OperationContext<B, Q, P>): Promise<ApiResult>;
}

export const ok = (json: unknown, status = 200): ApiResult => ({ status, json });

/** Declares one operation (keeps its schemas' types together). */
export function operation<B = undefined, Q = undefined, P = undefined>(definition: Operation<B, Q, P>): Operation<B, Q, P> {
  return definition;
}
