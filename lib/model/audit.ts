import { z } from 'zod';

/** The audit trail of security.md: who changed what, written with the change, never edited. */

export const AUDIT_ACTIONS = [
  'script.create',
  'script.update',
  'script.delete',
  'script.register',
  'script.unregister',
  'script.rollback',
  'script.quarantine',
  'backfill.start',
  'backfill.cancel',
  'values.post',
  'user.create',
  'user.update',
  'user.delete',
  'token.create',
  'token.revoke',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  // A request refused with 401 or 403 (quality bar R9); failed sign-ins are auth.login_failed.
  'auth.refused',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditActor {
  type: 'user' | 'token' | 'system';
  /** The user's id (for a token: its owner's); null for a failed sign-in with an unknown username, and for the system. */
  id: string | null;
  /** The username (for a token: its owner's username; for the system: "system"). */
  name: string;
  /** For a token: which one. */
  token?: { id: string; name: string };
}

export interface AuditTarget {
  type: string;
  id: string | null;
  name: string | null;
}

/** What a change writes; the store adds `id` and `at`. */
export interface NewAuditEntry {
  actor: AuditActor;
  action: AuditAction;
  target: AuditTarget;
  version?: number;
  details: Record<string, unknown>;
  ip?: string;
  requestId: string;
}

export interface AuditEntry extends NewAuditEntry {
  id: string;
  at: string;
}

export const SYSTEM_ACTOR: AuditActor = { type: 'system', id: null, name: 'system' };

/** The audit of a quarantine: the engine (actor system) stopped a script after failures. */
export function quarantineAudit(error: { message: string }, cause: string): ChangeAuthor & { action: AuditAction; details: Record<string, unknown> } {
  return { actor: SYSTEM_ACTOR, by: null, requestId: 'engine', action: 'script.quarantine', details: { cause, error: error.message } };
}

export const MAX_AUDIT_LIMIT = 500;
export const DEFAULT_AUDIT_LIMIT = 100;

/** A four-digit year: what a database timestamp holds (an ISO "+275760-…" parses, but no column takes it). */
const inStoredYears = (value: string) => /^\d{4}-/.test(value);
const isoTime = (name: string) =>
  z.iso
    .datetime({ offset: true, message: `${name} must be an ISO 8601 time with a zone, e.g. 2030-01-31T00:00:00Z` })
    .refine(inStoredYears, { message: `${name} must be a time in the years 0000 to 9999` });
/** Free text the database compares: no NUL character (PostgreSQL text cannot hold one). */
const text = (name: string, max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !value.includes('\u0000'), { message: `${name} must not contain a NUL character` });
/** The largest cursor: entries are numbered by a PostgreSQL bigint. */
const MAX_CURSOR = 9_223_372_036_854_775_807n;

/**
 * The query of `GET /api/audit`. `actor` matches a user's id or username; `action` is exact
 * (`script.update`) or a family (`user.*`); `from` is inclusive, `to` exclusive.
 */
export const AuditQuerySchema = z
  .strictObject({
    actor: text('actor', 200).optional(),
    action: z
      .string()
      .regex(/^[a-z_]+(\.[a-z_]+|\.\*)?$/, { message: 'action must be an action such as script.update, or a family such as user.*' })
      .optional(),
    targetType: text('targetType', 50).optional(),
    targetId: text('targetId', 200).optional(),
    from: isoTime('from').optional(),
    to: isoTime('to').optional(),
    limit: z.coerce
      .number({ message: 'limit must be a number' })
      .int({ message: 'limit must be a whole number' })
      .min(1, { message: 'limit must be at least 1' })
      .max(MAX_AUDIT_LIMIT, { message: `limit must be at most ${MAX_AUDIT_LIMIT}` })
      .default(DEFAULT_AUDIT_LIMIT),
    cursor: z
      .string()
      .refine((value) => /^[0-9]{1,19}$/.test(value) && BigInt(value) <= MAX_CURSOR, { message: 'cursor must be the nextCursor of an earlier answer' })
      .optional(),
  })
  .refine((query) => query.from === undefined || query.to === undefined || Date.parse(query.from) < Date.parse(query.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type AuditQuery = z.output<typeof AuditQuerySchema>;

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `cursor` for the next (older) page; null when this is the last one. */
  nextCursor: string | null;
}

/**
 * Who makes a change to a script, for its audit entry and its `createdBy`/`updatedBy`: the store
 * writes both in the transaction of the change. `by` is null for the system (a quarantine).
 */
export interface ChangeAuthor {
  actor: AuditActor;
  by: { id: string; name: string } | null;
  requestId: string;
  ip?: string;
}
