import { randomUUID } from 'node:crypto';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, envelopeProblem, expectErrorEnvelope, rawRequest, type ApiAnswer } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';
import {
  answerProblem,
  describeRequest,
  listOperations,
  requestArbitrary,
  sendRequest,
  type FuzzRequest,
  type OpenApiDocument,
} from '../helpers/openapi-fuzz';

/**
 * R3 of quality-bar.md: bad input on the API of the built app in embedded mode. Each case asserts the
 * documented 4xx in the exact error envelope — never a 500, never a stack trace — and the server
 * stays healthy. The last part fuzzes every operation of /api/openapi.json from its own schemas.
 */

const BODY_LIMIT = 512 * 1024;
let app: RunningApp;
/** A saved script (for PUT and scriptId cases) and an open debug session. */
let savedId = '';
let sessionId = '';

beforeAll(async () => {
  app = await startApp({ env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), DEBUG_SESSION_TTL_MS: '600000' } });
  const saved = await api('POST', '/api/scripts', draft());
  expect(saved.status, saved.text).toBe(201);
  savedId = saved.json.id;
  const session = await api('POST', '/api/debug-sessions', { script: draft() });
  expect(session.status, session.text).toBe(201);
  sessionId = session.json.id;
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer> =>
  callApi(app.url, method, path, body, headers);

let sequence = 0;
/** A valid draft with a unique name and unique tags, so that cases never conflict with each other. */
function draft(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const n = ++sequence;
  return {
    name: `bad_input_${n}`,
    description: 'doubles its input',
    inputs: [{ tag: `BI.IN.${n}`, alias: 'input' }],
    initCode: 'let runs = 0;',
    calcCode: 'runs++;\nconst out = input * 2;',
    outputs: [{ tag: `BI.OUT.${n}`, variable: 'out', deadband: 0 }],
    trigger: { type: 'onChange' },
    ...overrides,
  };
}

/** `{id}` and `{session}` in a path become the saved script and the open debug session. */
const resolve = (path: string) => path.replace('{id}', savedId).replace('{session}', sessionId);

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 100));
  }
}

const recent = () => new Date(Date.now() - 60_000).toISOString();

/** Every operation that takes a JSON body. */
const BODY_ENDPOINTS: Array<[string, string]> = [
  ['POST', '/api/scripts'],
  ['PUT', '/api/scripts/{id}'],
  ['POST', '/api/scripts/validate'],
  ['POST', '/api/scripts/calculate'],
  ['POST', '/api/scripts/debug'],
  ['POST', '/api/scripts/benchmark'],
  ['POST', '/api/scripts/plot'],
  ['POST', '/api/values'],
  ['POST', '/api/debug-sessions'],
  ['POST', '/api/debug-sessions/{session}/run'],
];

