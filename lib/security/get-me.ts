import type { User } from '../model/user';
import type { Identity } from './identity';

/** `GET /api/auth/me`: the signed-in user and how the request was authenticated (AUTH=off counts as a session). */
export function getMe(identity: Identity): { user: User; via: 'session' | 'token' } {
  return { user: identity.user, via: identity.via === 'token' ? 'token' : 'session' };
}
