import { isIP } from 'node:net';
import type { User } from '../model/user';

/**
 * `AUTH=off` is accepted only when the app listens on a loopback address: a developer's machine, not
 * a plant network. The app then acts as one built-in admin.
 */

/** True for 127.0.0.0/8, ::1, ::ffff:127.x.x.x and `localhost`. `0.0.0.0` and `::` (every interface) are not loopback. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) {
    if (bare === '::1' || /^0{0,4}(:0{0,4}){6}:0{0,3}1$/.test(bare)) return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
    return mapped !== null && mapped[1].startsWith('127.');
  }
  return false;
}

/** Why the start must be refused, naming both variables, or null when `AUTH` and `HOST` agree. */
export function authModeProblem(settings: { AUTH: boolean; HOST: string }): string | null {
  if (settings.AUTH || isLoopbackHost(settings.HOST)) return null;
  return (
    `AUTH=off is accepted only when HOST is a loopback address (127.0.0.1, ::1 or localhost), but HOST=${settings.HOST}: ` +
    'anyone who can reach the port would act as an administrator. Set AUTH=on (the default) and sign in, or set HOST=127.0.0.1'
  );
}

/** The warning printed at start when AUTH=off. */
export const AUTH_OFF_WARNING =
  'AUTH=off: every request acts as the built-in administrator, without signing in. Use this only on your own machine.';

/** Who every request is when AUTH=off. */
export const BUILTIN_ADMIN: User = Object.freeze({
  id: 'builtin-admin',
  username: 'admin',
  displayName: 'Built-in administrator (AUTH=off)',
  role: 'admin',
  source: 'local',
  disabled: false,
  createdAt: new Date(0).toISOString(),
  lastLoginAt: null,
}) as User;
