import { describe, expect, it } from 'vitest';
import { AuditQuerySchema } from './audit';
import { roleAtLeast, lowerRole, RoleSchema } from './role';
import { CreateTokenBodySchema } from './token';
import { CreateUserBodySchema, LoginBodySchema, passwordProblem, SetupBodySchema, UpdateUserBodySchema, usernameProblem } from './user';

const messages = (result: { success: boolean; error?: { issues: Array<{ message: string }> } }) =>
  result.success ? [] : (result.error?.issues.map((issue) => issue.message) ?? []);

describe('roles', () => {
  it('orders viewer < editor < admin, each including the one before', () => {
    expect(roleAtLeast('admin', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'editor')).toBe(true);
    expect(roleAtLeast('editor', 'admin')).toBe(false);
    expect(roleAtLeast('viewer', 'editor')).toBe(false);
    expect(lowerRole('admin', 'viewer')).toBe('viewer');
    expect(lowerRole('editor', 'admin')).toBe('editor');
    expect(RoleSchema.safeParse('owner').success).toBe(false);
  });
});

describe('usernames and passwords', () => {
  it('accepts 1–64 of letters, digits, . _ - @', () => {
    for (const name of ['a', 'j.kim', 'ops_team-2', 'jane@plant.example', 'x'.repeat(64)]) expect(usernameProblem(name), name).toBeNull();
    expect(usernameProblem('')).toMatch(/empty/);
    expect(usernameProblem('x'.repeat(65))).toMatch(/65 characters; at most 64/);
    expect(usernameProblem('jane kim')).toMatch(/contains ' '/);
    expect(usernameProblem('김철수')).toMatch(/contains '김'/);
  });

  it('needs at least 12 characters in a local password', () => {
    expect(passwordProblem('elevenchars')).toMatch(/11 characters; use at least 12/);
    expect(passwordProblem('twelve chars')).toBeNull();
  });
});

describe('API bodies', () => {
  it('setup and create-user check the username, the password and the role', () => {
    expect(SetupBodySchema.safeParse({ username: 'admin', password: 'a long password' }).success).toBe(true);
    expect(messages(SetupBodySchema.safeParse({ username: 'ad min', password: 'short' }))).toHaveLength(2);
    expect(messages(CreateUserBodySchema.safeParse({ username: 'jane', role: 'owner', password: 'a long password' }))[0]).toMatch(/role must be one of viewer, editor, admin/);
    expect(SetupBodySchema.safeParse({ username: 'admin', password: 'a long password', extra: 1 }).success).toBe(false);
  });

  it('login does not apply the username rule (a malformed name gets the same 401 as an unknown one)', () => {
    expect(LoginBodySchema.safeParse({ username: 'not a valid name', password: 'x' }).success).toBe(true);
    expect(LoginBodySchema.safeParse({ username: 'jane' }).success).toBe(false);
  });

  it('a user update must change something', () => {
    expect(messages(UpdateUserBodySchema.safeParse({ currentPassword: 'x' }))[0]).toMatch(/nothing to change/);
    expect(UpdateUserBodySchema.safeParse({ disabled: true }).success).toBe(true);
  });

  it('a token needs a name; its expiry is an ISO time with a zone', () => {
    expect(CreateTokenBodySchema.safeParse({ name: 'historian', expiresAt: '2031-01-01T00:00:00Z' }).success).toBe(true);
    expect(messages(CreateTokenBodySchema.safeParse({ name: '  ' }))[0]).toMatch(/name is empty/);
    expect(messages(CreateTokenBodySchema.safeParse({ name: 'x', expiresAt: 'tomorrow' }))[0]).toMatch(/expiresAt must be an ISO 8601 time/);
  });

  it('the audit query: limit ≤ 500, 100 by default, a cursor from an earlier answer, from before to', () => {
    expect(AuditQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(AuditQuerySchema.parse({ limit: '500', cursor: '42', action: 'user.*' })).toEqual({ limit: 500, cursor: '42', action: 'user.*' });
    expect(messages(AuditQuerySchema.safeParse({ limit: '501' }))[0]).toMatch(/at most 500/);
    expect(messages(AuditQuerySchema.safeParse({ cursor: 'abc' }))[0]).toMatch(/nextCursor/);
    expect(messages(AuditQuerySchema.safeParse({ from: '2030-01-02T00:00:00Z', to: '2030-01-01T00:00:00Z' }))[0]).toMatch(/from must be before to/);
  });

  it('the audit query refuses what the database cannot compare (found by the OpenAPI fuzzer: each was a 500)', () => {
    expect(AuditQuerySchema.parse({ cursor: '9223372036854775807' }).cursor).toBe('9223372036854775807');
    expect(messages(AuditQuerySchema.safeParse({ cursor: '9223372036854775808' }))[0]).toMatch(/nextCursor/);
    expect(messages(AuditQuerySchema.safeParse({ actor: 'a\u0000b' }))[0]).toMatch(/actor must not contain a NUL/);
    expect(messages(AuditQuerySchema.safeParse({ targetId: '\u0000' }))[0]).toMatch(/targetId must not contain a NUL/);
    expect(messages(AuditQuerySchema.safeParse({ from: '+275760-09-13T00:00:00.000Z' }))[0]).toMatch(/from must be (an ISO|a time in the years)/);
    expect(AuditQuerySchema.parse({ from: '0001-01-01T00:00:00Z' }).from).toBe('0001-01-01T00:00:00Z');
  });
});
