import { AUDIT_ACTIONS, type AuditAction } from '../model/audit';
import { ROLES, roleAtLeast, type Role } from '../model/role';
import type { Token } from '../model/token';
import type { User } from '../model/user';

/**
 * Who the IDE is showing itself to, and what that allows (security.md). The server decides every
 * request; these rules only keep the IDE from offering what would be refused.
 */

/** What the IDE knows of the visitor: signed in (or AUTH=off), signed out, or not known (the server did not answer). */
export type Access =
  | { status: 'in'; user: User; via: 'session' | 'token'; authEnabled: boolean }
  | { status: 'out' }
  | { status: 'unknown' };

/**
 * Whether the visitor may use a control that needs `needed`. When the server did not answer, the
 * IDE locks nothing: the request itself reports what is wrong.
 */
export function can(access: Access, needed: Role): boolean {
  if (access.status === 'unknown') return true;
  if (access.status === 'out') return false;
  return roleAtLeast(access.user.role, needed);
}

/** The roles a user with `role` may give a token (never above their own). */
export function rolesUpTo(role: Role): Role[] {
  return ROLES.filter((candidate) => roleAtLeast(role, candidate));
}

/** The user menu and sign-out exist only with sign-in on (AUTH=off acts as one built-in admin). */
export function showsAccountMenu(access: Access): access is Extract<Access, { status: 'in' }> {
  return access.status === 'in' && access.authEnabled;
}

/** A local user signed in through a session may change their password in the IDE (not an SSO user, not a token). */
export function canChangeOwnPassword(access: Access): boolean {
  return showsAccountMenu(access) && access.user.source === 'local' && access.via === 'session';
}

/** The audit actions a role may filter on: below admin, the server answers only for scripts. */
export function auditActionsFor(role: Role): AuditAction[] {
  return roleAtLeast(role, 'admin') ? [...AUDIT_ACTIONS] : AUDIT_ACTIONS.filter((action) => action.startsWith('script.'));
}

/** The target types of audit entries (security.md); below admin only `script`. */
export const AUDIT_TARGET_TYPES = ['script', 'user', 'token', 'values', 'backfill'] as const;
export function auditTargetTypesFor(role: Role): string[] {
  return roleAtLeast(role, 'admin') ? [...AUDIT_TARGET_TYPES] : ['script'];
}

export interface AuditFilters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  /** As a `datetime-local` input gives it (local time, no zone), or empty. */
  from: string;
  to: string;
}

export const NO_AUDIT_FILTERS: AuditFilters = { actor: '', action: '', targetType: '', targetId: '', from: '', to: '' };

/**
 * The query string of `GET /api/audit` for these filters: empty fields left out, local times turned
 * into ISO times with a zone, and below admin always `targetType=script` (anything else is a 403).
 */
export function auditQueryString(filters: AuditFilters, role: Role, page: { cursor?: string | null; limit?: number } = {}): string {
  const query = new URLSearchParams();
  const put = (name: string, value: string) => {
    if (value.trim() !== '') query.set(name, value.trim());
  };
  put('actor', filters.actor);
  put('action', filters.action);
  put('targetType', roleAtLeast(role, 'admin') ? filters.targetType : 'script');
  put('targetId', filters.targetId);
  put('from', localTimeToIso(filters.from));
  put('to', localTimeToIso(filters.to));
  if (page.limit !== undefined) query.set('limit', String(page.limit));
  if (page.cursor) query.set('cursor', page.cursor);
  return query.toString();
}

/** `2030-01-31T08:00` (a datetime-local value, in the browser's zone) → an ISO time with a zone; '' stays ''. */
export function localTimeToIso(value: string): string {
  if (value.trim() === '') return '';
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? value : time.toISOString();
}

/** Where a token stands: revoked, expired (its expiry passed) or active. */
export function tokenState(token: Pick<Token, 'revoked' | 'expiresAt'>, now: number): 'revoked' | 'expired' | 'active' {
  if (token.revoked) return 'revoked';
  if (token.expiresAt !== null && Date.parse(token.expiresAt) <= now) return 'expired';
  return 'active';
}

/**
 * The expiry a token form sends for a date input (`2030-01-31`): the end of that day in the
 * browser's zone, as an ISO time; '' means no expiry.
 */
export function expiryFromDate(date: string): string | undefined {
  if (date.trim() === '') return undefined;
  const end = new Date(`${date}T23:59:59`);
  return Number.isNaN(end.getTime()) ? undefined : end.toISOString();
}

/** Whole minutes to wait after a 429 (at least 1), from the answer's `retryAfterSeconds`. */
export function minutesToWait(retryAfterSeconds: unknown): number | null {
  if (typeof retryAfterSeconds !== 'number' || !Number.isFinite(retryAfterSeconds)) return null;
  return Math.max(1, Math.ceil(retryAfterSeconds / 60));
}
