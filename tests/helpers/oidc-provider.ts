import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';

/**
 * A real OpenID provider for the single sign-on tests: `oidc-provider` (a certified implementation)
 * on a loopback port, with its development sign-in form (any password; the login names the
 * account), PKCE required, and one confidential client per authentication method. The accounts'
 * claims — `groups` in particular — can be changed between sign-ins. Consent is granted without
 * asking (a first-party client), so a sign-in is: the login form, then back to the app.
 */

export interface TestAccount {
  name?: string;
  email?: string;
  preferred_username?: string;
  groups?: string[];
}

export interface TestOidcProvider {
  issuer: string;
  /** The accounts by login; a login not listed signs in with no groups. */
  accounts: Map<string, TestAccount>;
  clients: { basic: { id: string; secret: string }; post: { id: string; secret: string } };
  /**
   * Registers the clients with these redirect URIs and starts answering (until then every request
   * gets 503): the provider listens first, so that the app can be started with its issuer URL.
   */
  serve(redirectUris: string[]): void;
  stop(): Promise<void>;
}

/** The role map the tests sign in with. */
export const TEST_ROLE_MAP = 'plant-admins=admin,process-eng=editor';

/** The app's OIDC_* variables for one of the provider's clients. */
export function oidcEnv(provider: TestOidcProvider, client: 'basic' | 'post', name = 'Test SSO'): Record<string, string> {
  const { id, secret } = provider.clients[client];
  return { OIDC_ISSUER: provider.issuer, OIDC_CLIENT_ID: id, OIDC_CLIENT_SECRET: secret, OIDC_NAME: name, OIDC_ROLE_MAP: TEST_ROLE_MAP };
}

export async function startOidcProvider(): Promise<TestOidcProvider> {
  const accounts = new Map<string, TestAccount>();
  const clients = {
    basic: { id: 'script-server-basic', secret: 'a-test-client-secret-for-basic-auth' },
    post: { id: 'script-server-post', secret: 'a-test-client-secret-for-post-auth' },
  };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const configuration = (redirectUris: string[]): Configuration => ({
    clients: [
      { client_id: clients.basic.id, client_secret: clients.basic.secret, redirect_uris: redirectUris, token_endpoint_auth_method: 'client_secret_basic' },
      { client_id: clients.post.id, client_secret: clients.post.secret, redirect_uris: redirectUris, token_endpoint_auth_method: 'client_secret_post' },
    ],
    pkce: { required: () => true },
    claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'groups'], email: ['email'] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['a test cookie key that signs the provider cookies'] },
    async findAccount(_ctx: KoaContextWithOIDC, id: string) {
      return {
        accountId: id,
        async claims() {
          const account = accounts.get(id) ?? {};
          return { sub: id, preferred_username: account.preferred_username ?? id, name: account.name, email: account.email, groups: account.groups ?? [] };
        },
      };
    },
    // First-party client: consent is implied for the scopes the app asks for.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { provider, client, session } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session!.grantIdFor(client!.clientId);
      if (grantId) return provider.Grant.find(grantId);
      const grant = new provider.Grant({ clientId: client!.clientId, accountId: session!.accountId });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });
  let handler: http.RequestListener | null = null;
  server.on('request', (request, response) => {
    if (handler) return handler(request, response);
    response.statusCode = 503;
    response.end('the test provider has no clients yet');
  });
  return {
    issuer,
    accounts,
    clients,
    serve(redirectUris) {
      handler = new Provider(issuer, configuration(redirectUris)).callback() as http.RequestListener;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
