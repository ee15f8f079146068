import { describe, expect, it } from 'vitest';
import type { User } from '../model/user';
import {
  auditActionsFor,
  auditQueryString,
  auditTargetTypesFor,
  can,
  canChangeOwnPassword,
  expiryFromDate,
  minutesToWait,
  NO_AUDIT_FILTERS,
  rolesUpTo,
  showsAccountMenu,
  tokenState,
  type Access,
} from './access';

const user = (role: User['role'], extra: Partial<User> = {}): User => ({
  id: `u-${role}`,
  username: role,
  displayName: role,
  role,
  source: 'local',
  disabled: false,
  createdAt: '2030-01-01T00:00:00.000Z',
  lastLoginAt: null,
  ...extra,
});
const signedIn = (role: User['role'], extra: Partial<Extract<Access, { status: 'in' }>> = {}): Access => ({
  status: 'in',
  user: user(role),
  via: 'session',
  authEnabled: true,
  ...extra,
});

describe('can', () => {
  it('allows a role and every role below it, never one above', () => {
    expect(can(signedIn('viewer'), 'viewer')).toBe(true);
    expect(can(signedIn('viewer'), 'editor')).toBe(false);
    expect(can(signedIn('editor'), 'editor')).toBe(true);
    expect(can(signedIn('editor'), 'admin')).toBe(false);
    expect(can(signedIn('admin'), 'editor')).toBe(true);
  });
  it('allows nothing signed out, and locks nothing when the server did not say who this is', () => {
    expect(can({ status: 'out' }, 'viewer')).toBe(false);
    expect(can({ status: 'unknown' }, 'admin')).toBe(true);
  });
});

describe('the account menu', () => {
  it('is shown with sign-in on, not with AUTH=off (the built-in admin)', () => {
    expect(showsAccountMenu(signedIn('viewer'))).toBe(true);
    expect(showsAccountMenu(signedIn('admin', { authEnabled: false }))).toBe(false);
    expect(showsAccountMenu({ status: 'out' })).toBe(false);
  });
  it('offers a password change only to a local user signed in with a session', () => {
    expect(canChangeOwnPassword(signedIn('viewer'))).toBe(true);
    expect(canChangeOwnPassword(signedIn('viewer', { user: user('viewer', { source: 'oidc' }) }))).toBe(false);
    expect(canChangeOwnPassword(signedIn('editor', { via: 'token' }))).toBe(false);
    expect(canChangeOwnPassword(signedIn('admin', { authEnabled: false }))).toBe(false);
  });
});

describe('tokens', () => {
  it('offer roles up to the creator’s own', () => {
    expect(rolesUpTo('viewer')).toEqual(['viewer']);
    expect(rolesUpTo('editor')).toEqual(['viewer', 'editor']);
    expect(rolesUpTo('admin')).toEqual(['viewer', 'editor', 'admin']);
  });
  it('are revoked, expired or active', () => {
    const now = Date.parse('2030-06-01T00:00:00Z');
    expect(tokenState({ revoked: true, expiresAt: null }, now)).toBe('revoked');
    expect(tokenState({ revoked: true, expiresAt: '2030-01-01T00:00:00Z' }, now)).toBe('revoked');
    expect(tokenState({ revoked: false, expiresAt: '2030-05-31T23:59:59Z' }, now)).toBe('expired');
    expect(tokenState({ revoked: false, expiresAt: '2030-06-02T00:00:00Z' }, now)).toBe('active');
    expect(tokenState({ revoked: false, expiresAt: null }, now)).toBe('active');
  });
  it('expire at the end of the chosen day, in the browser’s zone', () => {
    expect(expiryFromDate('')).toBeUndefined();
    expect(expiryFromDate('not a date')).toBeUndefined();
    const end = new Date(expiryFromDate('2030-01-31')!);
    expect([end.getFullYear(), end.getMonth(), end.getDate(), end.getHours(), end.getMinutes()]).toEqual([2030, 0, 31, 23, 59]);
  });
});

describe('the audit filters', () => {
  it('offer a viewer only what the server answers: script entries', () => {
    expect(auditActionsFor('viewer').every((action) => action.startsWith('script.'))).toBe(true);
    expect(auditActionsFor('viewer')).toContain('script.update');
    expect(auditActionsFor('admin')).toContain('auth.login_failed');
    expect(auditTargetTypesFor('editor')).toEqual(['script']);
    expect(auditTargetTypesFor('admin')).toContain('user');
  });
  it('leave empty fields out, force targetType=script below admin, and pass the cursor', () => {
    expect(auditQueryString(NO_AUDIT_FILTERS, 'admin')).toBe('');
    expect(auditQueryString({ ...NO_AUDIT_FILTERS, targetType: 'user', actor: ' kim ' }, 'viewer')).toBe('actor=kim&targetType=script');
    expect(auditQueryString({ ...NO_AUDIT_FILTERS, targetType: 'user', action: 'user.*' }, 'admin', { cursor: '42', limit: 50 })).toBe(
      'action=user.*&targetType=user&limit=50&cursor=42',
    );
  });
  it('send local times as ISO times with a zone', () => {
    const query = new URLSearchParams(auditQueryString({ ...NO_AUDIT_FILTERS, from: '2030-01-31T08:00' }, 'admin'));
    expect(query.get('from')).toBe(new Date(2030, 0, 31, 8, 0).toISOString());
  });
});

describe('minutesToWait', () => {
  it('rounds the seconds of a 429 up to whole minutes, at least one', () => {
    expect(minutesToWait(1)).toBe(1);
    expect(minutesToWait(60)).toBe(1);
    expect(minutesToWait(61)).toBe(2);
    expect(minutesToWait(900)).toBe(15);
    expect(minutesToWait(undefined)).toBeNull();
    expect(minutesToWait('30')).toBeNull();
  });
});
