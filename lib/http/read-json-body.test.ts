import { describe, expect, it } from 'vitest';
import { readJsonBody } from './handle-api-request';

const LIMIT = 1024;

/** A body that hands out `chunks` pieces of `size` bytes (endless when chunks is Infinity), counting what was read. */
function countedBody(size: number, chunks: number, options: { stallAfter?: number; headers?: Record<string, string> } = {}) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (options.stallAfter !== undefined && seen.pulled >= options.stallAfter) return new Promise<void>(() => undefined);
      if (seen.pulled >= chunks) return controller.close();
      seen.pulled += 1;
      controller.enqueue(new Uint8Array(size).fill(0x20));
    },
    cancel() {
      seen.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { seen, request: new Request('http://x/api/values', { method: 'POST', body: stream, duplex: 'half', headers: { 'content-type': 'application/json', ...options.headers } } as RequestInit) };
}

async function refusal(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected the body to be refused');
}

describe('readJsonBody', () => {
  it('parses a JSON body within the limit', async () => {
    const request = new Request('http://x', { method: 'POST', body: '[{"tag":"A","value":1}]', headers: { 'content-type': 'application/json' } });
    await expect(readJsonBody(request, LIMIT)).resolves.toEqual([{ tag: 'A', value: 1 }]);
  });

  it('reads a body over the limit to its end before answering 413, so the client can read the answer', async () => {
    const { seen, request } = countedBody(512, 40);
    const error = await refusal(readJsonBody(request, LIMIT));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(error.message).toMatch(/larger than 1 KB; send less at a time/);
    expect(seen).toEqual({ pulled: 40, cancelled: false });
  });

  it('cuts off a body that goes on beyond the discard bound', async () => {
    const { seen, request } = countedBody(1024, Infinity);
    const error = await refusal(readJsonBody(request, LIMIT, { maxBytes: 64 * 1024, maxMs: 10_000 }));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen.cancelled).toBe(true);
    expect(seen.pulled).toBeGreaterThan(64);
    expect(seen.pulled).toBeLessThan(80);
  });

  it('cuts off a body whose client stops sending while it is discarded', async () => {
    const { seen, request } = countedBody(1024, Infinity, { stallAfter: 5 });
    const started = Date.now();
    const error = await refusal(readJsonBody(request, LIMIT, { maxBytes: 64 * 1024, maxMs: 200 }));
    expect(error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen.cancelled).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('refuses a declared length over the limit without reading the body', async () => {
    const { seen, request } = countedBody(512, 4, { headers: { 'content-length': String(LIMIT + 1) } });
    expect((await refusal(readJsonBody(request, LIMIT))).code).toBe('PAYLOAD_TOO_LARGE');
    expect(seen.pulled).toBe(0);
  });

  it.each([
    ['a form body', 'a=1', 'application/x-www-form-urlencoded', /must be JSON \(content-type: application\/json\)/],
    ['invalid JSON', '{"a":', 'application/json', /not valid JSON/],
    ['blank text', '   ', 'application/json', /empty; send JSON/],
  ])('refuses %s with a message that says what to send', async (_name, body, contentType, message) => {
    const request = new Request('http://x', { method: 'POST', body, headers: { 'content-type': contentType } });
    const error = await refusal(readJsonBody(request, LIMIT));
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toMatch(message);
  });

  it('refuses bytes that are not UTF-8 rather than saving them altered', async () => {
    const request = new Request('http://x', { method: 'POST', body: new Uint8Array([0x22, 0xff, 0xfe, 0x22]), headers: { 'content-type': 'application/json' } });
    expect((await refusal(readJsonBody(request, LIMIT))).message).toMatch(/not valid UTF-8/);
  });
});
