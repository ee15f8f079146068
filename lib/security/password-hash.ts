import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashing with scrypt (node:crypto), in a self-describing PHC-style string:
 *
 *   $scrypt$ln=15,r=8,p=1$<salt, base64url>$<key, base64url>
 *
 * ln is log2 of N (the cost). The parameters travel with each hash, so raising them later leaves old
 * hashes verifiable (`needsRehash` tells when to hash again at the next sign-in). Verification is
 * constant-time in the key, and parameters read from a stored hash are bounded so a damaged or
 * planted row cannot make one verification take minutes. See docs/decisions/0011.
 */

export interface ScryptParams {
  /** log2(N) */
  ln: number;
  r: number;
  p: number;
}

/** N = 2^15, r = 8, p = 1: 32 MiB and roughly 50–100 ms per hash on a server core (OWASP's scrypt minimum is N = 2^17 with r = 8 at 128 MiB; we stay at 32 MiB so a burst of sign-ins cannot exhaust memory). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { ln: 15, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** True when `password` matches `encoded`; false for a wrong password or an unreadable hash. */
  verify(password: string, encoded: string): Promise<boolean>;
  /**
   * Spends the time of one verification and answers false: used for an unknown username so that a
   * wrong username and a wrong password take about the same time.
   */
  verifyDummy(password: string): Promise<false>;
  /** True when `encoded` was made with other parameters than this hasher's. */
  needsRehash(encoded: string): boolean;
}

export type DeriveKey = (password: string, salt: Buffer, params: ScryptParams, length: number) => Promise<Buffer>;

/** `derive` is scrypt; tests pass a wrapper to observe the work done. */
export function createPasswordHasher(params: ScryptParams = DEFAULT_SCRYPT_PARAMS, derive: DeriveKey = scrypt): PasswordHasher {
  assertParams(params);
  // Made at once, so that even the first unknown username costs one verification, like a known one.
  let dummy: Promise<string> | undefined;
  const hasher: PasswordHasher = {
    async hash(password) {
      const salt = randomBytes(SALT_BYTES);
      const key = await derive(password, salt, params, KEY_BYTES);
      return encode(params, salt, key);
    },
    async verify(password, encoded) {
      const parsed = decode(encoded);
      if (!parsed) return false;
      const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
      return timingSafeEqual(key, parsed.key);
    },
    async verifyDummy(password) {
      dummy ??= hasher.hash(randomBytes(24).toString('base64url'));
      await hasher.verify(password, await dummy);
      return false;
    },
    needsRehash(encoded) {
      const parsed = decode(encoded);
      return !parsed || parsed.params.ln !== params.ln || parsed.params.r !== params.r || parsed.params.p !== params.p;
    },
  };
  dummy = hasher.hash(randomBytes(24).toString('base64url'));
  return hasher;
}

function scrypt(password: string, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  const N = 2 ** params.ln;
  const options: ScryptOptions = { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function encode(params: ScryptParams, salt: Buffer, key: Buffer): string {
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,88})\$([A-Za-z0-9_-]{22,88})$/;

/** The parts of an encoded hash, or null when it is not one this module wrote (or its parameters are out of bounds). */
export function decodePasswordHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  return decode(encoded);
}

function decode(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const match = FORMAT.exec(encoded);
  if (!match) return null;
  const params = { ln: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  if (!paramsWithinLimits(params)) return null;
  return { params, salt: Buffer.from(match[4], 'base64url'), key: Buffer.from(match[5], 'base64url') };
}

function paramsWithinLimits(params: ScryptParams): boolean {
  return (Object.keys(LIMITS) as Array<keyof ScryptParams>).every(
    (name) => Number.isInteger(params[name]) && params[name] >= LIMITS[name][0] && params[name] <= LIMITS[name][1],
  );
}

function assertParams(params: ScryptParams): void {
  if (!paramsWithinLimits(params)) {
    throw new RangeError(`scrypt parameters out of bounds: ln ${LIMITS.ln.join('–')}, r ${LIMITS.r.join('–')}, p ${LIMITS.p.join('–')}`);
  }
}
