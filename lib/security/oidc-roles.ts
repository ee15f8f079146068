import { isRole, ROLES, roleAtLeast, type Role } from '../model/role';

/**
 * The role of a user who signs in through OIDC: the claim `OIDC_ROLE_CLAIM` [groups] (a string or a
 * list of strings; a dotted path such as `realm_access.roles` reaches into Keycloak's nested claims)
 * through `OIDC_ROLE_MAP` (`plant-admins=admin,process-eng=editor`), `OIDC_DEFAULT_ROLE` [viewer]
 * otherwise. When several values map, the highest role wins.
 */

export interface OidcRoleSettings {
  claim: string;
  map: ReadonlyMap<string, Role>;
  defaultRole: Role;
}

/** Parses `OIDC_ROLE_MAP`; throws a RangeError naming the variable and the bad pair. */
export function parseOidcRoleMap(text: string | undefined): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const pair of (text ?? '').split(',').map((part) => part.trim()).filter(Boolean)) {
    const at = pair.lastIndexOf('=');
    const value = at > 0 ? pair.slice(0, at).trim() : '';
    const role = at > 0 ? pair.slice(at + 1).trim() : '';
    if (!value || !isRole(role)) {
      throw new RangeError(
        `OIDC_ROLE_MAP: '${pair}' is not claimValue=role with a role of ${ROLES.join(', ')} (e.g. plant-admins=admin,process-eng=editor)`,
      );
    }
    map.set(value, role);
  }
  return map;
}

/** The values of `claim` in the ID token or userinfo claims, as strings. */
export function claimValues(claims: Record<string, unknown>, claim: string): string[] {
  let current: unknown = claims;
  for (const part of claim.split('.')) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return [];
    current = (current as Record<string, unknown>)[part];
  }
  if (typeof current === 'string') return [current];
  if (Array.isArray(current)) return current.filter((value): value is string => typeof value === 'string');
  return [];
}

export function oidcRoleOf(claims: Record<string, unknown>, settings: OidcRoleSettings): Role {
  let best: Role | null = null;
  for (const value of claimValues(claims, settings.claim)) {
    const role = settings.map.get(value);
    if (role && (best === null || roleAtLeast(role, best))) best = role;
  }
  return best ?? settings.defaultRole;
}
