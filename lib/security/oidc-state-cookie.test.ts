import { describe, expect, it } from 'vitest';
import { createOidcStateSealer, OIDC_STATE_TTL_MS, oidcStateCookie } from './oidc-state-cookie';

const pending = { codeVerifier: 'verifier-abc', state: 'state-123', nonce: 'nonce-456', redirectUri: 'https://ss.plant.example/api/auth/oidc/callback' };

describe('the ss_oidc cookie', () => {
  it('keeps the pending sign-in sealed: readable only with the same client secret, unchanged, and in time', () => {
    const sealer = createOidcStateSealer('client secret one');
    const sealed = sealer.seal(pending, 1_000_000);
    expect(sealed).not.toContain('verifier-abc');
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain('state-123');
    expect(sealer.open(sealed, 1_000_000 + 60_000)).toEqual({ pending });
    // Another web process of the same installation opens it too.
    expect(createOidcStateSealer('client secret one').open(sealed, 1_000_000)).toEqual({ pending });

    expect(createOidcStateSealer('another secret').open(sealed, 1_000_000)).toMatchObject({ problem: expect.stringMatching(/not valid/) });
    const bytes = Buffer.from(sealed, 'base64url');
    bytes[20] ^= 1;
    expect(sealer.open(bytes.toString('base64url'), 1_000_000)).toMatchObject({ problem: expect.stringMatching(/not valid/) });
    expect(sealer.open('garbage', 1_000_000)).toMatchObject({ problem: expect.stringMatching(/not valid/) });
    expect(sealer.open(sealed, 1_000_000 + OIDC_STATE_TTL_MS + 1)).toMatchObject({ problem: expect.stringMatching(/longer than 10 minutes.*start the sign-in again/) });
    expect(sealer.open(null, 1_000_000)).toMatchObject({ problem: expect.stringMatching(/no sign-in under way/) });
  });

  it('is HttpOnly and SameSite=Lax on the OIDC routes only, Secure over HTTPS, and can be cleared', () => {
    expect(oidcStateCookie('v', false)).toBe('ss_oidc=v; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=600');
    expect(oidcStateCookie('v', true)).toMatch(/; Secure$/);
    expect(oidcStateCookie(null, false)).toBe('ss_oidc=; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=0');
  });
});
