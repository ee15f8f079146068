import { UserError } from '../model/errors';
import { roleAtLeast } from '../model/role';
import type { CreatedToken, CreateTokenBody } from '../model/token';
import { actorOf, requestFields, toToken, type Identity } from './identity';
import { hashSecret, newApiTokenSecret } from './secrets';
import type { RequestContext, SecurityPorts } from './security-ports';

/**
 * `POST /api/tokens` (editor): a token owned by the caller, with a role no higher than the caller's
 * (their role defaults to it). The secret is in the answer and nowhere else: only its SHA-256 is kept.
 */
export async function createToken(
  ports: Pick<SecurityPorts, 'identities' | 'now' | 'log'>,
  identity: Identity,
  body: CreateTokenBody,
  context: RequestContext,
): Promise<CreatedToken> {
  if (identity.via === 'auth-off') {
    throw new UserError('CONFLICT', 'API tokens need sign-in: with AUTH=off there is no user to own them (set AUTH=on and sign in)');
  }
  const role = body.role ?? identity.role;
  if (!roleAtLeast(identity.role, role)) {
    throw new UserError('FORBIDDEN', `a token cannot have a role above yours: you are ${identity.role}, the token asks for ${role}`, { field: 'role' });
  }
  const now = ports.now();
  const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
  if (expiresAt && expiresAt.getTime() <= now) {
    throw new UserError('VALIDATION_FAILED', `expiresAt ${body.expiresAt} is in the past: give a future time, or leave it out for a token that does not expire`, {
      field: 'expiresAt',
    });
  }
  const secret = newApiTokenSecret();
  const created = await ports.identities.change(async (tx) => {
    const token = await tx.createToken({ name: body.name, role, ownerId: identity.user.id, secretHash: hashSecret(secret), createdAt: new Date(now), expiresAt });
    await tx.audit({
      actor: actorOf(identity),
      action: 'token.create',
      target: { type: 'token', id: token.id, name: token.name },
      details: { role, expiresAt: token.expiresAt?.toISOString() ?? null },
      ...requestFields(context),
    });
    return token;
  });
  ports.log.info({ tokenId: created.id, owner: identity.user.username, role }, 'API token created');
  return { ...toToken(created), token: secret };
}
