import { createHash, randomBytes } from 'node:crypto';
import { TOKEN_PREFIX } from '../model/token';

/**
 * Random secrets handed to a client once and stored only as their SHA-256: API tokens
 * (`ss_` + 32 random bytes, base64url) and session ids (the cookie's value). SHA-256 without salt
 * is enough for 256 random bits (nothing to guess), and lets the store find a row by its hash.
 */

const SECRET_BYTES = 32;

/** A new API token: `ss_` followed by 43 base64url characters. */
export function newApiTokenSecret(): string {
  return `${TOKEN_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/** A new session id for the cookie. */
export function newSessionId(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/** What is stored for a token or a session id: lowercase hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const TOKEN_SHAPE = /^ss_[A-Za-z0-9_-]{43,200}$/;
const SESSION_SHAPE = /^[A-Za-z0-9_-]{43,200}$/;

/** True when `value` has the shape of an API token (cheap check before any lookup). */
export function looksLikeApiToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}

export function looksLikeSessionId(value: string): boolean {
  return SESSION_SHAPE.test(value);
}

/** The token of an `Authorization: Bearer ss_…` header, or null. */
export function bearerTokenOf(authorization: string | null | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  return match ? match[1] : null;
}
