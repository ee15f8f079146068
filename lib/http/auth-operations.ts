import { AuditQuerySchema } from '../model/audit';
import { UserError } from '../model/errors';
import { CreateTokenBodySchema } from '../model/token';
import { CreateUserBodySchema, LoginBodySchema, SetupBodySchema, UpdateUserBodySchema } from '../model/user';
import { createToken } from '../security/create-token';
import { createUser } from '../security/create-user';
import { deleteUser } from '../security/delete-user';
import { getMe } from '../security/get-me';
import type { Identity } from '../security/identity';
import { listAudit } from '../security/list-audit';
import { listTokens } from '../security/list-tokens';
import { listUsers } from '../security/list-users';
import { login } from '../security/login';
import { logout } from '../security/logout';
import { NOT_SIGNED_IN } from '../security/resolve-identity';
import { revokeToken } from '../security/revoke-token';
import { setupAdministrator } from '../security/setup-administrator';
import { updateUser } from '../security/update-user';
import { OIDC_OPERATIONS } from './oidc-operations';
import { ok, operation, type Operation } from './operation';
import {
  AuditPageSchema,
  CreatedTokenSchema,
  IdParams,
  LoginAnswerSchema,
  MeSchema,
  SetupStatusSchema,
  TokenListSchema,
  UserListSchema,
  UserSchema,
} from './security-schemas';

/**
 * Sign-in, users, tokens and the audit trail (security.md); part of OPERATIONS in api-operations.ts.
 * Each declares its role: the request handler has already refused a caller below it, so `identity`
 * is set for every operation that is not public.
 */

const signedIn = (identity: Identity | null): Identity => {
  if (!identity) throw new UserError('UNAUTHORIZED', NOT_SIGNED_IN);
  return identity;
};

