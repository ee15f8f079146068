/**
 * The engine thread's progress, shared with the watchdog of the thread that hosts it (one
 * SharedArrayBuffer of 16 bytes): [script number + 1 of the run about to start in careful mode
 * (0: none), time of its last VM call or run (epoch ms)]. Written here by lib/engine/engine-methods.ts,
 * read by lib/engine-host/threaded-engine.ts.
 */
export function progressView(buffer: SharedArrayBuffer): Float64Array {
  return new Float64Array(buffer, 0, 2);
}

export const PROGRESS_BYTES = 16;
