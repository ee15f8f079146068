import type { IdentityStore } from '../ports/identity-store';
import type { OidcProvider } from '../ports/oidc-provider';
import type { Logger } from '../support/logger';
import type { LoginThrottle } from './login-throttle';
import type { OidcRoleSettings } from './oidc-roles';
import type { OidcStateSealer } from './oidc-state-cookie';
import type { PasswordHasher } from './password-hash';
import type { SetupCodeFile } from './setup-code';

/** What the sign-in, user, token and audit use cases need; the composition root provides it. */
export interface SecurityPorts {
  identities: IdentityStore;
  passwords: PasswordHasher;
  throttle: LoginThrottle;
  /** The clock (epoch ms): sessions' idle expiry, token expiry, audit times. */
  now: () => number;
  log: Logger;
  /** SESSION_IDLE_MINUTES in milliseconds. */
  sessionIdleMs: number;
  /** AUTH: false means every request is the built-in admin (loopback only, see auth-mode.ts). */
  authEnabled: boolean;
}

/** The first start: where the one-time setup code is, and whether it is asked for (HOST not loopback). */
export interface SetupPorts {
  setupCode: { required: boolean; file: SetupCodeFile };
}

/** Single sign-on (security.md): set when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are, else null. */
export interface OidcPorts {
  oidc: {
    /** OIDC_NAME: the button says "Sign in with <name>". */
    name: string;
    provider: OidcProvider;
    roles: OidcRoleSettings;
    stateCookie: OidcStateSealer;
  } | null;
}

/** What a request tells the use cases about itself, for the audit trail. */
export interface RequestContext {
  requestId: string;
  ip?: string;
}