export const AUTH_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'setupStatus',
    method: 'GET',
    path: '/api/auth/setup',
    role: 'public',
    summary: 'Whether the first administrator is still to be created, and whether a setup code is asked for',
    tag: 'auth',
    responses: { 200: { description: 'What the sign-in page shows', schema: SetupStatusSchema } },
    errors: [503],
    run: async ({ services, identity }) =>
      ok({
        needed: (await services.identities.countUsers()) === 0,
        setupCodeRequired: services.setupCode.required,
        authEnabled: services.authEnabled,
        signedIn: identity !== null,
        oidc: services.oidc ? { name: services.oidc.name } : null,
      }),
  }),
  operation({
    id: 'setup',
    method: 'POST',
    path: '/api/auth/setup',
    role: 'public',
    summary: 'Create the first administrator (only while no user exists; setupCode when HOST is not loopback)',
    tag: 'auth',
    body: SetupBodySchema,
    responses: { 201: { description: 'The administrator', schema: UserSchema } },
    errors: [400, 403, 409, 413, 503],
    run: async ({ services, body, requestId, ip }) => ok(await setupAdministrator(services, body, { requestId, ip }), 201),
  }),
  operation({
    id: 'login',
    method: 'POST',
    path: '/api/auth/login',
    role: 'public',
    summary: 'Sign in with a username and password; sets the session cookie',
    tag: 'auth',
    body: LoginBodySchema,
    responses: { 200: { description: 'Signed in (the session cookie is set)', schema: LoginAnswerSchema } },
    errors: [400, 401, 413, 429, 503],
    async run({ services, body, requestId, ip }) {
      const { user, sessionId } = await login(services, body, { requestId, ip });
      return { status: 200, json: { user }, session: { id: sessionId } };
    },
  }),
  operation({
    id: 'logout',
    method: 'POST',
    path: '/api/auth/logout',
    role: 'public',
    summary: 'End the session of this cookie (harmless without one)',
    tag: 'auth',
    responses: { 204: { description: 'Signed out (the cookie is cleared)' } },
    errors: [503],
    async run({ services, identity, requestId, ip }) {
      if (identity) await logout(services, identity, { requestId, ip });
      return { status: 204, session: null };
    },
  }),
  operation({
    id: 'me',
    method: 'GET',
    path: '/api/auth/me',
    role: 'viewer',
    summary: 'The signed-in user and how the request was authenticated',
    tag: 'auth',
    responses: { 200: { description: 'Who you are', schema: MeSchema } },
    errors: [503],
    run: async ({ identity }) => ok(getMe(signedIn(identity))),
  }),
  operation({
    id: 'listUsers',
    method: 'GET',
    path: '/api/users',
    role: 'admin',
    summary: 'Every user',
    tag: 'users',
    responses: { 200: { description: 'The users', schema: UserListSchema } },
    errors: [503],
    run: async ({ services }) => ok(await listUsers(services)),
  }),
  operation({
    id: 'createUser',
    method: 'POST',
    path: '/api/users',
    role: 'admin',
    summary: 'Create a local user',
    tag: 'users',
    body: CreateUserBodySchema,
    responses: { 201: { description: 'Created', schema: UserSchema } },
    errors: [400, 409, 413, 503],
    run: async ({ services, identity, body, requestId, ip }) => ok(await createUser(services, signedIn(identity), body, { requestId, ip }), 201),
  }),
  operation({
    id: 'updateUser',
    method: 'PATCH',
    path: '/api/users/{id}',
    role: 'viewer',
    summary: 'Change a user (admin), or your own display name and password (with currentPassword)',
    tag: 'users',
    params: IdParams,
    body: UpdateUserBodySchema,
    responses: { 200: { description: 'Changed', schema: UserSchema } },
    errors: [400, 403, 404, 409, 413, 503],
    run: async ({ services, identity, params, body, requestId, ip }) => ok(await updateUser(services, signedIn(identity), params.id, body, { requestId, ip })),
  }),
  operation({
    id: 'deleteUser',
    method: 'DELETE',
    path: '/api/users/{id}',
    role: 'admin',
    summary: 'Delete a user with their sessions and tokens',
    tag: 'users',
    params: IdParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [400, 404, 409, 503],
    async run({ services, identity, params, requestId, ip }) {
      await deleteUser(services, signedIn(identity), params.id, { requestId, ip });
      return { status: 204 };
    },
  }),
  operation({
    id: 'listTokens',
    method: 'GET',
    path: '/api/tokens',
    role: 'editor',
    summary: 'Your API tokens (an admin: every token); never the secret',
    tag: 'users',
    responses: { 200: { description: 'The tokens', schema: TokenListSchema } },
    errors: [503],
    run: async ({ services, identity }) => ok(await listTokens(services, signedIn(identity))),
  }),
  operation({
    id: 'createToken',
    method: 'POST',
    path: '/api/tokens',
    role: 'editor',
    summary: 'Create an API token (its secret is shown this once)',
    tag: 'users',
    body: CreateTokenBodySchema,
    responses: { 201: { description: 'Created, with the secret', schema: CreatedTokenSchema } },
    errors: [400, 403, 409, 413, 503],
    run: async ({ services, identity, body, requestId, ip }) => ok(await createToken(services, signedIn(identity), body, { requestId, ip }), 201),
  }),
  operation({
    id: 'revokeToken',
    method: 'DELETE',
    path: '/api/tokens/{id}',
    role: 'editor',
    summary: 'Revoke a token (its owner or an admin)',
    tag: 'users',
    params: IdParams,
    responses: { 204: { description: 'Revoked' } },
    errors: [400, 403, 404, 503],
    async run({ services, identity, params, requestId, ip }) {
      await revokeToken(services, signedIn(identity), params.id, { requestId, ip });
      return { status: 204 };
    },
  }),
  operation({
    id: 'listAudit',
    method: 'GET',
    path: '/api/audit',
    role: 'viewer',
    summary: 'The audit trail, newest first (below admin: only targetType=script)',
    tag: 'audit',
    query: AuditQuerySchema,
    responses: { 200: { description: 'A page of entries', schema: AuditPageSchema } },
    errors: [400, 403, 503],
    run: async ({ services, identity, query }) => ok(await listAudit(services, signedIn(identity), query)),
  }),
  ...OIDC_OPERATIONS,
];
