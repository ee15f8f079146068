import { SYSTEM_ACTOR } from '../model/audit';
import { actorOf, requestFields, type Identity } from './identity';
import type { RequestContext, SecurityPorts } from './security-ports';

/**
 * The audit entry of `POST /api/values` (security.md: the count only, never the values). The values
 * go to the bus, which has no transaction to share: the entry is written once the bus has accepted them.
 */
export async function recordValuesPosted(
  ports: Pick<SecurityPorts, 'identities'>,
  identity: Identity | null,
  count: number,
  context: RequestContext,
): Promise<void> {
  await ports.identities.change((tx) =>
    tx.audit({
      actor: identity ? actorOf(identity) : SYSTEM_ACTOR,
      action: 'values.post',
      target: { type: 'values', id: null, name: null },
      details: { count },
      ...requestFields(context),
    }),
  );
}
