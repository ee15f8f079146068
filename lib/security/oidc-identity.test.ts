import { describe, expect, it } from 'vitest';
import { usernameProblem } from '../model/user';
import { externalIdOf, freeUsername, oidcDisplayNameOf, oidcUsernameOf, toUsername } from './oidc-identity';

describe('who an OIDC sign-in is', () => {
  it('names the external identity by issuer and subject', () => {
    expect(externalIdOf('https://login.microsoftonline.com/t/v2.0', 'AbC-123')).toBe('https://login.microsoftonline.com/t/v2.0#AbC-123');
  });

  it('takes preferred_username, else email, else sub, made into a valid username', () => {
    expect(oidcUsernameOf({ preferred_username: 'j.kim@plant.example', email: 'x@y', sub: 's' })).toBe('j.kim@plant.example');
    expect(oidcUsernameOf({ email: 'ops@plant.example', sub: 's' })).toBe('ops@plant.example');
    expect(oidcUsernameOf({ sub: '248289761001' })).toBe('248289761001');
    expect(oidcUsernameOf({ preferred_username: 'José Müller' })).toBe('Jose-Muller');
    expect(oidcUsernameOf({ preferred_username: '김철수', email: 'cs.kim@plant.example' })).toBe('cs.kim@plant.example');
    expect(oidcUsernameOf({ preferred_username: '  ', sub: '한' })).toBe('user');
    const long = oidcUsernameOf({ preferred_username: `${'a'.repeat(70)}` });
    expect(long).toHaveLength(64);
    for (const name of ['DOMAIN\\j.kim', '.hidden.', 'a b/c', `${'x'.repeat(63)} y`]) expect(usernameProblem(toUsername(name) || 'user')).toBeNull();
  });

  it('adds a suffix until the username is free', async () => {
    const taken = new Set(['alice', 'alice-2']);
    expect(await freeUsername('alice', async (name) => taken.has(name))).toBe('alice-3');
    expect(await freeUsername('bob', async (name) => taken.has(name))).toBe('bob');
    const long = 'l'.repeat(64);
    const free = await freeUsername(long, async (name) => name === long);
    expect(free).toBe(`${'l'.repeat(62)}-2`);
  });

  it('shows the name, else given and family name, else the username', () => {
    expect(oidcDisplayNameOf({ name: 'Alice Kim', given_name: 'A' }, 'alice')).toBe('Alice Kim');
    expect(oidcDisplayNameOf({ given_name: 'Alice', family_name: 'Kim' }, 'alice')).toBe('Alice Kim');
    expect(oidcDisplayNameOf({}, 'alice')).toBe('alice');
  });
});
