/**
 * The guest prelude as the sandbox evaluates it: helpers of scripts.md, `ctx`, the batch dispatcher
 * the host drives, and the lock-down. Its source is guest/prelude.ts (real TypeScript, seen by lint
 * and the type checker); scripts/build-guest.mjs compiles it into prelude.generated.ts, with the wire
 * format's constants (wire.ts) inlined. prelude-generated.test.ts fails when that file is stale.
 */
export { PRELUDE } from './prelude.generated';

export const PRELUDE_FILE = 'prelude.js';
