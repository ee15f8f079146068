import { z } from 'zod';
import { isAppError, messageOf } from '../model/errors';
import { finishOidcSignIn } from '../security/finish-oidc-sign-in';
import { OIDC_STATE_COOKIE, oidcStateCookie } from '../security/oidc-state-cookie';
import { startOidcSignIn } from '../security/start-oidc-sign-in';
import { cookieOf, isHttpsRequest } from './authenticate-request';
import { operation, type ApiResult, type Operation } from './operation';

/**
 * Single sign-on (security.md "Single sign-on (OIDC)"), part of AUTH_OPERATIONS: both are browser
 * navigations, so they answer redirects and a small HTML page rather than JSON.
 *
 * The callback answers 200 with a page that moves on to the IDE, not a 302: the session cookie is
 * SameSite=Strict, and a browser does not send a Strict cookie on a navigation whose redirect chain
 * began at another site (the provider) — the IDE would open looking signed out. A navigation started
 * by a page of this app is same-site, so the cookie goes with it.
 */

export const OIDC_CALLBACK_PATH = '/api/auth/oidc/callback';

/** Where the sign-in page shows why single sign-on failed. */
export const signInErrorLocation = (message: string): string => `/?signInError=${encodeURIComponent(message.slice(0, 500))}`;

/**
 * This server's address as the browser sees it, from the request (behind a reverse proxy:
 * X-Forwarded-Proto and X-Forwarded-Host, else Host). The redirect URI is built from it, so the
 * provider must know `<this address>/api/auth/oidc/callback`.
 */
export function publicOrigin(request: Request): string {
  const url = new URL(request.url);
  const first = (name: string) => request.headers.get(name)?.split(',')[0].trim() || null;
  const host = first('x-forwarded-host') ?? first('host') ?? url.host;
  return `${isHttpsRequest(request) ? 'https' : 'http'}://${host}`;
}

const CallbackQuery = z.record(z.string(), z.string());

const toIde = (message: string, clearState: boolean, request: Request): ApiResult => ({
  status: 302,
  location: signInErrorLocation(message),
  ...(clearState ? { cookies: [oidcStateCookie(null, isHttpsRequest(request))] } : {}),
});

const SIGNED_IN_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Script Server</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem">
<p>Signed in. Opening Script Server… · 로그인되었습니다. Script Server를 여는 중…</p>
<p><a href="/">Continue · 계속</a></p>
</body></html>
`;

export const OIDC_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'oidcStart',
    method: 'GET',
    path: '/api/auth/oidc/start',
    role: 'public',
    summary: 'Single sign-on: sends the browser to the OpenID provider (authorization code flow with PKCE, state and nonce)',
    tag: 'auth',
    responses: {
      302: { description: 'To the provider’s authorization endpoint; sets the ss_oidc cookie (HttpOnly, SameSite=Lax, 10 minutes) the callback checks' },
    },
    errors: [404, 503],
    async run({ services, request }) {
      const secure = isHttpsRequest(request);
      try {
        const { url, stateCookie } = await startOidcSignIn(services, `${publicOrigin(request)}${OIDC_CALLBACK_PATH}`);
        return { status: 302, location: url, cookies: [oidcStateCookie(stateCookie, secure)] };
      } catch (error) {
        // A browser (the sign-in button) gets the sign-in page with the reason; an API client the envelope (404 not configured, 503 provider down).
        if (isAppError(error) && error.kind !== 'unexpected' && (request.headers.get('accept') ?? '').includes('text/html')) return toIde(error.message, false, request);
        throw error;
      }
    },
  }),
  operation({
    id: 'oidcCallback',
    method: 'GET',
    path: OIDC_CALLBACK_PATH,
    role: 'public',
    summary: 'Single sign-on: where the OpenID provider sends the browser back; signs the user in (creating them on the first sign-in)',
    tag: 'auth',
    query: CallbackQuery,
    responses: {
      200: { description: 'Signed in: sets the session cookie and answers a page that opens the IDE at /', contentType: 'text/html' },
      302: { description: 'Not signed in: to /?signInError=<why> (no sign-in under way, state mismatch, refused by the provider, disabled user, provider unreachable)' },
    },
    errors: [],
    async run({ services, request, requestId, ip }) {
      try {
        const { sessionId } = await finishOidcSignIn(
          services,
          { url: new URL(request.url), stateCookie: cookieOf(request.headers.get('cookie'), OIDC_STATE_COOKIE) },
          { requestId, ip },
        );
        return {
          status: 200,
          text: SIGNED_IN_PAGE,
          contentType: 'text/html; charset=utf-8',
          session: { id: sessionId },
          cookies: [oidcStateCookie(null, isHttpsRequest(request))],
        };
      } catch (error) {
        if (!isAppError(error) || error.kind === 'unexpected') services.log.error({ requestId, err: error }, 'single sign-on failed unexpectedly');
        const message = isAppError(error) && error.kind !== 'unexpected' ? error.message : `single sign-on failed (request id ${requestId}; it has been logged): ${messageOf(error).slice(0, 200)}`;
        return toIde(message, true, request);
      }
    },
  }),
];
