import { UserError } from '../model/errors';
import type { OidcPorts, SecurityPorts } from './security-ports';

export const OIDC_NOT_CONFIGURED =
  'single sign-on is not configured on this server: an administrator sets OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET (README, "Single sign-on")';

/** The configured single sign-on, or a 404 that says how to configure it. */
export function oidcOf(ports: OidcPorts): NonNullable<OidcPorts['oidc']> {
  if (!ports.oidc) throw new UserError('NOT_FOUND', OIDC_NOT_CONFIGURED);
  return ports.oidc;
}

/**
 * `GET /api/auth/oidc/start`: where to send the browser (the provider's authorization URL, with a
 * PKCE challenge, state and nonce) and the sealed value of the `ss_oidc` cookie that lets the
 * callback check the answer. `redirectUri` is this server's `/api/auth/oidc/callback`.
 */
export async function startOidcSignIn(
  ports: OidcPorts & Pick<SecurityPorts, 'now'>,
  redirectUri: string,
): Promise<{ url: string; stateCookie: string }> {
  const oidc = oidcOf(ports);
  const { url, pending } = await oidc.provider.begin(redirectUri);
  return { url, stateCookie: oidc.stateCookie.seal(pending, ports.now()) };
}
