import { afterAll, beforeAll } from 'vitest';
import { isAppError, type AppError } from '../../model/errors';

/** Opening a database runs its migrations: generous on a loaded machine (never a speed assertion). */
export const OPEN_TIMEOUT_MS = 180_000;

let sequence = 0;
/** A name no other test (nor an earlier run against the same database) uses. */
export function unique(label: string): string {
  sequence += 1;
  return `${label}_${sequence}_${Math.random().toString(36).slice(2, 8)}`;
}

/** The AppError a call fails with; fails the test when the call succeeds or throws something else. */
export async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('expected the call to fail');
}

/**
 * Opens what a contract suite tests once for the enclosing describe (and cleans it up after), and
 * returns its accessor: `pick` chooses the port out of what `open` gave.
 */
export function openedForSuite<Opened extends { cleanup(): Promise<void> }, Port>(open: () => Promise<Opened>, pick: (opened: Opened) => Port): () => Port {
  let opened: Opened | undefined;
  beforeAll(async () => {
    opened = await open();
  }, OPEN_TIMEOUT_MS);
  afterAll(async () => {
    await opened?.cleanup();
  }, OPEN_TIMEOUT_MS);
  return () => {
    if (!opened) throw new Error('the store did not open');
    return pick(opened);
  };
}
