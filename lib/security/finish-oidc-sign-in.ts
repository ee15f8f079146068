import type { AuditActor } from '../model/audit';
import { isAppError, UserError } from '../model/errors';
import type { User } from '../model/user';
import type { IdentityTransaction, StoredUser, UserChanges } from '../ports/identity-store';
import { requestFields, toUser } from './identity';
import { externalIdOf, freeUsername, oidcDisplayNameOf, oidcUsernameOf } from './oidc-identity';
import { claimValues, oidcRoleOf } from './oidc-roles';
import { hashSecret, newSessionId } from './secrets';
import type { OidcPorts, RequestContext, SecurityPorts } from './security-ports';
import { oidcOf } from './start-oidc-sign-in';

/**
 * `GET /api/auth/oidc/callback`: checks the provider's answer against the browser's `ss_oidc`
 * cookie, exchanges the code (PKCE) and validates the ID token (openid-client), reads the role
 * claim (from userinfo when the ID token does not carry it), then in one transaction creates the
 * user on the first sign-in or updates their role and display name, creates the session and audits
 * `user.create` / `user.update` and `auth.login`. A disabled user is refused. Every refusal is
 * audited as `auth.login_failed` and thrown with a message the sign-in page shows.
 */
export async function finishOidcSignIn(
  ports: OidcPorts & Pick<SecurityPorts, 'identities' | 'now' | 'log'>,
  callback: { url: URL; stateCookie: string | null },
  context: RequestContext,
): Promise<{ user: User; sessionId: string }> {
  const oidc = oidcOf(ports);
  const { identities } = ports;
  const failed = async (reason: string, who: { id: string | null; name: string }, error: Error): Promise<never> => {
    await identities.change((tx) =>
      tx.audit({
        actor: { type: 'user', id: who.id, name: who.name },
        action: 'auth.login_failed',
        target: { type: 'user', id: who.id, name: who.name },
        details: { method: 'oidc', reason, message: error.message.slice(0, 500) },
        ...requestFields(context),
      }),
    );
    ports.log.info({ reason, username: who.name, err: error.message }, 'single sign-on refused');
    throw error;
  };
  const unknown = { id: null, name: '(single sign-on)' };

  const opened = oidc.stateCookie.open(callback.stateCookie, ports.now());
  if ('problem' in opened) return failed('no-sign-in-under-way', unknown, new UserError('UNAUTHORIZED', opened.problem));
  const { pending } = opened;
  const answer = callback.url.searchParams;
  if (answer.get('state') !== pending.state) {
    return failed(
      'state-mismatch',
      unknown,
      new UserError('UNAUTHORIZED', 'the answer from the sign-in provider does not belong to the sign-in this browser started (its state differs): start the sign-in again'),
    );
  }
  // The callback as the provider addressed it: the redirect URI of the request, with its answer.
  const callbackUrl = new URL(pending.redirectUri);
  callbackUrl.search = callback.url.search;

  let result;
  let claims: Record<string, unknown>;
  try {
    result = await oidc.provider.finish(callbackUrl, pending);
    claims = result.claims;
    if (!(oidc.roles.claim.split('.')[0] in claims)) claims = { ...(await result.userinfo()), ...claims };
  } catch (error) {
    if (isAppError(error) && error.kind === 'user') return failed('provider-refused', unknown, error);
    throw error;
  }

  const externalId = externalIdOf(result.issuer, result.subject);
  const role = oidcRoleOf(claims, oidc.roles);
  const at = new Date(ports.now());
  const sessionId = newSessionId();
  const outcome = await identities.change(async (tx): Promise<{ user: StoredUser; disabled: boolean }> => {
    const existing = await tx.findUserByExternalId(externalId);
    if (existing?.disabled) return { user: existing, disabled: true };
    const user = existing ? await updateOnSignIn(tx, existing, claims, role, at, context) : await createOnSignIn(tx, claims, role, externalId, at, context);
    await tx.createSession(hashSecret(sessionId), user.id, at);
    await tx.audit({
      actor: actorFor(user),
      action: 'auth.login',
      target: { type: 'user', id: user.id, name: user.username },
      details: { method: 'oidc', issuer: result.issuer, role: user.role, roleClaim: { [oidc.roles.claim]: claimValues(claims, oidc.roles.claim).slice(0, 50) } },
      ...requestFields(context),
    });
    return { user, disabled: false };
  });
  if (outcome.disabled) {
    const { user } = outcome;
    return failed('disabled', { id: user.id, name: user.username }, new UserError('UNAUTHORIZED', `the account '${user.username}' is disabled: ask an administrator to enable it`));
  }
  ports.log.info({ userId: outcome.user.id, username: outcome.user.username, role: outcome.user.role }, 'signed in through single sign-on');
  return { user: toUser(outcome.user), sessionId };
}

const actorFor = (user: StoredUser): AuditActor => ({ type: 'user', id: user.id, name: user.username });

async function createOnSignIn(
  tx: IdentityTransaction,
  claims: Record<string, unknown>,
  role: StoredUser['role'],
  externalId: string,
  at: Date,
  context: RequestContext,
): Promise<StoredUser> {
  // A name already taken (a local account too) gets a suffix: signing in elsewhere never takes over an account here.
  const username = await freeUsername(oidcUsernameOf(claims), async (candidate) => (await tx.findUserByUsername(candidate)) !== null);
  const created = await tx.createUser({
    username,
    displayName: oidcDisplayNameOf(claims, username),
    role,
    source: 'oidc',
    passwordHash: null,
    externalId,
    createdAt: at,
  });
  const user = (await tx.updateUser(created.id, { lastLoginAt: at })) ?? created;
  await tx.audit({
    actor: actorFor(user),
    action: 'user.create',
    target: { type: 'user', id: user.id, name: user.username },
    details: { source: 'oidc', externalId, role: user.role, displayName: user.displayName },
    ...requestFields(context),
  });
  return user;
}

/** The role and display name follow the provider at each sign-in; a change is audited as `user.update`. */
async function updateOnSignIn(
  tx: IdentityTransaction,
  existing: StoredUser,
  claims: Record<string, unknown>,
  role: StoredUser['role'],
  at: Date,
  context: RequestContext,
): Promise<StoredUser> {
  const wanted = { role, displayName: oidcDisplayNameOf(claims, existing.username) };
  const changes: UserChanges = { lastLoginAt: at };
  const changed: Record<string, unknown> = {};
  for (const field of ['role', 'displayName'] as const) {
    if (wanted[field] === existing[field]) continue;
    Object.assign(changes, { [field]: wanted[field] });
    changed[field] = { from: existing[field], to: wanted[field] };
  }
  const user = (await tx.updateUser(existing.id, changes)) ?? existing;
  if (Object.keys(changed).length > 0) {
    await tx.audit({
      actor: actorFor(user),
      action: 'user.update',
      target: { type: 'user', id: user.id, name: user.username },
      details: { changes: changed, via: 'oidc sign-in' },
      ...requestFields(context),
    });
  }
  return user;
}
