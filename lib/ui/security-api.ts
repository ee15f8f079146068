import type { AuditPage } from '../model/audit';
import type { Role } from '../model/role';
import type { CreatedToken, Token } from '../model/token';
import type { User } from '../model/user';
import { api, type ApiClient } from './api-client';

/** The sign-in, users, tokens and audit operations of security.md, over the IDE's API client. */

export interface SetupStatus {
  needed: boolean;
  setupCodeRequired: boolean;
  authEnabled: boolean;
  /** Whether this browser's session (or AUTH=off) is valid: no need to ask /api/auth/me when it is not. */
  signedIn?: boolean;
  /** Set when single sign-on is configured: the sign-in page offers "Sign in with <name>". */
  oidc?: { name: string } | null;
}

export interface UserChange {
  displayName?: string;
  role?: Role;
  disabled?: boolean;
  password?: string;
  currentPassword?: string;
}

const id = (value: string) => encodeURIComponent(value);

export function createSecurityApi(client: ApiClient = api) {
  const { request } = client;
  return {
    setupStatus: () => request<SetupStatus>('GET', '/api/auth/setup'),
    me: () => request<{ user: User; via: 'session' | 'token' }>('GET', '/api/auth/me'),
    login: (username: string, password: string) => request<{ user: User }>('POST', '/api/auth/login', { username, password }),
    setup: (body: { username: string; password: string; displayName?: string; setupCode?: string }) => request<User>('POST', '/api/auth/setup', body),
    logout: () => request<void>('POST', '/api/auth/logout'),

    listUsers: () => request<{ users: User[] }>('GET', '/api/users').then((answer) => answer.users),
    createUser: (body: { username: string; displayName?: string; role: Role; password: string }) => request<User>('POST', '/api/users', body),
    updateUser: (userId: string, change: UserChange) => request<User>('PATCH', `/api/users/${id(userId)}`, change),
    deleteUser: (userId: string) => request<void>('DELETE', `/api/users/${id(userId)}`),

    listTokens: () => request<{ tokens: Token[] }>('GET', '/api/tokens').then((answer) => answer.tokens),
    createToken: (body: { name: string; role?: Role; expiresAt?: string }) => request<CreatedToken>('POST', '/api/tokens', body),
    revokeToken: (tokenId: string) => request<void>('DELETE', `/api/tokens/${id(tokenId)}`),

    listAudit: (queryString: string) => request<AuditPage>('GET', queryString ? `/api/audit?${queryString}` : '/api/audit'),
  };
}

export type SecurityApi = ReturnType<typeof createSecurityApi>;
export const securityApi: SecurityApi = createSecurityApi();
