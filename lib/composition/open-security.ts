import path from 'node:path';
import type { Config } from '../config/config';
import { messageOf } from '../model/errors';
import type { IdentityStore } from '../ports/identity-store';
import { AUTH_OFF_WARNING, authModeProblem, isLoopbackHost } from '../security/auth-mode';
import { bootstrapIdentities, type BootstrapOutcome } from '../security/bootstrap-identities';
import { LoginThrottle } from '../security/login-throttle';
import { createPasswordHasher } from '../security/password-hash';
import type { OidcPorts, SecurityPorts, SetupPorts } from '../security/security-ports';
import { setupCodeFileIn } from '../security/setup-code';
import type { Logger } from '../support/logger';
import { openOidc } from './open-oidc';

/** How often sessions idle past SESSION_IDLE_MINUTES are removed from the database. */
const SESSION_SWEEP_MS = 15 * 60_000;

export interface OpenedSecurity {
  ports: SecurityPorts & SetupPorts & OidcPorts;
  /** What the first start did (null in a worker, which does not bootstrap). */
  bootstrap: BootstrapOutcome | null;
  stop(): void;
}

/**
 * Sign-in for one process (security.md): refuses AUTH=off off loopback (naming both variables),
 * warns when it is off, creates the first administrator from ADMIN_PASSWORD or prepares the
 * "create the administrator" page (with a setup code when HOST is not loopback), and sweeps idle
 * sessions. The identities live in the same database as the scripts.
 */
export async function openSecurity(config: Config, identities: IdentityStore, log: Logger, options: { bootstrap: boolean }): Promise<OpenedSecurity> {
  const sessionIdleMs = config.SESSION_IDLE_MINUTES * 60_000;
  const setupCodeFile = setupCodeFileIn(path.resolve(config.DATA_DIR));
  const ports: SecurityPorts & SetupPorts & OidcPorts = {
    identities,
    passwords: createPasswordHasher(),
    throttle: new LoginThrottle(),
    now: Date.now,
    log: log.child({ part: 'security' }),
    sessionIdleMs,
    authEnabled: config.AUTH,
    setupCode: { required: !isLoopbackHost(config.HOST), file: setupCodeFile },
    // Single sign-on is a web page's business: a worker serves no sign-in.
    oidc: options.bootstrap ? openOidc(config, log.child({ part: 'oidc' })) : null,
  };
  if (!options.bootstrap) return { ports, bootstrap: null, stop: () => undefined };
  // Only a process that serves HTTP listens on HOST: a worker has nothing to protect.
  const problem = authModeProblem({ AUTH: config.AUTH, HOST: config.HOST });
  if (problem) throw new Error(problem);
  if (!config.AUTH) log.warn(AUTH_OFF_WARNING);
  const bootstrap = await bootstrapIdentities(ports, {
    adminUsername: config.ADMIN_USERNAME,
    adminPassword: config.ADMIN_PASSWORD,
    HOST: config.HOST,
    setupCodeFile,
  });
  const sweep = () =>
    identities
      .deleteIdleSessions(new Date(Date.now() - sessionIdleMs))
      .catch((error: unknown) => log.debug(`idle sessions not swept: ${messageOf(error)}`));
  const timer = setInterval(sweep, SESSION_SWEEP_MS);
  timer.unref();
  return { ports, bootstrap, stop: () => clearInterval(timer) };
}
