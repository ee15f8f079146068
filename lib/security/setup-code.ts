import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The one-time setup code of the first start when HOST is not loopback: printed in the log and
 * written to `DATA_DIR/setup-code` (owner-only), removed once the administrator is created.
 */

export interface SetupCodeFile {
  /** The code waiting in the file, or null when there is none. */
  read(): Promise<string | null>;
  write(code: string): Promise<void>;
  remove(): Promise<void>;
  /** Where the file is, for messages. */
  readonly location: string;
}

export const SETUP_CODE_FILE = 'setup-code';

export function setupCodeFileIn(dataDir: string): SetupCodeFile {
  const location = path.resolve(dataDir, SETUP_CODE_FILE);
  return {
    location,
    async read() {
      try {
        const text = (await readFile(location, 'utf8')).trim();
        return text === '' ? null : text;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw error;
      }
    },
    async write(code) {
      await mkdir(path.dirname(location), { recursive: true });
      await writeFile(location, `${code}\n`, { mode: 0o600 });
    },
    async remove() {
      await rm(location, { force: true });
    },
  };
}

/** A code a person can type: 4 groups of 4 characters without look-alikes (0/O, 1/I/L). */
export function newSetupCode(): string {
  const alphabet = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(16);
  const chars = [...bytes].map((byte) => alphabet[byte % alphabet.length]);
  return [0, 4, 8, 12].map((start) => chars.slice(start, start + 4).join('')).join('-');
}

/** Compares a typed code with the expected one in constant time, ignoring case, spaces and dashes. */
export function setupCodeMatches(typed: string, expected: string): boolean {
  const digest = (code: string) => createHash('sha256').update(code.replace(/[\s-]/g, '').toUpperCase()).digest();
  return timingSafeEqual(digest(typed), digest(expected));
}
