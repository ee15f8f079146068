import { afterEach, describe, expect, it } from 'vitest';
import { kafkajsRequestQueue, stopKafkajsIdleLoop } from './kafkajs-idle-loop';

const logger = { debug() {}, info() {}, warn() {}, error() {} };
const queues: Array<{ throttleCheckTimeoutId: NodeJS.Timeout | null }> = [];

describe("kafkajs's idle request-queue loop (tulios/kafkajs#1556)", () => {
  afterEach(() => {
    for (const queue of queues.splice(0)) if (queue.throttleCheckTimeoutId) clearTimeout(queue.throttleCheckTimeoutId);
  });

  it('is stopped: an idle connection schedules no check, a pending or throttled one still does', () => {
    expect(stopKafkajsIdleLoop()).toBe(true);
    const RequestQueue = kafkajsRequestQueue();
    const idle = new RequestQueue({ maxInFlightRequests: 1, logger, clientId: 'test', broker: 'test:9092' });
    queues.push(idle);
    // What every response does (fulfillRequest): before the fix this armed a 1 ms timer that re-armed itself forever.
    idle.checkPendingRequests();
    expect(idle.throttleCheckTimeoutId).toBeNull();

    const throttled = new RequestQueue({ maxInFlightRequests: 1, logger, clientId: 'test', broker: 'test:9092' });
    queues.push(throttled);
    throttled.throttledUntil = Date.now() + 60_000;
    throttled.checkPendingRequests();
    expect(throttled.throttleCheckTimeoutId).not.toBeNull();

    const waiting = new RequestQueue({ maxInFlightRequests: 1, logger, clientId: 'test', broker: 'test:9092' });
    queues.push(waiting);
    waiting.throttledUntil = Date.now() + 60_000;
    waiting.pending.push({});
    waiting.scheduleCheckPendingRequests();
    expect(waiting.throttleCheckTimeoutId).not.toBeNull();
  });
});
