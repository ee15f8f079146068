import { describe, expect, it } from 'vitest';
import { claimValues, oidcRoleOf, parseOidcRoleMap } from './oidc-roles';

describe('OIDC role mapping', () => {
  const map = parseOidcRoleMap('plant-admins=admin, process-eng=editor ,CN=Ops=viewer');
  const settings = { claim: 'groups', map, defaultRole: 'viewer' as const };

  it('parses OIDC_ROLE_MAP (a claim value may itself contain =)', () => {
    expect([...map]).toEqual([
      ['plant-admins', 'admin'],
      ['process-eng', 'editor'],
      ['CN=Ops', 'viewer'],
    ]);
  });

  it('names OIDC_ROLE_MAP and the bad pair', () => {
    expect(() => parseOidcRoleMap('plant-admins=owner')).toThrow(/OIDC_ROLE_MAP: 'plant-admins=owner'/);
    expect(() => parseOidcRoleMap('=admin')).toThrow(/OIDC_ROLE_MAP/);
    expect(parseOidcRoleMap(undefined).size).toBe(0);
  });

  it('takes the highest mapped role among the claim values, the default otherwise', () => {
    expect(oidcRoleOf({ groups: ['process-eng', 'plant-admins'] }, settings)).toBe('admin');
    expect(oidcRoleOf({ groups: ['process-eng', 'unrelated'] }, settings)).toBe('editor');
    expect(oidcRoleOf({ groups: 'process-eng' }, settings)).toBe('editor');
    expect(oidcRoleOf({ groups: ['unrelated'] }, settings)).toBe('viewer');
    expect(oidcRoleOf({}, { ...settings, defaultRole: 'editor' })).toBe('editor');
    expect(oidcRoleOf({ groups: 42 }, settings)).toBe('viewer');
  });

  it('reads a dotted claim path (Keycloak realm_access.roles)', () => {
    const claims = { realm_access: { roles: ['offline_access', 'plant-admins'] } };
    expect(claimValues(claims, 'realm_access.roles')).toEqual(['offline_access', 'plant-admins']);
    expect(oidcRoleOf(claims, { ...settings, claim: 'realm_access.roles' })).toBe('admin');
    expect(claimValues(claims, 'realm_access.missing.deeper')).toEqual([]);
  });
});
