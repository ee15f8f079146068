import { createOpenIdClientProvider } from '../adapters/oidc/openid-client-provider';
import type { Config } from '../config/config';
import { parseOidcRoleMap } from '../security/oidc-roles';
import { createOidcStateSealer } from '../security/oidc-state-cookie';
import type { OidcPorts } from '../security/security-ports';
import type { Logger } from '../support/logger';

/**
 * Single sign-on for the web process, when OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are
 * set (config.ts has checked they come together): the provider through openid-client (discovered
 * on the first sign-in, not here, so the app starts while the provider is down), the role mapping
 * (a bad OIDC_ROLE_MAP refuses the start, naming it) and the sealer of the `ss_oidc` cookie.
 */
export function openOidc(config: Config, log: Logger): OidcPorts['oidc'] {
  const { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: clientId, OIDC_CLIENT_SECRET: clientSecret } = config;
  if (!issuer || !clientId || !clientSecret) return null;
  const roles = { claim: config.OIDC_ROLE_CLAIM, map: parseOidcRoleMap(config.OIDC_ROLE_MAP), defaultRole: config.OIDC_DEFAULT_ROLE };
  log.info({ issuer, name: config.OIDC_NAME, roleClaim: roles.claim, roleMap: Object.fromEntries(roles.map), defaultRole: roles.defaultRole }, 'single sign-on (OIDC) is on');
  return {
    name: config.OIDC_NAME,
    provider: createOpenIdClientProvider({ issuer, clientId, clientSecret, log }),
    roles,
    stateCookie: createOidcStateSealer(clientSecret),
  };
}