describe('malformed JSON', () => {
  const MALFORMED: Array<[string, string]> = [
    ['truncated', '{"name": "x", "inputs": ['],
    ['trailing garbage', '{"name": "x"} trailing'],
    ['two documents', '{} {}'],
    ['a NaN literal', '{"inputs": NaN}'],
    ['an Infinity literal', '[Infinity]'],
    ['single quotes', "{'name': 'x'}"],
    ['unquoted keys', '{name: "x"}'],
    ['a trailing comma', '{"name": "x",}'],
    ['a comment', '// note\n{}'],
    ['a byte order mark', '\ufeff{}'],
    ['an unterminated string', '{"name": "x'],
    ['a raw control character in a string', '{"name": "a\u0001b"}'],
    ['an invalid escape', '{"name": "\\x41"}'],
    ['a hex number', '{"n": 0x10}'],
    ['a leading zero', '{"n": 01}'],
    ['undefined', 'undefined'],
    ['a lone comma', ','],
  ];

  it.each(BODY_ENDPOINTS.flatMap(([method, path]) => MALFORMED.map(([what, text]) => [method, path, what, text])))(
    '%s %s with %s → 400',
    async (method, path, _what, text) => {
      expectErrorEnvelope(await api(method, resolve(path), text), 400, 'VALIDATION_FAILED');
    },
  );

  it.each(BODY_ENDPOINTS)('%s %s with bytes that are not UTF-8 (a surrogate in CESU-8) → 400', async (method, path) => {
    const answer = await api(method, resolve(path), new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]));
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  const DEEP: Array<[string, string]> = [
    ['arrays nested 100 000 levels', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['arrays nested 100 000 levels inside an object', `{"inputs": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['objects nested 50 000 levels', `{"inputs": ${'{"a": '.repeat(50_000)}1${'}'.repeat(50_000)}}`],
  ];

  it.each(BODY_ENDPOINTS.flatMap(([method, path]) => DEEP.map(([what, text]) => [method, path, what, text])))(
    '%s %s with %s → 400, and the server stays up',
    async (method, path, _what, text) => {
      expect(text.length).toBeLessThan(BODY_LIMIT);
      expectErrorEnvelope(await api(method, resolve(path), text), 400, 'VALIDATION_FAILED');
      expect((await api('GET', '/api/health')).status).toBe(200);
    },
  );
});

describe('empty bodies', () => {
  it.each(BODY_ENDPOINTS.flatMap(([method, path]) => ['', '   ', '\r\n\t'].map((text) => [method, path, JSON.stringify(text), text])))(
    '%s %s with the body %s → 400',
    async (method, path, _shown, text) => {
      const answer = await api(method, resolve(path), text);
      expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.error.message).toMatch(/empty/);
    },
  );

  it.each(BODY_ENDPOINTS)('%s %s with no body at all → 400', async (method, path) => {
    expectErrorEnvelope(await api(method, resolve(path)), 400, 'VALIDATION_FAILED');
  });
});

describe('wrong types for every field of ScriptDraft', () => {
  const WRONG: Record<string, unknown[]> = {
    name: [42, null, true, [], {}, ''],
    description: [42, null, false, ['a'], {}],
    inputs: ['FT-101.PV', 42, null, {}, { tag: 'A', alias: 'a' }, ['A'], [{ tag: 1, alias: 'a' }], [{ tag: 'A', alias: 1 }], [{ tag: 'A' }], [null], [[]]],
    initCode: [42, null, [], {}, true],
    calcCode: [42, null, [], {}, true],
    outputs: ['X', 42, null, {}, [], [{ tag: 1, variable: 'out' }], [{ tag: 'X', variable: 1 }], [{ tag: 'X', variable: 'out', deadband: '0.1' }], [{ tag: 'X', variable: 'out', deadband: -1 }], [{ tag: 'X', variable: 'out', deadband: null }], [[]]],
    trigger: [
      'onChange',
      42,
      null,
      [],
      {},
      { type: 'sometimes' },
      { type: 'periodic' },
      { type: 'periodic', intervalMs: '1000' },
      { type: 'periodic', intervalMs: 99 },
      { type: 'onChange', inputs: 'input' },
      { type: 'onChange', inputs: [] },
      { type: 'onChange', inputs: [1] },
    ],
  };
  const cases = Object.entries(WRONG).flatMap(([field, values]) => values.map((value) => [field, JSON.stringify(value), value] as const));

  it.each(cases)('POST /api/scripts with %s = %s → 400 naming the field', async (field, _shown, value) => {
    const answer = await api('POST', '/api/scripts', draft({ [field]: value }));
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });

  it.each(cases)('PUT /api/scripts/{id} with %s = %s → 400 naming the field', async (field, _shown, value) => {
    const answer = await api('PUT', `/api/scripts/${savedId}`, draft({ [field]: value }));
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });

  it.each(cases)('POST /api/scripts/calculate with script.%s = %s → 400 naming the field', async (field, _shown, value) => {
    const answer = await api('POST', '/api/scripts/calculate', { script: draft({ [field]: value }) });
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });
});

describe('missing fields', () => {
  it.each(['name', 'inputs', 'calcCode', 'outputs'])('POST /api/scripts without %s → 400 naming it', async (field) => {
    const body = draft();
    delete body[field];
    const answer = await api('POST', '/api/scripts', body);
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });

  it.each(['inputs', 'calcCode', 'outputs'])('POST /api/scripts/calculate with a draft without %s → 400 naming it', async (field) => {
    const script = draft();
    delete script[field];
    const answer = await api('POST', '/api/scripts/calculate', { script });
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });

  it.each([
    ['POST', '/api/scripts/calculate', {}],
    ['POST', '/api/scripts/validate', {}],
    ['POST', '/api/scripts/debug', { inputs: {} }],
    ['POST', '/api/scripts/calculate', { script: draft(), scriptId: 'both' }],
    ['POST', '/api/scripts/benchmark', { durationMs: 100 }],
    ['POST', '/api/scripts/plot', { script: draft(), to: recent() }],
    ['POST', '/api/scripts/plot', { script: draft(), from: recent() }],
    ['POST', '/api/debug-sessions', {}],
    ['POST', '/api/values', [{ value: 1 }]],
    ['POST', '/api/values', [{ tag: 'BI.NO_VALUE' }]],
    ['POST', '/api/values', [{ tag: '', value: 1 }]],
  ] as const)('%s %s with %j → 400', async (method, path, body) => {
    expectErrorEnvelope(await api(method, path, body), 400, 'VALIDATION_FAILED');
  });
});

describe('bad raw values on POST /api/values', () => {
  it.each([
    ['tag a number', { tag: 42, value: 1 }],
    ['tag null', { tag: null, value: 1 }],
    ['value an object', { tag: 'BI.V', value: { a: 1 } }],
    ['value an array', { tag: 'BI.V', value: [1] }],
    ['value "NaN"', { tag: 'BI.V', value: 'NaN' }],
    ['value "-Infinity"', { tag: 'BI.V', value: '-Infinity' }],
    ['value "inf"', { tag: 'BI.V', value: 'inf' }],
    ['value over 4 KB', { tag: 'BI.V', value: 'x'.repeat(10_000) }],
    ['ts a boolean', { tag: 'BI.V', value: 1, ts: true }],
    ['ts an object', { tag: 'BI.V', value: 1, ts: {} }],
    ['ts "yesterday"', { tag: 'BI.V', value: 1, ts: 'yesterday' }],
    ['ts in epoch seconds', { tag: 'BI.V', value: 1, ts: 1_700_000_000 }],
    ['ts far in the future', { tag: 'BI.V', value: 1, ts: '2999-01-01T00:00:00Z' }],
    ['ts before 1990', { tag: 'BI.V', value: 1, ts: '1970-01-01T00:00:00Z' }],
    ['quality "excellent"', { tag: 'BI.V', value: 1, quality: 'excellent' }],
    ['quality -1', { tag: 'BI.V', value: 1, quality: -1 }],
    ['quality 1.5', { tag: 'BI.V', value: 1, quality: 1.5 }],
  ])('%s → 400', async (_what, value) => {
    expectErrorEnvelope(await api('POST', '/api/values', [{ tag: 'BI.GOOD', value: 1 }, value]), 400, 'VALIDATION_FAILED');
  });

  it('more than 10 000 values in one request → 400', async () => {
    const values = Array.from({ length: 10_001 }, (_, index) => ({ tag: 'BI.MANY', value: index }));
    const answer = await api('POST', '/api/values', values);
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toMatch(/10 000/);
  });
});

describe('oversized bodies', () => {
  const over = `[${' '.repeat(BODY_LIMIT)}]`;

  it.each(BODY_ENDPOINTS)('%s %s with a content-length over the limit → 413', async (method, path) => {
    const answer = await rawRequest(app.url, {
      method,
      path: resolve(path),
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(over)) },
      chunks: [over],
    });
    expectErrorEnvelope(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each(BODY_ENDPOINTS)('%s %s chunked (no content-length) over the limit → 413', async (method, path) => {
    const chunks = Array.from({ length: Math.ceil(over.length / 65_536) }, (_, index) => over.slice(index * 65_536, (index + 1) * 65_536));
    const answer = await rawRequest(app.url, { method, path: resolve(path), headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, chunks });
    expectErrorEnvelope(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a chunked body of 20 MB is cut off at the limit → 413, and the server stays up', async () => {
    const chunk = ' '.repeat(1024 * 1024);
    const answer = await rawRequest(app.url, {
      method: 'POST',
      path: '/api/values',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      chunks: ['[', ...Array.from({ length: 20 }, () => chunk), ']'],
    });
    expectErrorEnvelope(answer, 413, 'PAYLOAD_TOO_LARGE');
    expect((await api('GET', '/api/health')).status).toBe(200);
  });

  it('a declared content-length of 10 GB is refused before any body is read → 413', async () => {
    const answer = await rawRequest(app.url, {
      method: 'POST',
      path: '/api/scripts',
      headers: { 'content-type': 'application/json', 'content-length': String(10 * 1024 ** 3) },
      chunks: ['{'],
    });
    expectErrorEnvelope(answer, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a client that hangs up in the middle of its body costs nothing: no 500 logged, the server stays up', async () => {
    const { port } = new URL(app.url);
    const socket = net.connect(Number(port), '127.0.0.1');
    await new Promise((resolveConnect) => socket.once('connect', resolveConnect));
    socket.write('POST /api/values HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{"tag": "BI.CUT", ');
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 300));
    socket.destroy();
    await new Promise((resolveTimer) => setTimeout(resolveTimer, 500));
    expect((await api('GET', '/api/health')).status).toBe(200);
    expect(app.output()).not.toMatch(/unexpected error in API request/);
  });

  it('a body of exactly the limit is read (202)', async () => {
    const values = JSON.stringify([{ tag: 'BI.AT_LIMIT', value: 1 }]);
    const body = values + ' '.repeat(BODY_LIMIT - Buffer.byteLength(values));
    const answer = await rawRequest(app.url, {
      method: 'POST',
      path: '/api/values',
      headers: { 'content-type': 'application/json', 'content-length': String(BODY_LIMIT) },
      chunks: [body],
    });
    expect(answer.status, answer.text).toBe(202);
  });
});

describe('odd Unicode', () => {
  const RTL = '\u202eevil\u202c';
  const EMOJI = '👨‍👩‍👧 😀🔥';
  const COMBINING = 'e\u0301a\u0308o\u0302';

  it.each([
    ['description', 'an RTL override', { description: RTL }],
    ['description', 'emoji', { description: EMOJI }],
    ['description', 'combining characters', { description: COMBINING }],
    ['description', '2 000 characters', { description: 'é'.repeat(2000) }],
    ['inputs', 'an RTL override in a tag', { inputs: [{ tag: `BI.${RTL}.${sequence}`, alias: 'input' }] }],
    ['inputs', 'emoji in a tag', { inputs: [{ tag: `BI.${EMOJI}.${sequence}`, alias: 'input' }] }],
    ['inputs', 'combining characters in a tag and an alias', { inputs: [{ tag: `BI.${COMBINING}.${sequence}`, alias: 'inpute\u0301' }], calcCode: 'const out = inpute\u0301 * 2;' }],
    ['inputs', 'a tag of 256 characters', { inputs: [{ tag: `BI.${'ü'.repeat(253)}`, alias: 'input' }] }],
    ['calcCode', 'emoji, RTL and combining characters in strings and comments', { calcCode: `// ${RTL} ${COMBINING}\nconst label = "${EMOJI}";\nconst out = input * 2;` }],
    ['calcCode', '10 000 characters', { calcCode: `/*${'x'.repeat(10_000 - 27)}*/\nconst out = input * 2;` }],
  ])('%s with %s is saved and read back unchanged (201)', async (_field, _what, overrides) => {
    const body = draft(overrides);
    const created = await api('POST', '/api/scripts', body);
    expect(created.status, created.text).toBe(201);
    const read = await api('GET', `/api/scripts/${created.json.id}`);
    expect(read.status).toBe(200);
    for (const key of Object.keys(overrides)) expect(read.json[key]).toEqual(body[key]);
  });

  it.each([
    ['name', 'an RTL override', { name: `bad${RTL}` }],
    ['name', 'emoji', { name: 'bad😀' }],
    ['name', 'combining characters', { name: COMBINING }],
    ['name', 'a lone surrogate', { name: 'bad\ud800' }],
    ['name', 'NUL', { name: 'bad\u0000' }],
    ['name', '10 000 characters', { name: 'n'.repeat(10_000) }],
    ['description', 'a lone surrogate', { description: 'half \udc00 pair' }],
    ['description', 'NUL', { description: 'nul \u0000 here' }],
    ['description', '10 000 characters', { description: 'd'.repeat(10_000) }],
    ['inputs', 'a lone surrogate in a tag', { inputs: [{ tag: 'BI.\ud83d', alias: 'input' }] }],
    ['inputs', 'NUL in a tag', { inputs: [{ tag: 'BI.\u0000', alias: 'input' }] }],
    ['inputs', 'a tag of 10 000 characters', { inputs: [{ tag: 't'.repeat(10_000), alias: 'input' }] }],
    ['inputs', 'an emoji alias', { inputs: [{ tag: 'BI.X', alias: '😀' }] }],
    ['inputs', 'an RTL mark in an alias', { inputs: [{ tag: 'BI.X', alias: `in\u200fput` }] }],
    ['outputs', 'a lone surrogate in a tag', { outputs: [{ tag: 'BI.OUT\udfff', variable: 'out' }] }],
    ['calcCode', 'a lone surrogate', { calcCode: 'const out = "\ud800";' }],
    ['calcCode', 'NUL', { calcCode: 'const out = 1;\u0000' }],
    ['initCode', 'a lone surrogate', { initCode: 'let s = "\udbff";' }],
  ])('%s with %s → 400 naming the field', async (field, _what, overrides) => {
    const answer = await api('POST', '/api/scripts', draft(overrides));
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toContain(field);
  });

  it.each([
    ['an RTL override', `BI.TAG.${RTL}`],
    ['emoji', `BI.TAG.${EMOJI}`],
    ['combining characters', `BI.TAG.${COMBINING}`],
    ['Hangul and CJK', 'BI.TAG.보일러.蒸気'],
  ])('a raw value for a tag with %s is accepted and readable by its URL-encoded name', async (_what, tag) => {
    const posted = await api('POST', '/api/values', [{ tag, value: EMOJI, ts: recent() }]);
    expect(posted.status, posted.text).toBe(202);
    const read = await waitFor(async () => {
      const answer = await api('GET', `/api/tags/${encodeURIComponent(tag)}`);
      return answer.status === 200 ? answer : undefined;
    }, `tag ${tag}`);
    expect(read.json).toMatchObject({ tag, value: EMOJI, source: 'raw' });
  });

  it.each([
    ['a lone surrogate in the tag', { tag: 'BI.\ud800', value: 1 }],
    ['a lone low surrogate in the tag', { tag: 'BI.\udc00x', value: 1 }],
    ['NUL in the tag', { tag: 'BI.\u0000', value: 1 }],
    ['a tag of 10 000 characters', { tag: 'x'.repeat(10_000), value: 1 }],
    ['a lone surrogate in a string value', { tag: 'BI.STR', value: 'half \ud800' }],
    ['NUL in a string value', { tag: 'BI.STR', value: 'a\u0000b' }],
  ])('a raw value with %s → 400', async (_what, value) => {
    expectErrorEnvelope(await api('POST', '/api/values', [value]), 400, 'VALIDATION_FAILED');
  });

  it('values refused for their characters never reach history: later history is written', async () => {
    const tag = `BI.HISTORY.${randomUUID().slice(0, 8)}`;
    await api('POST', '/api/values', [{ tag: 'BI.STR', value: 'a\u0000b' }]);
    await api('POST', '/api/values', [{ tag: 'BI.STR', value: '\ud800' }]);
    expect((await api('POST', '/api/values', [{ tag, value: 7, ts: recent() }])).status).toBe(202);
    const history = await waitFor(async () => {
      const answer = await api('GET', `/api/tags/${encodeURIComponent(tag)}/history?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
      return answer.status === 200 && answer.json.points.length > 0 ? answer.json : undefined;
    }, 'the history of a good value', 20_000);
    expect(history.points[0]).toMatchObject({ value: 7 });
  });
});

describe('tag names with /, %, .., quotes, backslashes and SQL in the path', () => {
  const TAGS = [
    'AREA 1/FT-9.PV',
    '/',
    '%',
    '%2F',
    '%%25',
    '../..',
    'x/..',
    '../etc/passwd',
    'q"uote\'s',
    'back\\slash',
    "'; drop table scripts; --",
    '" or 1=1 --',
    '?query=1&x#frag',
    'history',
    'x/history',
  ];

  beforeAll(async () => {
    const posted = await api('POST', '/api/values', TAGS.map((tag, index) => ({ tag, value: index, ts: recent() })));
    expect(posted.status, posted.text).toBe(202);
  });

  it.each(TAGS)('GET /api/tags/{%s} (URL-encoded) → 200 with exactly that tag', async (tag) => {
    const read = await waitFor(async () => {
      const answer = await api('GET', `/api/tags/${encodeURIComponent(tag)}`);
      return answer.status === 200 ? answer : undefined;
    }, `tag ${tag}`);
    expect(read.json).toMatchObject({ tag, value: TAGS.indexOf(tag), source: 'raw' });
  });

  it.each(TAGS)('GET /api/tags/{%s}/history → 200 with its point', async (tag) => {
    const from = encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString());
    const history = await waitFor(async () => {
      const answer = await api('GET', `/api/tags/${encodeURIComponent(tag)}/history?from=${from}`);
      return answer.status === 200 && answer.json.points.length > 0 ? answer : undefined;
    }, `history of ${tag}`, 20_000);
    expect(history.json.tag).toBe(tag);
    expect(history.json.points.at(-1).value).toBe(TAGS.indexOf(tag));
  });

  it.each([
    ['an unknown tag', 'BI.NEVER.SEEN'],
    ['a tag with SQL', "NEVER'; delete from tag_latest; --"],
    ['a tag with quotes and backslashes', 'NEVER "\\" \''],
    ['a tag that is only %', '%%'],
  ])('GET /api/tags/{%s} and its history → 404', async (_what, tag) => {
    expectErrorEnvelope(await api('GET', `/api/tags/${encodeURIComponent(tag)}`), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('GET', `/api/tags/${encodeURIComponent(tag)}/history`), 404, 'NOT_FOUND');
  });

  it.each([
    ['a lone %', '/api/tags/%'],
    ['a truncated escape', '/api/tags/%E0%A4%A'],
    ['an encoded lone surrogate (not UTF-8)', '/api/tags/%ED%A0%80'],
    ['an invalid UTF-8 byte', '/api/tags/%FF/history'],
    ['an overlong slash', '/api/scripts/%C0%AF'],
    ['a lone % in a script id', '/api/scripts/%'],
    ['a lone % in a debug session id', '/api/debug-sessions/%25%/run'],
  ])('a path with %s (%s) → 400', async (_what, path) => {
    const post = path.endsWith('/run');
    const answer = await rawRequest(app.url, { method: post ? 'POST' : 'GET', path, headers: post ? { 'content-type': 'application/json' } : {}, chunks: post ? ['{}'] : [] });
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['NUL', '/api/tags/BI%00X'],
    ['NUL in the history path', '/api/tags/%00/history'],
  ])('a tag path with %s (%s) → 400', async (_what, path) => {
    expectErrorEnvelope(await api('GET', path), 400, 'VALIDATION_FAILED');
  });

  it('a URL over 16 KB is refused by Node before the app (431, no envelope possible there), and the server stays up', async () => {
    const answer = await rawRequest(app.url, { method: 'GET', path: `/api/tags/${'x'.repeat(20_000)}` });
    expect(answer.status).toBe(431);
    expect((await api('GET', '/api/health')).status).toBe(200);
  });

  it.each([
    ['..', '/api/tags/..'],
    ['.', '/api/tags/.'],
    ['%2E%2E', '/api/tags/%2E%2E'],
    ['../..', '/api/tags/../..'],
  ])('a dot-segment tag path (%s) is rewritten by the client; the answer is still JSON, never a 500', async (_what, path) => {
    const answer = await api('GET', path);
    expect(answer.status).toBeLessThan(500);
    if (answer.status >= 400) expect(envelopeProblem(answer)).toBeNull();
  });

  it.each(['.', '..', ' .. '])('a raw value for the tag %j is refused: it could never be read back by URL → 400', async (tag) => {
    expectErrorEnvelope(await api('POST', '/api/values', [{ tag, value: 1 }]), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ["'; drop table scripts; --", 1],
    ['" or 1=1 --', 1],
    ['%', 3],
    ['\\', 1],
    ['..', 3],
  ] as const)('GET /api/tags?query=%s → 200, every tag listed contains it', async (query, atLeast) => {
    const answer = await api('GET', `/api/tags?query=${encodeURIComponent(query)}&limit=10000`);
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.tags.length).toBeGreaterThanOrEqual(atLeast);
    for (const { tag } of answer.json.tags) expect(tag.toLowerCase()).toContain(query.toLowerCase());
  });

  it.each([
    ['from with SQL', `from=${encodeURIComponent("'; drop table history; --")}`],
    ['to with quotes', `to=${encodeURIComponent('"now"')}`],
    ['from after to', `from=${encodeURIComponent('2026-01-02T00:00:00Z')}&to=${encodeURIComponent('2026-01-01T00:00:00Z')}`],
    ['from ..', 'from=..'],
    ['maxPoints with SQL', `maxPoints=${encodeURIComponent('1; drop table scripts')}`],
  ])('GET /api/tags/{tag}/history with %s → 400', async (_what, query) => {
    expectErrorEnvelope(await api('GET', `/api/tags/${encodeURIComponent("'; drop table scripts; --")}/history?${query}`), 400, 'VALIDATION_FAILED');
  });

  it('a query string that is not valid encoding is read leniently → 200', async () => {
    const answer = await rawRequest(app.url, { method: 'GET', path: '/api/tags?query=%&limit=%E0' });
    expect(answer.status).toBeLessThan(500);
    if (answer.status >= 400) expect(envelopeProblem(answer)).toBeNull();
  });

  it.each([
    ['description', { description: "'; drop table scripts; --" }],
    ['a tag', { inputs: [{ tag: "BI'; drop table scripts; --", alias: 'input' }] }],
    ['calcCode', { calcCode: "// '; drop table scripts; --\nconst out = input;" }],
  ])('SQL in %s is saved as text and read back unchanged', async (_what, overrides) => {
    const body = draft(overrides);
    const created = await api('POST', '/api/scripts', body);
    expect(created.status, created.text).toBe(201);
    const read = await api('GET', `/api/scripts/${created.json.id}`);
    for (const key of Object.keys(overrides)) expect(read.json[key]).toEqual(body[key]);
    expect((await api('GET', '/api/scripts')).status).toBe(200);
  });

  it('a script name with SQL → 400', async () => {
    expectErrorEnvelope(await api('POST', '/api/scripts', draft({ name: "x'; drop table scripts; --" })), 400, 'VALIDATION_FAILED');
  });
});

describe('unknown ids', () => {
  const UNKNOWN = [
    randomUUID(),
    '00000000-0000-0000-0000-000000000000',
    'garbage',
    '%25',
    "'; drop table scripts; --",
    '" or ""="',
    '..%2F..',
    'null',
    'undefined',
    '0',
    '-1',
    '1e308',
    '😀',
    'a b',
    'x'.repeat(200),
  ];
  const enc = encodeURIComponent;

  it.each(UNKNOWN)('every script operation with the id %s → 404', async (id) => {
    const path = `/api/scripts/${enc(id)}`;
    expectErrorEnvelope(await api('GET', path), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('PUT', path, draft()), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('DELETE', path), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('POST', `${path}/register`), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('POST', `${path}/unregister`), 404, 'NOT_FOUND');
  });

  it.each(UNKNOWN)('every run of the scriptId %s → 404', async (scriptId) => {
    for (const endpoint of ['validate', 'calculate', 'debug', 'benchmark']) {
      expectErrorEnvelope(await api('POST', `/api/scripts/${endpoint}`, { scriptId }), 404, 'NOT_FOUND');
    }
    expectErrorEnvelope(await api('POST', '/api/scripts/plot', { scriptId, from: recent(), to: new Date().toISOString() }), 404, 'NOT_FOUND');
  });

  it.each(UNKNOWN)('the debug session %s → 404', async (id) => {
    expectErrorEnvelope(await api('POST', `/api/debug-sessions/${enc(id)}/run`, {}), 404, 'NOT_FOUND');
    expectErrorEnvelope(await api('DELETE', `/api/debug-sessions/${enc(id)}`), 404, 'NOT_FOUND');
  });

  it('an id over 200 characters → 400; an empty scriptId → 400', async () => {
    const long = 'x'.repeat(201);
    expectErrorEnvelope(await api('GET', `/api/scripts/${long}`), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('DELETE', `/api/debug-sessions/${long}`), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('POST', '/api/scripts/calculate', { scriptId: '' }), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('POST', '/api/scripts/calculate', { scriptId: long }), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['NUL', '\u0000'],
    ['NUL inside', 'abc\u0000def'],
  ])('a script id with %s in the path → 400 (the database cannot be asked for it)', async (_what, id) => {
    const path = `/api/scripts/${encodeURIComponent(id)}`;
    expectErrorEnvelope(await api('GET', path), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('PUT', path, draft()), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('DELETE', path), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('POST', `${path}/register`), 400, 'VALIDATION_FAILED');
    expectErrorEnvelope(await api('POST', `${path}/unregister`), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['a lone low surrogate', '\udfff'],
  ])('a scriptId with %s in a run body → 400', async (_what, scriptId) => {
    for (const endpoint of ['validate', 'calculate', 'debug', 'benchmark']) {
      expectErrorEnvelope(await api('POST', `/api/scripts/${endpoint}`, { scriptId }), 400, 'VALIDATION_FAILED');
    }
    expectErrorEnvelope(await api('POST', '/api/scripts/plot', { scriptId, from: recent(), to: new Date().toISOString() }), 400, 'VALIDATION_FAILED');
  });
});

describe('wrong methods', () => {
  it.each([
    ['PATCH', '/api/scripts'],
    ['DELETE', '/api/scripts'],
    ['PUT', '/api/scripts'],
    ['PATCH', '/api/scripts/{id}'],
    ['POST', '/api/scripts/{id}'],
    ['GET', '/api/scripts/{id}/register'],
    ['DELETE', '/api/scripts/{id}/unregister'],
    ['GET', '/api/scripts/validate'],
    ['GET', '/api/scripts/calculate'],
    ['PUT', '/api/scripts/plot'],
    ['GET', '/api/values'],
    ['PUT', '/api/values'],
    ['DELETE', '/api/tags'],
    ['POST', '/api/tags/BI.X'],
    ['DELETE', '/api/tags/BI.X/history'],
    ['POST', '/api/health'],
    ['POST', '/api/metrics'],
    ['POST', '/api/openapi.json'],
    ['GET', '/api/debug-sessions'],
    ['GET', '/api/debug-sessions/{session}'],
    ['GET', '/api/debug-sessions/{session}/run'],
  ])('%s %s → 404 in the envelope, with an Allow header', async (method, path) => {
    const answer = await api(method, resolve(path), method === 'GET' ? undefined : '{}');
    expectErrorEnvelope(answer, 404, 'NOT_FOUND');
    expect(answer.headers.get('allow')).toMatch(/^[A-Z, ]+$/);
  });

  it.each([
    ['GET', '/api'],
    ['GET', '/api/'],
    ['GET', '/api/nothing-here'],
    ['POST', '/api/scripts/{id}/explode'],
  ])('%s %s (no such endpoint) → 404 in the envelope', async (method, path) => {
    expectErrorEnvelope(await api(method, resolve(path)), 404, 'NOT_FOUND');
  });
});

describe('content types', () => {
  const body = () => JSON.stringify(draft());

  it.each([
    ['text/plain', 'text/plain'],
    ['text/plain with a charset', 'text/plain;charset=UTF-8'],
    ['a form', 'application/x-www-form-urlencoded'],
    ['multipart', 'multipart/form-data; boundary=x'],
    ['XML', 'application/xml'],
  ])('JSON sent as %s → 400', async (_what, contentType) => {
    for (const [method, path] of [['POST', '/api/scripts'], ['PUT', `/api/scripts/${savedId}`], ['POST', '/api/values']]) {
      const answer = await rawRequest(app.url, { method, path, headers: { 'content-type': contentType }, chunks: [path === '/api/values' ? '[]' : body()] });
      expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.error.message).toMatch(/application\/json/);
    }
  });

  it.each([
    ['application/json; charset=utf-8', 'application/json; charset=utf-8'],
    ['upper case', 'APPLICATION/JSON'],
    ['a +json type', 'application/merge-patch+json'],
    ['no content type (curl --data-binary without -H)', undefined],
  ])('JSON sent with %s is read (201)', async (_what, contentType) => {
    const answer = await rawRequest(app.url, { method: 'POST', path: '/api/scripts', headers: contentType ? { 'content-type': contentType } : {}, chunks: [body()] });
    expect(answer.status, answer.text).toBe(201);
  });

  it('bytes that are not UTF-8 → 400', async () => {
    const latin1 = Buffer.from('[{"tag":"BI.caf\xe9","value":1}]', 'latin1');
    const answer = await rawRequest(app.url, { method: 'POST', path: '/api/values', headers: { 'content-type': 'application/json' }, chunks: [latin1] });
    expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    expect(answer.json.error.message).toMatch(/UTF-8/);
  });
});

describe('arrays where objects are expected, and the reverse', () => {
  it.each([
    ['POST', '/api/scripts', () => [draft()]],
    ['PUT', '/api/scripts/{id}', () => [draft()]],
    ['POST', '/api/scripts', () => draft({ inputs: [[{ tag: 'A', alias: 'a' }]] })],
    ['POST', '/api/scripts', () => draft({ outputs: [[{ tag: 'A', variable: 'out' }]] })],
    ['POST', '/api/scripts', () => draft({ trigger: [{ type: 'onChange' }] })],
    ['POST', '/api/scripts/calculate', () => [{ script: draft() }]],
    ['POST', '/api/scripts/calculate', () => ({ script: [draft()] })],
    ['POST', '/api/scripts/calculate', () => ({ scriptId: [savedId] })],
    ['POST', '/api/scripts/calculate', () => ({ scriptId: savedId, inputs: [1, 2] })],
    ['POST', '/api/scripts/validate', () => ({ script: [draft()] })],
    ['POST', '/api/scripts/debug', () => ({ scriptId: savedId, inputs: [[1]] })],
    ['POST', '/api/debug-sessions', () => ({ script: [] })],
    ['POST', '/api/debug-sessions', () => [{ script: draft() }]],
    ['POST', '/api/debug-sessions/{session}/run', () => []],
    ['POST', '/api/debug-sessions/{session}/run', () => ({ inputs: [] })],
    ['POST', '/api/values', () => ({})],
    ['POST', '/api/values', () => ({ tag: 'BI.ONE', value: 1 })],
    ['POST', '/api/values', () => [[{ tag: 'BI.ONE', value: 1 }]]],
  ] as const)('%s %s with %s → 400', async (method, path, body) => {
    expectErrorEnvelope(await api(method, resolve(path), body()), 400, 'VALIDATION_FAILED');
  });
});

describe('numbers at the edge', () => {
  /** JSON text with `"__N__"` replaced by a raw number literal (1e400 cannot be made by JSON.stringify). */
  const withNumber = (body: unknown, literal: string) => JSON.stringify(body).replace('"__N__"', literal);
  const EDGES = ['1e308', '-1e308', '-0', '9007199254740993', '1e400', '-1', '0.5'];

  it.each([
    ['1e308', 201],
    ['-1e308', 400],
    ['-0', 201],
    ['9007199254740993', 201],
    ['1e400', 400],
    ['-1', 400],
    ['0.5', 201],
  ] as const)('deadband %s → %i', async (literal, status) => {
    const answer = await api('POST', '/api/scripts', withNumber(draft({ outputs: [{ tag: `BI.DB.${sequence}`, variable: 'out', deadband: '__N__' }] }), literal));
    if (status === 201) expect(answer.status, answer.text).toBe(201);
    else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each([...EDGES.map((literal) => [literal, 400] as const), ['100', 201], ['86400000', 201], ['86400001', 400], ['100.5', 400]] as const)(
    'trigger.intervalMs %s → %i',
    async (literal, status) => {
      const answer = await api('POST', '/api/scripts', withNumber(draft({ trigger: { type: 'periodic', intervalMs: '__N__' } }), literal));
      if (status === 201) expect(answer.status, answer.text).toBe(201);
      else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    },
  );

  it.each([...EDGES.map((literal) => [literal, 400] as const), ['1', 400], ['2', 200], ['100000', 200], ['100001', 400]] as const)(
    'plot maxPoints %s → %i',
    async (literal, status) => {
      const body = { script: draft(), from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString(), maxPoints: '__N__' };
      const answer = await api('POST', '/api/scripts/plot', withNumber(body, literal));
      if (status === 200) expect(answer.status, answer.text).toBe(200);
      else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
    },
  );

  it.each([...EDGES.map((literal) => [literal, 400] as const), ['99', 400], ['10001', 400], ['100', 200]] as const)('benchmark durationMs %s → %i', async (literal, status) => {
    const answer = await api('POST', '/api/scripts/benchmark', withNumber({ scriptId: savedId, durationMs: '__N__' }, literal));
    if (status === 200) expect(answer.status, answer.text).toBe(200);
    else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['1e308', 400],
    ['-0', 400],
    ['9007199254740993', 400],
    ['Infinity', 400],
    ['NaN', 400],
    ['', 400],
    ['0', 400],
    ['1.5', 400],
    ['10001', 400],
    ['abc', 400],
    ['1', 200],
    ['1e3', 200],
    ['10000', 200],
  ] as const)('GET /api/tags?limit=%s → %i', async (limit, status) => {
    const answer = await api('GET', `/api/tags?limit=${encodeURIComponent(limit)}`);
    if (status === 200) expect(answer.status, answer.text).toBe(200);
    else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['1e308', 400],
    ['-0', 400],
    ['9007199254740993', 400],
    ['Infinity', 400],
    ['1', 400],
    ['2', 200],
    ['100000', 200],
  ] as const)('GET /api/tags/{tag}/history?maxPoints=%s → %i', async (maxPoints, status) => {
    await api('POST', '/api/values', [{ tag: 'BI.EDGE', value: 1, ts: recent() }]);
    const answer = await waitFor(async () => {
      const result = await api('GET', `/api/tags/BI.EDGE/history?maxPoints=${encodeURIComponent(maxPoints)}`);
      return result.status === 404 ? undefined : result;
    }, 'BI.EDGE known');
    if (status === 200) expect(answer.status, answer.text).toBe(200);
    else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['ts', '1e308', 400],
    ['ts', '-0', 400],
    ['ts', '9007199254740993', 400],
    ['ts', '1e400', 400],
    ['ts', String(Date.now()), 202],
    ['quality', '9007199254740993', 400],
    ['quality', '4294967296', 400],
    ['quality', '1e308', 400],
    ['quality', '-0', 202],
    ['value', '1e308', 202],
    ['value', '-0', 202],
    ['value', '9007199254740993', 202],
    ['value', '1e400', 400],
  ] as const)('a raw value with %s %s → %i', async (field, literal, status) => {
    const answer = await api('POST', '/api/values', withNumber([{ tag: 'BI.EDGE.VALUE', value: 1, [field]: '__N__' }], literal));
    if (status === 202) expect(answer.status, answer.text).toBe(202);
    else expectErrorEnvelope(answer, 400, 'VALIDATION_FAILED');
  });

  it.each(['1e308', '-1e308', '-0', '9007199254740993'])('calculate with the input override %s runs (200), a non-finite output is reported, not thrown', async (literal) => {
    const answer = await api('POST', '/api/scripts/calculate', withNumber({ scriptId: savedId, inputs: { input: '__N__' } }, literal));
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toHaveProperty('outputs');
  });
});

describe('schema-driven fuzzing of /api/openapi.json', () => {
  const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
  const SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);

  it(`answers every generated request of every operation below 500, errors in the envelope (${RUNS} runs each)`, async () => {
    const document = (await api('GET', '/api/openapi.json')).json as OpenApiDocument;
    const operations = listOperations(document);
    expect(operations.length).toBeGreaterThanOrEqual(20);

    // Real ids, so that part of the generated requests reach the use cases instead of 404.
    const scriptIds: string[] = [savedId];
    for (let index = 0; index < 3; index++) {
      const created = await api('POST', '/api/scripts', draft({ inputs: [{ tag: 'FUZZ.A', alias: 'a' }, { tag: 'FUZZ.B', alias: 'b' }], calcCode: 'const out = a + b;' }));
      scriptIds.push(created.json.id);
    }
    await api('POST', `/api/scripts/${scriptIds[1]}/register`);
    await api('POST', '/api/values', [{ tag: 'FUZZ.A', value: 1, ts: recent() }, { tag: 'FUZZ.B', value: 2, ts: recent() }]);
    const sessionIds = [sessionId];

    const identifier = fc.oneof(fc.constantFrom('a', 'b', 'input', 'out', 'steam', 'x1'), fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/));
    const overrides = fc.dictionary(fc.constantFrom('a', 'b'), fc.oneof(fc.double(), fc.boolean(), fc.string(), fc.constant(null)), { maxKeys: 2 });
    // Drafts the rules accept: unique aliases, unique output tags that are not inputs, triggers on known aliases.
    const draftInputs = fc.uniqueArray(fc.record({ tag: fc.constantFrom('FUZZ.A', 'FUZZ.B', 'FUZZ.C'), alias: fc.constantFrom('a', 'b', 'c') }), {
      minLength: 1,
      maxLength: 3,
      selector: (input) => input.alias,
    }).filter((inputs) => new Set(inputs.map((input) => input.tag)).size === inputs.length);
    const draftOutputs = fc.uniqueArray(
      fc.record({ tag: fc.stringMatching(/^FUZZ\.OUT\.[A-Z0-9]{1,6}$/), variable: fc.constantFrom('out', 'y'), deadband: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: undefined }) }, { requiredKeys: ['tag', 'variable'] }),
      { minLength: 1, maxLength: 2, selector: (output) => output.tag },
    );
    const draftTrigger = fc.oneof(fc.constant({ type: 'onChange' }), fc.record({ type: fc.constant('periodic'), intervalMs: fc.integer({ min: 100, max: 60_000 }) }));
    const tag = fc.oneof(fc.constantFrom('FUZZ.A', 'FUZZ.B', 'FT-101.PV', 'AREA 1/FT-9.PV'), fc.stringMatching(/^FUZZ\.[A-Z0-9-]{1,6}$/));
    // Epoch ms or ISO text; every hinted `from` is before every hinted `to`.
    const time = (min: number, max: number) => fc.integer({ min, max }).chain((ms) => fc.constantFrom<number | string>(ms, new Date(ms).toISOString()));
    const hour = 3_600_000;
    const options = {
      propertyHints: {
        alias: identifier,
        variable: identifier,
        tag,
        name: fc.stringMatching(/^fuzz_[a-z0-9_]{1,20}$/),
        calcCode: fc.constantFrom('const out = a * 2, y = 1;', 'const out = a + 1; const y = out;', 'let out = 0, y = 0; for (let i = 0; i < 10; i++) out += i;', 'const out = ;', 'throw new Error("no");', 'const out = a.b.c;', 'const out = "😀", y = null;'),
        'ScriptDraft.inputs': draftInputs,
        'RunnableDraft.inputs': draftInputs,
        'ScriptDraft.outputs': draftOutputs,
        'RunnableDraft.outputs': draftOutputs,
        'ScriptDraft.trigger': draftTrigger,
        'RunnableDraft.trigger': draftTrigger,
        initCode: fc.constantFrom('let runs = 0;', '', 'let state = {};', 'throw 1;'),
        scriptId: fc.constantFrom(...scriptIds),
        from: time(Date.now() - 7 * 24 * hour, Date.now() - hour),
        to: time(Date.now() - hour + 1, Date.now()),
        maxPoints: fc.integer({ min: 2, max: 5_000 }),
        ts: time(Date.now() - 24 * hour, Date.now()),
        'RunRequest.inputs': overrides,
        'BenchmarkRequest.inputs': overrides,
        'PlotRequest.inputs': overrides,
        'DebugSessionRun.inputs': overrides,
      },
      // A conforming benchmark would run up to 10 s: keep the in-range ones short, the rest out of range.
      propertyOverrides: {
        durationMs: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 100, max: 120 }) },
          { weight: 1, arbitrary: fc.integer({ min: -1e9, max: 99 }) },
          { weight: 1, arbitrary: fc.integer({ min: 10_001, max: 2 ** 53 }) },
          { weight: 1, arbitrary: fc.double() },
          { weight: 1, arbitrary: fc.constantFrom(-0, 1e308, 2 ** 53 + 1) },
        ),
      },
    };

    console.log(`fuzzing ${operations.length} operations × ${RUNS} runs; seed ${SEED} (replay with FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`);
    const failures: string[] = [];
    const summary: Array<{ operation: string; requests: number; ms: number; statuses: string }> = [];
    const started = performance.now();
    for (const [index, operation] of operations.entries()) {
      // Real ids for every path parameter — except for DELETE, which would leave nothing real to hit.
      const ids = operation.path.startsWith('/api/debug-sessions') ? sessionIds : scriptIds;
      const pathHints: Record<string, fc.Arbitrary<string>> = operation.method === 'DELETE' ? {} : { id: fc.constantFrom(...ids), tag: fc.constantFrom('FUZZ.A', 'FUZZ.B') };
      const requests = requestArbitrary(operation, document, { ...options, pathHints });
      const statuses = new Map<number, number>();
      let sent = 0;
      const operationStarted = performance.now();
      const result = await fc.check(
        fc.asyncProperty(requests, async (request: FuzzRequest) => {
          sent++;
          const answer = await sendRequest(app.url, request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const problem = answerProblem(answer, operation.documentedStatuses);
          if (problem) throw new Error(`${problem}\n  request: ${describeRequest(app.url, request)}`);
        }),
        { numRuns: operation.id === 'openApi' ? 5 : RUNS, seed: SEED + index, endOnFailure: true },
      );
      if (result.failed) {
        failures.push(`${operation.method} ${operation.path} (${operation.id}), seed ${SEED + index}, path ${result.counterexamplePath}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}`);
      }
      summary.push({
        operation: `${operation.method} ${operation.path}`,
        requests: sent,
        ms: Math.round(performance.now() - operationStarted),
        statuses: [...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' '),
      });
    }
    const total = summary.reduce((sum, row) => sum + row.requests, 0);
    console.table(summary);
    console.log(`fuzzing sent ${total} requests in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect((await api('GET', '/api/health')).status).toBe(200);
  }, 240_000);
});

describe('after all of it', () => {
  it('the server is healthy, still lists its scripts and logged no unexpected error', async () => {
    expect(app.process.exitCode).toBeNull();
    const health = await api('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toBe('ok');
    const scripts = await api('GET', '/api/scripts');
    expect(scripts.status).toBe(200);
    expect(scripts.json.scripts.length).toBeGreaterThan(10);
    expect(app.output()).not.toMatch(/unexpected error in API request|"level":50/);
  });
});
