import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 keeps every broker connection's request queue busy while it is idle: after each
 * check of its pending requests it schedules the next one, with a negative delay (1 ms) when nothing
 * is pending and nothing throttled, so each connection wakes the event loop about a thousand times a
 * second forever (tulios/kafkajs#1556, #1704; fixes proposed in #1667 and #1768, not released).
 * Measured on an idle worker: ≈ 1 600 `epoll_pwait` calls a second and ≈ 45 ms of CPU a second on
 * the main thread, per process, whatever it consumes — the largest part of scale-out's cost for
 * three processes (docs/performance.md, P7).
 *
 * The fix as proposed upstream: schedule a check only when a request is pending (then at once, or
 * when the throttle ends) or the connection is throttled. Nothing else needs the loop: a request
 * pushed while it cannot be sent is pending (and schedules its check), and every response runs a
 * check itself (`fulfillRequest`). Applied once, to the RequestQueue class every kafkajs client of
 * the process shares; a kafkajs whose queue no longer has this shape is left alone.
 */

const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;

interface RequestQueueShape {
  pending: unknown[];
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

let applied: boolean | null = null;

/** Applies the fix (once); returns whether kafkajs's request queue has it. */
export function stopKafkajsIdleLoop(): boolean {
  if (applied !== null) return applied;
  applied = false;
  let RequestQueue: { prototype: RequestQueueShape } | undefined;
  try {
    RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js');
  } catch {
    return applied;
  }
  const prototype = RequestQueue?.prototype;
  if (typeof prototype?.scheduleCheckPendingRequests !== 'function' || typeof prototype.checkPendingRequests !== 'function') return applied;
  prototype.scheduleCheckPendingRequests = function scheduleCheckPendingRequests(this: RequestQueueShape) {
    if (this.throttleCheckTimeoutId) return;
    let delay = this.throttledUntil - Date.now();
    if (this.pending.length > 0) delay = delay > 0 ? delay : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    // Nothing pending and not throttled: the next request or response checks again.
    else if (delay <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, delay);
  };
  applied = true;
  return applied;
}

/** kafkajs's RequestQueue class, for the test of this fix. */
export function kafkajsRequestQueue(): new (options: Record<string, unknown>) => RequestQueueShape {
  return createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js');
}
