import { z } from 'zod';
import { AUDIT_ACTIONS } from '../model/audit';
import { RoleSchema } from '../model/role';
import { lookupKey } from './api-schemas';

/** The answers of the sign-in, users, tokens and audit operations (security.md), for the OpenAPI document. */

const IsoTime = z.string().meta({ format: 'date-time', example: '2026-11-27T10:00:00.000Z' });

export const UserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    displayName: z.string(),
    role: RoleSchema,
    source: z.enum(['local', 'oidc']),
    disabled: z.boolean(),
    createdAt: IsoTime,
    lastLoginAt: IsoTime.nullable(),
  })
  .meta({ id: 'User' });

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: RoleSchema,
    owner: z.object({ id: z.string(), username: z.string() }),
    createdAt: IsoTime,
    expiresAt: IsoTime.nullable(),
    lastUsedAt: IsoTime.nullable(),
    revoked: z.boolean(),
  })
  .meta({ id: 'Token' });

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().meta({ description: 'The secret (ss_…): shown this once, never again', example: 'ss_3q2-…' }),
}).meta({ id: 'CreatedToken' });

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: IsoTime,
    actor: z.object({
      type: z.enum(['user', 'token', 'system']),
      id: z.string().nullable(),
      name: z.string(),
      token: z.object({ id: z.string(), name: z.string() }).optional(),
    }),
    action: z.enum(AUDIT_ACTIONS),
    target: z.object({ type: z.string(), id: z.string().nullable(), name: z.string().nullable() }),
    version: z.number().int().optional(),
    details: z.record(z.string(), z.unknown()),
    ip: z.string().optional(),
    requestId: z.string(),
  })
  .meta({ id: 'AuditEntry' });

export const MeSchema = z.object({ user: UserSchema, via: z.enum(['session', 'token']) });
export const LoginAnswerSchema = z.object({ user: UserSchema });
export const UserListSchema = z.object({ users: z.array(UserSchema) });
export const TokenListSchema = z.object({ tokens: z.array(TokenSchema) });
export const AuditPageSchema = z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() });
export const IdParams = z.object({ id: lookupKey('id', 200) });
export const SetupStatusSchema = z.object({
  needed: z.boolean().meta({ description: 'No user exists yet: the IDE offers "create the administrator"' }),
  setupCodeRequired: z.boolean().meta({ description: 'The setup page asks for the one-time code (HOST is not loopback)' }),
  authEnabled: z.boolean(),
  signedIn: z.boolean().meta({
    description: 'The request carries a valid session or token (or AUTH=off): the IDE opens without a refused /api/auth/me in the audit trail',
  }),
  oidc: z
    .object({ name: z.string().meta({ description: 'OIDC_NAME: the button says "Sign in with <name>" and links to GET /api/auth/oidc/start' }) })
    .nullable()
    .meta({ description: 'Single sign-on, when configured (OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET); null otherwise' }),
});
