import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isAppError, type AppError } from '../../model/errors';
import { record } from './history-store.contract';
import { escapeStringField, escapeTagValue, InfluxHistoryStore, quoteString, toLine } from './influx-history-store';
import { encodeMsgpack } from './msgpack.fixture';

/** Line protocol and InfluxQL text, and failures, without an InfluxDB (the contract runs in tests/integration). */

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);

async function rejectionOf(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    if (!isAppError(error)) throw new Error(`expected an AppError, got ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('expected the call to fail');
}

async function drain(iterable: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of iterable) void _;
}

async function drainPoints<T>(iterable: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const chunk of iterable) all.push(...chunk);
  return all;
}

describe('line protocol', () => {
  it('escapes commas, spaces and equals signs in the tag name and leaves backslashes alone', () => {
    expect(escapeTagValue('FT-101.PV')).toBe('FT-101.PV');
    expect(escapeTagValue('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(escapeTagValue('C:\\plant\\x')).toBe('C:\\plant\\x');
    expect(escapeTagValue('a\\,b')).toBe('a\\\\,b');
    expect(escapeTagValue('유량계 1')).toBe('유량계\\ 1');
  });

  it('writes the reason of a value that reports a failure or a stop as a field', () => {
    expect(toLine({ tag: 'CALC.Y', value: null, ts: T0, quality: 'bad', source: 'script', reason: 'error' })).toBe(
      `tag_values,tag=CALC.Y kind="null",quality=2i,source="script",reason="error" ${T0}`,
    );
  });

  it('escapes double quotes and backslashes in string fields', () => {
    expect(escapeStringField('say "hi" \\ bye')).toBe('say \\"hi\\" \\\\ bye');
  });

  it('writes one series per tag with kind, value, text, quality and source fields', () => {
    expect(toLine(record('FT-101.PV', T0, 12.5, 'good'))).toBe(`tag_values,tag=FT-101.PV kind="number",value=12.5,quality=0i,source="raw" ${T0}`);
    expect(toLine(record('a b', T0, true, 'uncertain', 'script'))).toBe(`tag_values,tag=a\\ b kind="boolean",value=1,quality=1i,source="script" ${T0}`);
    expect(toLine(record('s', T0, 'x "y"', 'bad'))).toBe(`tag_values,tag=s kind="string",text="x \\"y\\"",quality=2i,source="raw" ${T0}`);
    expect(toLine(record('n', T0, null, 'bad'))).toBe(`tag_values,tag=n kind="null",quality=2i,source="raw" ${T0}`);
    expect(toLine(record('n', T0, Number.NaN, 'good'))).toBe(`tag_values,tag=n kind="nonfinite",text="NaN",quality=0i,source="raw" ${T0}`);
    // An integral number stays a float field: no `i` suffix, or the field type would conflict.
    expect(toLine(record('i', T0, 42, 'good'))).toBe(`tag_values,tag=i kind="number",value=42,quality=0i,source="raw" ${T0}`);
  });

  it('refuses the tag names line protocol cannot carry', () => {
    expect(toLine(record('ends\\', T0, 1, 'good'))).toEqual({ skipped: expect.stringMatching(/backslash/) });
    expect(toLine(record('', T0, 1, 'good'))).toEqual({ skipped: expect.stringMatching(/empty/) });
  });
});

describe('InfluxQL', () => {
  it('quotes string literals', () => {
    expect(quoteString("it's")).toBe("'it\\'s'");
    expect(quoteString('a\\b')).toBe("'a\\\\b'");
    expect(quoteString("x\\'; DROP")).toBe("'x\\\\\\'; DROP'");
  });
});

describe('InfluxHistoryStore failures', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(handler: http.RequestListener): Promise<string> {
    const server = http.createServer(handler);
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function expectUnavailable(store: InfluxHistoryStore, reason: RegExp): Promise<void> {
    const started = Date.now();
    for (const attempt of [
      () => store.write([record('FT-101.PV', T0, 1, 'good')]),
      () => drain(store.read('FT-101.PV', T0, T0 + 1000)),
      () => store.readLatestBefore('FT-101.PV', T0),
      () => store.ping(),
      () => store.createDatabaseIfMissing(),
    ]) {
      const error = await rejectionOf(attempt());
      expect(error.kind).toBe('operational');
      expect(error.status).toBe(503);
      expect(error.details).toEqual({ service: 'InfluxDB' });
      expect(error.message).toMatch(reason);
    }
    expect(Date.now() - started).toBeLessThan(5_000);
  }

  it('rejects quickly with an OperationalError naming InfluxDB at http://127.0.0.1:1', async () => {
    // fetch refuses port 1 outright (it is on the WHATWG list of blocked ports).
    await expectUnavailable(
      new InfluxHistoryStore({ url: 'http://127.0.0.1:1', database: 'script_server' }),
      /^InfluxDB at http:\/\/127\.0\.0\.1:1 is unavailable: fetch refuses to connect to port 1/,
    );
  });

  it('rejects quickly with an OperationalError naming InfluxDB when nothing listens', async () => {
    const url = await serve(() => undefined);
    await new Promise((resolve) => servers.pop()?.close(resolve));
    await expectUnavailable(new InfluxHistoryStore({ url, database: 'script_server' }), new RegExp(`^InfluxDB at ${url} is unavailable: .*ECONNREFUSED`));
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    const url = await serve(() => {
      /* never answers */
    });
    const store = new InfluxHistoryStore({ url, database: 'script_server', timeoutMs: 200 });
    const error = await rejectionOf(store.ping());
    expect(error.message).toBe(`InfluxDB at ${url} is unavailable: no answer within 200 ms`);
  });

  it('passes on the error InfluxDB answers, and names the credentials on 401', async () => {
    const url = await serve((request, response) => {
      if (request.url?.startsWith('/write')) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'partial write: field type conflict' }));
      } else if (request.url?.startsWith('/query')) {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ results: [{ statement_id: 0, error: 'database not found: nope' }] }));
      } else {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: 'authorization failed' }));
      }
    });
    const store = new InfluxHistoryStore({ url, database: 'nope' });
    expect((await rejectionOf(store.write([record('x', T0, 1, 'good')]))).message).toBe(
      `InfluxDB at ${url} rejected the request: partial write: field type conflict`,
    );
    expect((await rejectionOf(drain(store.read('x', T0, T0)))).message).toBe('InfluxDB answered with an error: database not found: nope');
    const unauthorized = await rejectionOf(store.ping());
    expect(unauthorized.message).toMatch(/refused the credentials \(HTTP 401: authorization failed\); check INFLUX_TOKEN/);
  });

  it('reports a 5xx answer as InfluxDB unavailable', async () => {
    const url = await serve((_request, response) => {
      response.writeHead(503);
      response.end('overloaded');
    });
    const error = await rejectionOf(new InfluxHistoryStore({ url, database: 'x' }).ping());
    expect(error.message).toBe(`InfluxDB at ${url} is unavailable: HTTP 503 overloaded`);
  });

  it('sends a token, or user name and password, in the Authorization header and never in the URL', async () => {
    const seen: { url?: string; authorization?: string }[] = [];
    const url = await serve((request, response) => {
      seen.push({ url: request.url, authorization: request.headers.authorization });
      response.writeHead(204);
      response.end();
    });
    await new InfluxHistoryStore({ url, database: 'x', token: 's3cret' }).ping();
    await new InfluxHistoryStore({ url, database: 'x', username: 'writer', password: 'p@ss' }).ping();
    expect(seen).toEqual([
      { url: '/ping', authorization: 'Token s3cret' },
      { url: '/ping', authorization: `Basic ${Buffer.from('writer:p@ss').toString('base64')}` },
    ]);
  });

  it('pages a long read by time and sends the tag as an escaped literal', async () => {
    const queries: string[] = [];
    const url = await serve((request, response) => {
      const q = new URL(request.url ?? '/', 'http://x').searchParams.get('q') ?? '';
      queries.push(q);
      const after = Number(/time >=? (\d+)ms/.exec(q)?.[1]);
      const first = q.includes('time >= ') ? after : after + 1000;
      // Numbers, except a string at T0 + 1000 and a null at T0 + 3000.
      const odd: Record<number, [string, string | null]> = { [T0 + 1000]: ['string', 'on'], [T0 + 3000]: ['null', null] };
      const times = [0, 1].map((i) => first + i * 1000).filter((ts) => ts <= T0 + 4000);
      const kinds = q.startsWith('SELECT "kind"');
      const values = kinds ? times.filter((ts) => odd[ts]).map((ts) => [ts, ...odd[ts]]) : times.map((ts) => [ts, odd[ts] ? null : ts - T0, 0]);
      const columns = kinds ? ['time', 'kind', 'text'] : ['time', 'value', 'quality'];
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ results: [{ statement_id: 0, series: values.length ? [{ name: 'tag_values', columns, values }] : undefined }] }));
    });
    const store = new InfluxHistoryStore({ url, database: 'x' });
    const chunks: unknown[][] = [];
    for await (const chunk of store.read("it's", T0, T0 + 4000, { chunkSize: 2 })) chunks.push(chunk.map((p) => p.value));
    expect(chunks).toEqual([[0, 'on'], [2000, null], [4000]]);
    const valueQueries = queries.filter((q) => q.startsWith('SELECT "value"'));
    expect(valueQueries[0]).toBe(
      `SELECT "value","quality" FROM "tag_values" WHERE "tag" = 'it\\'s' AND time >= ${T0}ms AND time <= ${T0 + 4000}ms ORDER BY time ASC LIMIT 2`,
    );
    expect(valueQueries[1]).toContain(`time > ${T0 + 1000}ms`);
    expect(queries.find((q) => q.startsWith('SELECT "kind"'))).toBe(
      `SELECT "kind","text" FROM "tag_values" WHERE "tag" = 'it\\'s' AND "kind" != 'number' AND time >= ${T0}ms AND time <= ${T0 + 4000}ms ORDER BY time ASC LIMIT 2`,
    );
  });

  /** A server with one tag's points (a string and a boolean among numbers), answering in MessagePack when asked. */
  async function serveMixed(options: { refuseMsgpack?: boolean } = {}) {
    const seen: { accept?: string; acceptEncoding?: string }[] = [];
    const points: Array<[number, number | null, string, string | null, number]> = [
      [T0, 1.5, 'number', null, 0],
      [T0 + 1000, 7, 'string', 'on', 1],
      [T0 + 2000, 1, 'boolean', null, 2],
      [T0 + 3000, 2 ** 40 + 0.5, 'number', null, 0],
      [T0 + 4000, null, 'nonfinite', '-Infinity', 0],
    ];
    const url = await serve((request, response) => {
      seen.push({ accept: request.headers.accept, acceptEncoding: request.headers['accept-encoding'] as string | undefined });
      const q = new URL(request.url ?? '/', 'http://x').searchParams.get('q') ?? '';
      const msgpack = request.headers.accept === 'application/x-msgpack';
      if (msgpack && options.refuseMsgpack) {
        response.writeHead(406);
        response.end();
        return;
      }
      const kinds = q.startsWith('SELECT "kind"');
      const after = Number(/time >=? (\d+)ms/.exec(q)?.[1]);
      const limit = Number(/LIMIT (\d+)/.exec(q)?.[1]);
      const chosen = points.filter(([ts, , kind]) => (q.includes('time >= ') ? ts >= after : ts > after) && (!kinds || kind !== 'number')).slice(0, limit);
      const columns = kinds ? ['time', 'kind', 'text'] : ['time', 'value', 'quality'];
      const values = chosen.map(([ts, value, kind, text, quality]) => (kinds ? [ts, kind, text] : [ts, value, quality]));
      const answer = { results: [{ statement_id: 0, ...(values.length ? { series: [{ name: 'tag_values', columns, values }] } : {}) }] };
      response.writeHead(200, { 'content-type': msgpack ? 'application/x-msgpack' : 'application/json' });
      response.end(msgpack ? Buffer.from(encodeMsgpack(answer)) : JSON.stringify(answer));
    });
    const expected = [1.5, 'on', true, 2 ** 40 + 0.5, Number.NEGATIVE_INFINITY];
    return { url, seen, expected };
  }

  it('reads pages answered in MessagePack, without compression', async () => {
    const { url, seen, expected } = await serveMixed();
    const store = new InfluxHistoryStore({ url, database: 'x' });
    for (const chunkSize of [1, 2, 10]) {
      const points = await drainPoints(store.read('t', T0, T0 + 4000, { chunkSize }));
      expect(points.map((point) => point.value)).toEqual(expected);
      expect(points.map((point) => point.quality)).toEqual(['good', 'uncertain', 'bad', 'good', 'good']);
    }
    expect(seen.every((request) => request.accept === 'application/x-msgpack' && request.acceptEncoding === 'identity')).toBe(true);
  });

  it('asks in JSON from then on when the server refuses MessagePack', async () => {
    const { url, seen, expected } = await serveMixed({ refuseMsgpack: true });
    const store = new InfluxHistoryStore({ url, database: 'x' });
    expect((await drainPoints(store.read('t', T0, T0 + 4000, { chunkSize: 2 }))).map((point) => point.value)).toEqual(expected);
    const refused = seen.filter((request) => request.accept === 'application/x-msgpack').length;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(2);
    expect((await drainPoints(store.read('t', T0, T0 + 4000))).map((point) => point.value)).toEqual(expected);
    expect(seen.filter((request) => request.accept === 'application/x-msgpack').length).toBe(refused);
  });
});
