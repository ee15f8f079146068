import { MAX_DISPLAY_NAME_LENGTH, usernameProblem } from '../model/user';

/**
 * Who an OIDC sign-in is (security.md "Single sign-on"): the external identity `issuer#sub` (an
 * issuer identifier has no fragment, so `#` cannot be part of it), and for a first sign-in a
 * username and a display name from the claims. docs/decisions/0012.
 */

export function externalIdOf(issuer: string, subject: string): string {
  return `${issuer}#${subject}`;
}

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);

/** A username made of what `candidate` has that a username may have (1–64 of letters, digits, `.`, `_`, `-`, `@`); '' when nothing is left. */
export function toUsername(candidate: string): string {
  return candidate
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents: é → e
    .replace(/[^A-Za-z0-9._@-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64)
    .replace(/[-.]+$/g, '');
}

/** The username a first sign-in asks for: preferred_username, else email, else sub (made valid), else "user". */
export function oidcUsernameOf(claims: Record<string, unknown>): string {
  for (const claim of ['preferred_username', 'email', 'sub']) {
    const value = text(claims[claim]);
    const username = value === null ? '' : toUsername(value);
    if (username !== '' && usernameProblem(username) === null) return username;
  }
  return 'user';
}

/** `wanted`, or `wanted-2`, `wanted-3`… (cut to 64 characters): the first that `taken` says is free. */
export async function freeUsername(wanted: string, taken: (username: string) => Promise<boolean>): Promise<string> {
  if (!(await taken(wanted))) return wanted;
  for (let n = 2; n < 10_000; n++) {
    const suffix = `-${n}`;
    const candidate = `${wanted.slice(0, 64 - suffix.length)}${suffix}`;
    if (!(await taken(candidate))) return candidate;
  }
  throw new Error(`no free username near '${wanted}'`);
}

/** The display name: `name`, else given and family name, else the username. */
export function oidcDisplayNameOf(claims: Record<string, unknown>, username: string): string {
  const given = [text(claims.given_name), text(claims.family_name)].filter((part) => part !== null).join(' ');
  return (text(claims.name) ?? (given || username)).slice(0, MAX_DISPLAY_NAME_LENGTH);
}
