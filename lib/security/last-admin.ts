import { UserError } from '../model/errors';
import type { IdentityReader, StoredUser } from '../ports/identity-store';

/**
 * The last enabled administrator cannot be demoted, disabled or deleted: nobody could manage users
 * afterwards. Checked inside the change's transaction (identity changes are serialised).
 */
export async function assertNotLastAdmin(tx: IdentityReader, target: StoredUser, what: 'demoted' | 'disabled' | 'deleted'): Promise<void> {
  if (target.role !== 'admin' || target.disabled) return;
  if ((await tx.countEnabledAdmins()) > 1) return;
  throw new UserError(
    'CONFLICT',
    `'${target.username}' is the last enabled administrator and cannot be ${what}: make another user an administrator first`,
    { id: target.id },
  );
}
