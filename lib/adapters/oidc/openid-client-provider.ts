import * as client from 'openid-client';
import { messageOf, OperationalError, UserError } from '../../model/errors';
import type { OidcProvider, OidcSignInResult, PendingOidcSignIn } from '../../ports/oidc-provider';
import type { Logger } from '../../support/logger';

/**
 * The OpenID provider through `openid-client` (a certified relying-party library): discovery of
 * OIDC_ISSUER on the first sign-in (retried on the next one after a failure, so the app starts even
 * while the provider is down), then the authorization code flow with PKCE (S256), state and nonce.
 * The client authenticates with its secret by client_secret_basic (the OIDC default), or by
 * client_secret_post when the provider offers only that or refuses basic for this client.
 */

export interface OpenIdClientSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  log: Logger;
  /** How long discovery, token and userinfo requests may take. */
  timeoutSeconds?: number;
}

const SERVICE = 'OpenID provider';

export function createOpenIdClientProvider(settings: OpenIdClientSettings): OidcProvider {
  const { issuer, clientId, clientSecret, log } = settings;
  const timeout = settings.timeoutSeconds ?? 10;
  // Plain HTTP only for a provider on a loopback address (config.ts refuses it elsewhere).
  const insecure = new URL(issuer).protocol === 'http:';
  const execute = insecure ? [client.allowInsecureRequests] : [];
  let discovered: Promise<client.Configuration> | null = null;
  let usesPost = false;

  const discover = async (): Promise<client.Configuration> => {
    let config: client.Configuration;
    try {
      config = await client.discovery(new URL(issuer), clientId, clientSecret, client.ClientSecretBasic(clientSecret), { execute, timeout });
    } catch (error) {
      throw new OperationalError(
        SERVICE,
        `the OpenID provider OIDC_ISSUER=${issuer} cannot be reached or gave no valid discovery document (${describe(error)}): check that it is up and that OIDC_ISSUER is its issuer URL, then try again`,
        { cause: error },
      );
    }
    const methods = config.serverMetadata().token_endpoint_auth_methods_supported;
    if (methods && !methods.includes('client_secret_basic') && methods.includes('client_secret_post')) {
      config = withSecretPost(config);
      usesPost = true;
    }
    config.timeout = timeout;
    log.info({ issuer: config.serverMetadata().issuer }, 'OpenID provider discovered');
    return config;
  };

  const withSecretPost = (basic: client.Configuration): client.Configuration => {
    const post = new client.Configuration(basic.serverMetadata(), clientId, clientSecret, client.ClientSecretPost(clientSecret));
    for (const extension of execute) extension(post);
    post.timeout = timeout;
    return post;
  };

  const configuration = (): Promise<client.Configuration> => {
    discovered ??= discover().catch((error: unknown) => {
      discovered = null; // the next sign-in tries again
      throw error;
    });
    return discovered;
  };

  return {
    issuer,
    async begin(redirectUri) {
      const config = await configuration();
      const pending: PendingOidcSignIn = {
        codeVerifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
        redirectUri,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid profile email',
        response_type: 'code',
        code_challenge: await client.calculatePKCECodeChallenge(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url: url.href, pending };
    },
    async finish(callbackUrl, pending): Promise<OidcSignInResult> {
      let config = await configuration();
      const grant = (using: client.Configuration) =>
        client.authorizationCodeGrant(using, callbackUrl, {
          pkceCodeVerifier: pending.codeVerifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        });
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        try {
          tokens = await grant(config);
        } catch (error) {
          // A client registered for client_secret_post only: the provider refuses the client before it
          // looks at the code, so the same code can go again with the secret in the body (and from now on).
          if (!(error instanceof client.ResponseBodyError && error.error === 'invalid_client' && config.clientMetadata().client_secret && !usesPost)) throw error;
          config = withSecretPost(config);
          tokens = await grant(config);
          usesPost = true;
          discovered = Promise.resolve(config);
          log.info('the OpenID provider refused client_secret_basic: using client_secret_post');
        }
      } catch (error) {
        throw refusal(error, issuer, 'the sign-in could not be completed');
      }
      const claims = tokens.claims();
      if (!claims) throw new UserError('UNAUTHORIZED', `the OpenID provider ${issuer} answered without an ID token: check that the client is an OpenID Connect client with the openid scope`);
      const accessToken = tokens.access_token;
      return {
        issuer: claims.iss,
        subject: claims.sub,
        claims: { ...claims },
        async userinfo() {
          if (!config.serverMetadata().userinfo_endpoint) return {};
          try {
            return { ...(await client.fetchUserInfo(config, accessToken, claims.sub)) };
          } catch (error) {
            throw refusal(error, issuer, 'the userinfo endpoint could not be read');
          }
        },
      };
    },
  };
}

/** A failed exchange: the provider down (503) or an answer the flow refuses (401), in words. */
function refusal(error: unknown, issuer: string, what: string): Error {
  if (error instanceof client.AuthorizationResponseError || error instanceof client.ResponseBodyError) {
    const description = error.error_description ? `: ${error.error_description}` : '';
    return new UserError('UNAUTHORIZED', `${what}: the OpenID provider answered ${error.error}${description}`);
  }
  if (error instanceof client.ClientError) return new UserError('UNAUTHORIZED', `${what}: ${describe(error)}`);
  return new OperationalError(SERVICE, `${what}: the OpenID provider ${issuer} did not answer (${describe(error)}); try again in a moment`, { cause: error });
}

/** An error with its causes, which name what went wrong (ECONNREFUSED, the claim that failed). */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const message = messageOf(current);
    if (message && !parts.includes(message)) parts.push(message);
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(': ') || 'unknown error';
}
