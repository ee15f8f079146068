import { describe, expect, it } from 'vitest';
import { bearerTokenOf, hashSecret, looksLikeApiToken, looksLikeSessionId, newApiTokenSecret, newSessionId } from './secrets';

describe('token and session secrets', () => {
  it('makes API tokens of ss_ and 32 random bytes in base64url', () => {
    const token = newApiTokenSecret();
    expect(token).toMatch(/^ss_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token.slice(3), 'base64url')).toHaveLength(32);
    expect(newApiTokenSecret()).not.toBe(token);
    expect(looksLikeApiToken(token)).toBe(true);
    expect(looksLikeApiToken(token.slice(0, 20))).toBe(false);
    expect(looksLikeApiToken(`xx_${token.slice(3)}`)).toBe(false);
  });

  it('makes session ids of 32 random bytes', () => {
    const id = newSessionId();
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    expect(looksLikeSessionId(id)).toBe(true);
    expect(looksLikeSessionId('short')).toBe(false);
  });

  it('stores SHA-256 in hex, never the secret', () => {
    expect(hashSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reads the bearer token of an Authorization header', () => {
    expect(bearerTokenOf('Bearer ss_abc')).toBe('ss_abc');
    expect(bearerTokenOf('bearer  ss_abc ')).toBe('ss_abc');
    expect(bearerTokenOf('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerTokenOf(undefined)).toBeNull();
  });
});
