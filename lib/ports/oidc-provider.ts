/**
 * The OpenID provider of single sign-on (security.md "Single sign-on (OIDC)"): the authorization code
 * flow with PKCE, state and nonce. One adapter over `openid-client` (lib/adapters/oidc); the sign-in
 * use cases (lib/security/start-oidc-sign-in.ts, finish-oidc-sign-in.ts) decide who signs in.
 *
 * An unreachable provider (discovery, token or userinfo request) is an OperationalError naming
 * "OpenID provider"; an answer the flow must refuse (wrong state, an error from the provider, a bad
 * ID token) is a UserError UNAUTHORIZED whose message says what went wrong.
 */

/** What the callback must check, kept by the browser (sealed in a cookie) between start and callback. */
export interface PendingOidcSignIn {
  /** The PKCE code verifier: only its S256 challenge went to the provider. */
  codeVerifier: string;
  state: string;
  nonce: string;
  /** The redirect URI of the authorization request; the token request repeats it. */
  redirectUri: string;
}

export interface OidcSignInResult {
  /** The issuer identifier of the provider that signed the ID token. */
  issuer: string;
  /** The ID token's `sub`. */
  subject: string;
  /** The ID token's claims. */
  claims: Record<string, unknown>;
  /** The userinfo endpoint's claims (for a role claim the ID token leaves out); {} when it has none. */
  userinfo(): Promise<Record<string, unknown>>;
}

export interface OidcProvider {
  /** OIDC_ISSUER as configured. */
  readonly issuer: string;
  /** The provider's authorization URL for a new sign-in, and what its callback must check. */
  begin(redirectUri: string): Promise<{ url: string; pending: PendingOidcSignIn }>;
  /** Checks the callback (`callbackUrl` with the provider's query), exchanges the code and validates the ID token. */
  finish(callbackUrl: URL, pending: PendingOidcSignIn): Promise<OidcSignInResult>;
}
