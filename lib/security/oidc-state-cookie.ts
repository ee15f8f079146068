import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PendingOidcSignIn } from '../ports/oidc-provider';

/**
 * What the OIDC callback must check (PKCE verifier, state, nonce, redirect URI) travels in the
 * browser's `ss_oidc` cookie between `/api/auth/oidc/start` and `/api/auth/oidc/callback`, sealed
 * with AES-256-GCM under a key derived from OIDC_CLIENT_SECRET: nobody can read or forge it, every
 * web process of one installation can open it (no server-side store, no shared memory), and it
 * expires after OIDC_STATE_TTL_MS. The cookie is HttpOnly and SameSite=Lax: the callback is a
 * top-level navigation back from the provider's site, which a Strict cookie would not reach.
 * docs/decisions/0012.
 */

export const OIDC_STATE_COOKIE = 'ss_oidc';
/** How long a sign-in at the provider may take. */
export const OIDC_STATE_TTL_MS = 10 * 60_000;

const PendingSchema = z.object({
  codeVerifier: z.string(),
  state: z.string(),
  nonce: z.string(),
  redirectUri: z.string(),
  createdAt: z.number(),
});

export interface OidcStateSealer {
  seal(pending: PendingOidcSignIn, now: number): string;
  /** The pending sign-in, or why the cookie cannot be used (the message tells the user what to do). */
  open(value: string | null, now: number): { pending: PendingOidcSignIn } | { problem: string };
}

export function createOidcStateSealer(clientSecret: string): OidcStateSealer {
  const key = Buffer.from(hkdfSync('sha256', clientSecret, 'script-server', 'oidc state cookie', 32));
  return {
    seal(pending, now) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = Buffer.from(JSON.stringify({ ...pending, createdAt: now }), 'utf8');
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return sealed.toString('base64url');
    },
    open(value, now) {
      const restart = 'start the sign-in again from the sign-in page';
      if (!value) {
        return { problem: `this browser has no sign-in under way (the ${OIDC_STATE_COOKIE} cookie is missing: cookies blocked, another browser, or it expired): ${restart}` };
      }
      let parsed: z.infer<typeof PendingSchema>;
      try {
        const bytes = Buffer.from(value, 'base64url');
        if (bytes.length < 12 + 16 + 2) throw new Error('too short');
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        const plain = Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
        parsed = PendingSchema.parse(JSON.parse(plain.toString('utf8')));
      } catch {
        return { problem: `the sign-in cookie of this browser is not valid (changed, or sealed with another client secret): ${restart}` };
      }
      if (now - parsed.createdAt > OIDC_STATE_TTL_MS || now < parsed.createdAt - 60_000) {
        return { problem: `the sign-in took longer than ${OIDC_STATE_TTL_MS / 60_000} minutes: ${restart}` };
      }
      const { createdAt: _createdAt, ...pending } = parsed;
      return { pending };
    },
  };
}

/** The `ss_oidc` cookie: the sealed value, or `null` to clear it. Path limited to the OIDC routes. */
export function oidcStateCookie(value: string | null, secure: boolean): string {
  const maxAge = value === null ? 0 : Math.floor(OIDC_STATE_TTL_MS / 1000);
  return `${OIDC_STATE_COOKIE}=${value ?? ''}; Path=/api/auth/oidc; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}
