import { SYSTEM_ACTOR } from '../model/audit';
import { passwordProblem, usernameProblem } from '../model/user';
import { isLoopbackHost } from './auth-mode';
import type { SecurityPorts } from './security-ports';
import { newSetupCode, type SetupCodeFile } from './setup-code';

export interface BootstrapSettings {
  /** ADMIN_USERNAME [admin] */
  adminUsername: string;
  /** ADMIN_PASSWORD: when set and no user exists, the admin is created with it. */
  adminPassword: string | undefined;
  HOST: string;
  setupCodeFile: SetupCodeFile;
}

export type BootstrapOutcome =
  | { kind: 'users-exist' }
  | { kind: 'admin-created'; username: string }
  /** The IDE shows "create the administrator"; `setupCodeRequired` when the page must ask for the code. */
  | { kind: 'awaiting-setup'; setupCodeRequired: boolean };

/**
 * The first start (security.md): with no user in the database, `ADMIN_PASSWORD` creates the admin
 * `ADMIN_USERNAME`; otherwise the IDE offers "create the administrator", and when HOST is not a
 * loopback address a one-time setup code is written to DATA_DIR/setup-code and printed in the log.
 * Run by the web process at start, before it serves requests.
 */
export async function bootstrapIdentities(
  ports: Pick<SecurityPorts, 'identities' | 'passwords' | 'now' | 'log'>,
  settings: BootstrapSettings,
): Promise<BootstrapOutcome> {
  if ((await ports.identities.countUsers()) > 0) {
    // A code left behind (the admin was created by ADMIN_PASSWORD on another process) is useless.
    await settings.setupCodeFile.remove();
    return { kind: 'users-exist' };
  }
  if (settings.adminPassword !== undefined) {
    const problem = usernameProblem(settings.adminUsername) ?? passwordProblem(settings.adminPassword);
    if (problem) throw new RangeError(`ADMIN_USERNAME/ADMIN_PASSWORD: ${problem}`);
    const passwordHash = await ports.passwords.hash(settings.adminPassword);
    const created = await ports.identities.change(async (tx) => {
      // Another process may have created it meanwhile.
      if ((await tx.countUsers()) > 0) return false;
      const user = await tx.createUser({
        username: settings.adminUsername,
        displayName: settings.adminUsername,
        role: 'admin',
        source: 'local',
        passwordHash,
        externalId: null,
        createdAt: new Date(ports.now()),
      });
      await tx.audit({
        actor: SYSTEM_ACTOR,
        action: 'user.create',
        target: { type: 'user', id: user.id, name: user.username },
        details: { via: 'ADMIN_PASSWORD', role: 'admin' },
        requestId: 'startup',
      });
      return true;
    });
    if (!created) return { kind: 'users-exist' };
    ports.log.info({ username: settings.adminUsername }, 'administrator created from ADMIN_PASSWORD');
    return { kind: 'admin-created', username: settings.adminUsername };
  }
  if (isLoopbackHost(settings.HOST)) {
    ports.log.info('no user yet: open the IDE to create the administrator');
    return { kind: 'awaiting-setup', setupCodeRequired: false };
  }
  const code = (await settings.setupCodeFile.read()) ?? newSetupCode();
  await settings.setupCodeFile.write(code);
  ports.log.warn(
    { setupCodeFile: settings.setupCodeFile.location },
    `no user yet: open the IDE and create the administrator with the one-time setup code ${code} (also in ${settings.setupCodeFile.location})`,
  );
  return { kind: 'awaiting-setup', setupCodeRequired: true };
}
