import { describe, expect, it } from 'vitest';
import * as crypto from 'node:crypto';
import { createPasswordHasher, decodePasswordHash, DEFAULT_SCRYPT_PARAMS, type ScryptParams } from './password-hash';

// The cheapest parameters allowed keep the tests light; the format and rules are the same.
const hasher = createPasswordHasher({ ln: 10, r: 8, p: 1 });

describe('password hashing (scrypt)', () => {
  it('writes a self-describing hash with its parameters and a fresh salt, and verifies it', async () => {
    const encoded = await hasher.hash('correct horse battery');
    expect(encoded).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(encoded).not.toContain('correct');
    expect(await hasher.verify('correct horse battery', encoded)).toBe(true);
    expect(await hasher.verify('correct horse batterY', encoded)).toBe(false);
    expect(await hasher.hash('correct horse battery')).not.toBe(encoded);
  });

  it('uses N = 2^15, r = 8, p = 1 by default', () => {
    expect(DEFAULT_SCRYPT_PARAMS).toEqual({ ln: 15, r: 8, p: 1 });
  });

  it('verifies hashes made with other parameters (they travel with the hash) and says when to hash again', async () => {
    const older = await createPasswordHasher({ ln: 11, r: 8, p: 1 }).hash('a long enough password');
    expect(await hasher.verify('a long enough password', older)).toBe(true);
    expect(hasher.needsRehash(older)).toBe(true);
    expect(hasher.needsRehash(await hasher.hash('a long enough password'))).toBe(false);
  });

  it('refuses unreadable hashes and parameters out of bounds without computing them', async () => {
    const good = await hasher.hash('a long enough password');
    const huge = good.replace('ln=10', 'ln=30');
    expect(decodePasswordHash(huge)).toBeNull();
    expect(await hasher.verify('a long enough password', huge)).toBe(false);
    expect(await hasher.verify('a long enough password', 'plain text')).toBe(false);
    expect(await hasher.verify('a long enough password', '')).toBe(false);
    expect(() => createPasswordHasher({ ln: 4, r: 8, p: 1 })).toThrow(/out of bounds/);
  });

  it('verifies against a dummy hash with the same parameters for an unknown user, always false', async () => {
    const work: ScryptParams[] = [];
    const observed = createPasswordHasher({ ln: 10, r: 8, p: 1 }, (password, salt, params, length) => {
      work.push(params);
      return scrypt(password, salt, params, length);
    });
    expect(await observed.verifyDummy('whatever password')).toBe(false);
    const before = work.length;
    expect(await observed.verifyDummy('')).toBe(false);
    // Each call spends one derivation with the hasher's own parameters, as a real verification does.
    expect(work.slice(before)).toEqual([{ ln: 10, r: 8, p: 1 }]);
  });
});

function scrypt(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    crypto.scrypt(password, salt, length, { N: 2 ** params.ln, r: params.r, p: params.p }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}
