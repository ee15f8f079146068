import type { Identity } from './identity';
import { actorOf, requestFields } from './identity';
import type { RequestContext, SecurityPorts } from './security-ports';

/** `POST /api/auth/logout`: ends the request's session (a token or AUTH=off has none to end). */
export async function logout(ports: Pick<SecurityPorts, 'identities'>, identity: Identity, context: RequestContext): Promise<void> {
  const idHash = identity.sessionIdHash;
  if (identity.via !== 'session' || idHash === undefined) return;
  await ports.identities.change(async (tx) => {
    if (!(await tx.deleteSession(idHash))) return;
    await tx.audit({
      actor: actorOf(identity),
      action: 'auth.logout',
      target: { type: 'user', id: identity.user.id, name: identity.user.username },
      details: {},
      ...requestFields(context),
    });
  });
}
