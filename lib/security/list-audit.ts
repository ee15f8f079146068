import type { AuditPage, AuditQuery } from '../model/audit';
import { UserError } from '../model/errors';
import { roleAtLeast } from '../model/role';
import type { Identity } from './identity';
import type { SecurityPorts } from './security-ports';

/** `GET /api/audit`: newest first, filtered, by pages. Below admin only the scripts' history (`targetType=script`). */
export async function listAudit(ports: Pick<SecurityPorts, 'identities'>, identity: Identity, query: AuditQuery): Promise<AuditPage> {
  if (!roleAtLeast(identity.role, 'admin') && query.targetType !== 'script') {
    throw new UserError('FORBIDDEN', 'the whole audit trail needs the admin role; add targetType=script to read the history of scripts');
  }
  return ports.identities.listAudit(query);
}
