import { timingSafeEqual, createHash } from 'node:crypto';
import { UserError } from '../model/errors';
import { roleAtLeast } from '../model/role';
import type { Identity } from '../security/identity';
import { resolveIdentity } from '../security/resolve-identity';
import { bearerTokenOf } from '../security/secrets';
import type { ApiServices, Operation } from './operation';

/**
 * Who may call what, in one place (security.md, docs/decisions/0011): the request handler calls
 * `authenticateRequest` before it reads the body or runs the use case. It resolves the identity
 * (bearer token first, else the session cookie), refuses 401 without one and 403 when the role is
 * below the operation's, and refuses cookie-authenticated changes that a foreign site could forge.
 */

/** The session cookie's name. */
export const SESSION_COOKIE = 'ss_session';

/**
 * The client's address, set by the web server from the socket (server.ts) after dropping any value
 * the client sent; the core never trusts a client-given X-Forwarded-For.
 */
export const CLIENT_IP_HEADER = 'x-script-server-client-ip';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Authentication {
  identity: Identity | null;
  /** The session cookie's value when the identity came from it (the handler renews the cookie). */
  sessionId: string | null;
  ip?: string;
}

export async function authenticateRequest(services: ApiServices, operation: Operation<any, any, any>, request: Request): Promise<Authentication> {
  const ip = request.headers.get(CLIENT_IP_HEADER) ?? undefined;
  const bearerToken = bearerTokenOf(request.headers.get('authorization'));
  const sessionId = cookieOf(request.headers.get('cookie'), SESSION_COOKIE);

  if (operation.role === 'public') {
    if (operation.id === 'metrics' && services.config.METRICS_TOKEN) checkMetricsToken(services.config.METRICS_TOKEN, bearerToken);
    let identity: Identity | null = null;
    if (services.authEnabled === false || bearerToken || sessionId) {
      // A stale cookie must not stop anyone from signing in again: public operations go on without it.
      identity = await resolveIdentity(services, { bearerToken, sessionId }).catch((error: unknown) => {
        if (error instanceof UserError && error.code === 'UNAUTHORIZED') return null;
        throw error;
      });
    }
    checkCrossSite(request, identity);
    return { identity, sessionId: identity?.via === 'session' ? sessionId : null, ip };
  }

  const identity = await resolveIdentity(services, { bearerToken, sessionId });
  if (!roleAtLeast(identity.role, operation.role)) {
    const as = identity.via === 'token' ? `this token acts as ${identity.role}` : `you are signed in as ${identity.user.username} (${identity.role})`;
    throw new UserError('FORBIDDEN', `${operation.method} ${operation.path} needs the ${operation.role} role; ${as}: ask an administrator for the ${operation.role} role`, {
      needed: operation.role,
      role: identity.role,
    });
  }
  checkCrossSite(request, identity);
  return { identity, sessionId: identity.via === 'session' ? sessionId : null, ip };
}

/**
 * A change authenticated by the browser's cookie (or by nothing: sign-in, setup, AUTH=off) must be
 * JSON or bodiless, and come from the app's own pages when the browser names its origin. A form or a
 * script on another site can send neither. Token requests are not subject to this: a browser never
 * adds a token by itself.
 */
function checkCrossSite(request: Request, identity: Identity | null): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  if (identity?.via === 'token') return;
  const refuse = (why: string) =>
    new UserError('FORBIDDEN', `cross-site request refused: ${why}. Send changes from the Script Server pages, or use an API token (Authorization: Bearer ss_…)`);
  const contentType = request.headers.get('content-type');
  const hasBody = Number(request.headers.get('content-length') ?? 0) > 0 || request.headers.has('transfer-encoding');
  if (contentType !== null ? !isJson(contentType) : hasBody) {
    throw refuse(`a change signed in by cookie must be sent as content-type: application/json, not ${contentType ?? 'without a content type'}`);
  }
  const origin = request.headers.get('origin');
  if (origin === null) return;
  const own = request.headers.get('x-forwarded-host') ?? request.headers.get('host') ?? new URL(request.url).host;
  let originHost: string | null = null;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = null;
  }
  if (originHost === null || originHost.toLowerCase() !== own.toLowerCase()) {
    throw refuse(`the request comes from ${origin.slice(0, 200)}, not from this server (${own.slice(0, 200)})`);
  }
}

function isJson(contentType: string): boolean {
  const mediaType = contentType.split(';')[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.!#$&^_-]+\+json$/.test(mediaType);
}

function checkMetricsToken(expected: string, given: string | null): void {
  // Compared as hashes: equal lengths for timingSafeEqual, and no early exit on the first wrong byte.
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  if (given === null || !timingSafeEqual(digest(given), digest(expected))) {
    throw new UserError('UNAUTHORIZED', 'GET /api/metrics needs Authorization: Bearer <METRICS_TOKEN> (the value set in the server’s METRICS_TOKEN)');
  }
}

/** The value of cookie `name` in a Cookie header, or null. */
export function cookieOf(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || null;
  }
  return null;
}

/**
 * The session cookie (security.md): HttpOnly, SameSite=Strict, Secure when served over HTTPS, and
 * the idle expiry as its Max-Age (renewed with each answer to the session). `null` clears it.
 */
export function sessionCookie(sessionId: string | null, request: Request, idleMs: number): string {
  const https = isHttpsRequest(request);
  const maxAge = sessionId === null ? 0 : Math.floor(idleMs / 1000);
  return `${SESSION_COOKIE}=${sessionId ?? ''}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${https ? '; Secure' : ''}`;
}

/** Whether the browser reached the app over HTTPS (directly, or through a proxy that says so in X-Forwarded-Proto). */
export function isHttpsRequest(request: Request): boolean {
  return new URL(request.url).protocol === 'https:' || request.headers.get('x-forwarded-proto')?.split(',')[0].trim() === 'https';
}
