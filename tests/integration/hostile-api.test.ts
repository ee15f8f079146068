import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app-process';
import { callApi } from '../helpers/api-requests';

/**
 * R1 (quality-bar.md) through the API of the built app, embedded mode, no simulator: hostile drafts
 * run through calculate, debug, benchmark and debug sessions, and hostile scripts registered. Each
 * answer is a 200 (or the documented 4xx) with the right error kind and a clear message — never a 500 —
 * within a bounded time; afterwards /api/health is 200, other calls answer quickly, and a well-behaved
 * registered script computes the correct output of a freshly posted value within a few seconds.
 */

const LIMITS_ENV = { SCRIPT_CPU_MS: '50', SCRIPT_INIT_CPU_MS: '200', SCRIPT_MEMORY_MB: '32', QUARANTINE_AFTER: '3' };
/** An editor run answers within this, whatever the draft (deadlines are 50 ms and 200 ms). */
const RUN_BOUND_MS = 5000;
/** Other calls, right after a hostile run. */
const QUICK_BOUND_MS = 2000;
/** A freshly posted value's output appears within this. */
const OUTPUT_BOUND_MS = 5000;

const INPUT = 'R1.API.IN';

// The well-behaved script (the same as in lib/engine/hostile-scripts.test.ts): y = 4a + 4.
const wellBehaved = {
  name: 'r1_well_behaved',
  inputs: [{ tag: INPUT, alias: 'a' }],
  initCode: 'let n = 0;\nfunction* pair(v) { yield v; yield 1; }',
  calcCode: [
    'n++;',
    'const xs = [];',
    'for (const v of [a, a + 1]) xs.push(v);',
    'let fromGenerator = 0;',
    'for (const v of pair(a)) fromGenerator += v;',
    'const viaJson = JSON.parse(JSON.stringify({ v: a })).v;',
    'const leaks = ["r1Shared", "polluted", "r1Leak"].filter((k) => k in globalThis || k in {} || k in []).length;',
    'const y = Math.max(...xs) * 2 + viaJson + fromGenerator + Object.keys({ p: 1 }).length + leaks * 1000;',
  ].join('\n'),
  outputs: [
    { tag: 'R1.API.Y', variable: 'y' },
    { tag: 'R1.API.N', variable: 'n' },
  ],
};
const expectedY = (a: number) => 4 * a + 4;

type Reply = { status: number; json: any; elapsedMs: number } | { status: 'no answer'; json: null; elapsedMs: number };

function client(getApp: () => RunningApp) {
  return async function call(method: string, path: string, body?: unknown, boundMs = RUN_BOUND_MS): Promise<Reply> {
    const started = performance.now();
    try {
      const { status, json } = await callApi(getApp().url, method, path, body, {}, boundMs);
      return { status, json, elapsedMs: performance.now() - started };
    } catch {
      return { status: 'no answer', json: null, elapsedMs: performance.now() - started };
    }
  };
}

async function stopApp(app: RunningApp | undefined): Promise<void> {
  if (!app) return;
  // A thread stuck in a script may keep the app from stopping: kill it after a grace period.
  const timer = setTimeout(() => app.process.kill('SIGKILL'), 10_000);
  try {
    await app.stop();
  } finally {
    clearTimeout(timer);
  }
}

/** The app with the well-behaved script registered, and a check that it keeps producing on time. */
function hostileApp() {
  let app: RunningApp;
  const call = client(() => app);
  let nextA = 1;
  let goodId = '';
  const baseTs = Date.UTC(2026, 0, 1);

  async function start(): Promise<void> {
    app = await startApp({ env: { SIMULATOR: 'off', ...LIMITS_ENV } });
    const created = await call('POST', '/api/scripts', wellBehaved);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    goodId = created.json.id;
    expect((await call('POST', `/api/scripts/${goodId}/register`)).status).toBe(200);
    await expectGoodOutputOnTime();
  }

  /** Posts a fresh value and waits for the well-behaved script's output of it. */
  async function expectGoodOutputOnTime(label = 'the well-behaved script'): Promise<void> {
    const a = nextA++;
    const ts = new Date(baseTs + a * 1000).toISOString();
    const posted = await call('POST', '/api/values', [{ tag: INPUT, value: a, ts }], QUICK_BOUND_MS);
    expect(posted.status, `${label}: POST /api/values answered`).toBe(202);
    const started = performance.now();
    let last: unknown = null;
    while (performance.now() - started < OUTPUT_BOUND_MS) {
      const tag = await call('GET', `/api/tags/${encodeURIComponent('R1.API.Y')}`, undefined, QUICK_BOUND_MS);
      last = tag.json;
      if (tag.status === 200 && tag.json.ts === ts) {
        expect(tag.json.value, `${label}: the output of a=${a}`).toBe(expectedY(a));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${label}: the output of a=${a} (ts ${ts}) did not appear within ${OUTPUT_BOUND_MS} ms; last seen ${JSON.stringify(last)}`);
  }

  /** Health, a quick ordinary call, and the well-behaved script on time. */
  async function expectServerHealthy(after: string): Promise<void> {
    const health = await call('GET', '/api/health', undefined, QUICK_BOUND_MS);
    expect(health.status, `after ${after}: /api/health`).toBe(200);
    const scripts = await call('GET', '/api/scripts', undefined, QUICK_BOUND_MS);
    expect(scripts.status, `after ${after}: GET /api/scripts`).toBe(200);
    const good = await call('GET', `/api/scripts/${goodId}`, undefined, QUICK_BOUND_MS);
    expect(good.json?.status, `after ${after}: the well-behaved script's status`).toMatchObject({ state: 'registered', errors: 0 });
    await expectGoodOutputOnTime(`after ${after}`);
    expect(app.process.exitCode, 'the app is running').toBeNull();
  }

  return { call, start, stop: () => stopApp(app), expectServerHealthy, expectGoodOutputOnTime, get app() { return app; } };
}

interface HostileDraft {
  name: string;
  initCode?: string;
  calcCode: string;
  kind: string;
  message: RegExp;
  /** initCode fails: a benchmark answers 422 (the script cannot be benchmarked). */
  initFails?: boolean;
}

const draftOf = (hostile: HostileDraft) => ({
  inputs: [{ tag: INPUT, alias: 'a' }],
  initCode: hostile.initCode,
  calcCode: hostile.calcCode,
  outputs: [{ tag: 'R1.API.OFF', variable: 'x' }],
});

const HOSTILE: HostileDraft[] = [
  { name: 'an endless loop', calcCode: 'let x = 0;\nwhile (true) x++;', kind: 'timeout', message: /^the calculation stopped after 50 ms — look for a loop that never ends at line 2, column 1 of the calculation/ },
  {
    name: 'an endless loop in initCode',
    initCode: 'let spins = 0;\nfor (;;) spins++;',
    calcCode: 'const x = 1;',
    kind: 'timeout',
    message: /^the initialization stopped after 200 ms — look for a loop that never ends at line 2, column 1 of the initialization/,
    initFails: true,
  },
  { name: 'a memory bomb', calcCode: 'const parts = [];\nfor (;;) parts.push(new Array(1e5).fill(a));\nconst x = 1;', kind: 'memory', message: /ran out of memory \(limit 32 MB\)/ },
  { name: 'deep recursion', calcCode: 'function down(n) { return down(n + 1) + 1; }\nconst x = down(0);', kind: 'runtime', message: /stack overflow/ },
  { name: 'a ReDoS pattern', calcCode: 'const x = /(a+)+$/.test("a".repeat(40) + "b");', kind: 'timeout', message: /^the calculation stopped after 50 ms — look for .*slow regular expression/ },
  { name: 'a Function constructor escape', calcCode: 'const x = String((function () {}).constructor("return process")());', kind: 'runtime', message: /EvalError: code generation is not available in scripts/ },
  { name: 'reaching for globalThis.process', calcCode: 'const x = globalThis.process.mainModule.require("child_process");', kind: 'runtime', message: /TypeError/ },
  {
    name: 'a thrown object whose toString loops',
    calcCode: 'throw { toString() { for (;;) {} }, valueOf() { for (;;) {} }, [Symbol.toPrimitive]() { for (;;) {} } };\nconst x = 1;',
    kind: 'runtime',
    message: /threw a value that is not an Error/,
  },
];

/**
 * `traced`: debug runs get more time than the deadline for recording the trace, and say so
 * ("calculation stopped after 250 ms (the 50 ms limit plus 200 ms allowed for recording the trace)").
 * `afterBreak`: a debug session whose sandbox broke (out of memory) says so on its later runs.
 */
function expectDiagnostic(error: any, hostile: HostileDraft, where: string, options: { traced?: boolean; afterBreak?: boolean } = {}): void {
  expect(error, `${where}: error`).toMatchObject({ severity: 'error', kind: hostile.kind });
  let message = hostile.message;
  if (options.traced) message = new RegExp(message.source.replace('after 50 ms', 'after \\d+ ms[^—]*'));
  if (options.afterBreak && hostile.kind === 'memory') message = new RegExp(`${message.source}|sandbox failed \\(InternalError: out of memory\\)`);
  expect(error.message, where).toMatch(message);
  expect(error.message.length).toBeLessThanOrEqual(1000);
}

function expectAnswered(reply: Reply, status: number, where: string): asserts reply is Reply & { status: number } {
  expect(reply.status, `${where}: answered ${reply.status} in ${Math.round(reply.elapsedMs)} ms: ${JSON.stringify(reply.json)?.slice(0, 300)}`).toBe(status);
  expect(reply.elapsedMs, `${where}: answered within ${RUN_BOUND_MS} ms`).toBeLessThan(RUN_BOUND_MS);
}

describe('R1 hostile scripts through the API (embedded mode)', () => {
  const server = hostileApp();
  const call = server.call;

  beforeAll(() => server.start(), 120_000);
  afterAll(() => server.stop(), 30_000);

  describe.each(HOSTILE)('$name', (hostile) => {
    it('calculate answers 200 with the error kind and a clear message; the server stays healthy', async () => {
      const reply = await call('POST', '/api/scripts/calculate', { script: draftOf(hostile), inputs: { a: 3 } });
      expectAnswered(reply, 200, 'calculate');
      expectDiagnostic(reply.json.error, hostile, 'calculate');
      expect(reply.json.outputs?.['R1.API.OFF'] ?? null, 'no output from the failed run').toBeNull();
      await server.expectServerHealthy(`calculate of ${hostile.name}`);
    });

    it('debug answers 200 with the error kind, a clear message and the trace so far; the server stays healthy', async () => {
      const reply = await call('POST', '/api/scripts/debug', { script: draftOf(hostile), inputs: { a: 3 } });
      expectAnswered(reply, 200, 'debug');
      expectDiagnostic(reply.json.error, hostile, 'debug', { traced: true });
      expect(Array.isArray(reply.json.trace)).toBe(true);
      expect(reply.json.trace.length).toBeLessThanOrEqual(10_000);
      await server.expectServerHealthy(`debug of ${hostile.name}`);
    });

    it('benchmark answers within its duration plus the deadlines, counting the failures; the server stays healthy', async () => {
      const reply = await call('POST', '/api/scripts/benchmark', { script: draftOf(hostile), inputs: { a: 3 }, durationMs: 200 });
      if (hostile.initFails) {
        expectAnswered(reply, 422, 'benchmark');
        expect(reply.json.error.code).toBe('SCRIPT_INVALID');
        expectDiagnostic(reply.json.error.details.diagnostics.find((diagnostic: any) => diagnostic.severity === 'error'), hostile, 'benchmark');
      } else {
        expectAnswered(reply, 200, 'benchmark');
        expect(reply.json.iterations).toBeGreaterThanOrEqual(1);
        expect(reply.json.errors, 'every evaluation failed').toBe(reply.json.iterations);
      }
      await server.expectServerHealthy(`benchmark of ${hostile.name}`);
    });

    it('a debug session opens (the draft compiles) and its runs answer 200 with the error kind; the server stays healthy', async () => {
      const opened = await call('POST', '/api/debug-sessions', { script: draftOf(hostile) });
      if (opened.status === 422) {
        expect(opened.json.error.code).toBe('SCRIPT_INVALID');
        return;
      }
      expectAnswered(opened, 201, 'open a debug session');
      for (let run = 1; run <= 2; run++) {
        const reply = await call('POST', `/api/debug-sessions/${opened.json.id}/run`, { inputs: { a: run } });
        expectAnswered(reply, 200, `debug session run ${run}`);
        expectDiagnostic(reply.json.error, hostile, `debug session run ${run}`, { traced: true, afterBreak: run > 1 });
      }
      expect((await call('DELETE', `/api/debug-sessions/${opened.json.id}`)).status).toBe(204);
      await server.expectServerHealthy(`a debug session of ${hostile.name}`);
    });
  });

  it.each([
    ['an endless loop', 'let x = 0;\nwhile (true) x++;', 'timeout', /^the calculation stopped after 50 ms — look for a loop that never ends at line 2, column 1 of the calculation/],
    ['a memory bomb', 'const parts = [];\nfor (;;) parts.push(new Array(1e5).fill(a));\nconst x = 1;', 'memory', /ran out of memory \(limit 32 MB\)/],
    ['a thrown object whose toString loops', 'throw { toString() { for (;;) {} } };\nconst x = 1;', 'runtime', /threw a value that is not an Error/],
  ])('a registered script with %s is quarantined after QUARANTINE_AFTER failures, its last error in GET /api/scripts/{id}, while the good one keeps computing', async (name, calcCode, kind, message) => {
    const created = await call('POST', '/api/scripts', { name: `r1_offender_${kind}`, ...draftOf({ name, calcCode, kind, message }), outputs: [{ tag: `R1.API.OFF.${kind}`, variable: 'x' }] });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id;
    expect((await call('POST', `/api/scripts/${id}/register`)).status).toBe(200);
    // Three values: three failures. The good script computes each one on time (after a memory bomb
    // its sandbox is rebuilt and its initCode state restarts; its output is still right).
    for (let failure = 1; failure <= 3; failure++) await server.expectGoodOutputOnTime(`failure ${failure} of ${name}`);
    let status: any = null;
    const started = performance.now();
    while (performance.now() - started < OUTPUT_BOUND_MS) {
      status = (await call('GET', `/api/scripts/${id}`, undefined, QUICK_BOUND_MS)).json?.status;
      if (status?.state === 'quarantined') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toMatchObject({ state: 'quarantined', errors: 3, lastError: { severity: 'error', kind, source: 'calc' } });
    expect(status.lastError.message).toMatch(message);
    await server.expectServerHealthy(`registering ${name}`);
    expect((await call('DELETE', `/api/scripts/${id}`)).status).toBe(204);
  });
});

/**
 * Offenders that, at the time of writing, break the isolation or hold a thread far beyond their
 * deadline (see lib/engine/hostile-scripts.test.ts): they run in an app of their own, in this order, so
 * that a stuck thread does not spoil the cases above (the last two leave a thread busy for seconds).
 */
describe('R1 hostile scripts through the API: compiler bypass and offenders that outlast the interrupt polling', () => {
  const server = hostileApp();
  const call = server.call;

  beforeAll(() => server.start(), 120_000);
  afterAll(() => server.stop(), 30_000);

  it('a registered script cannot hide code from the compiler (an HTML-like comment) to publish on tags it does not own', async () => {
    // The compiler parses `x = x <!--y + \`` as a comparison opening a template string; QuickJS, which
    // runs scripts (not modules), reads `<!--` as a line comment and runs the line in between.
    const hidden =
      'if (typeof __ssK === "object") { for (let i = 0; i < __ssK.V.length; i++) __ssK.emit(i, 666, 0, ctx.now, 0, 0); } x = [typeof __ssOut, typeof __ssCap].join(",");';
    const created = await call('POST', '/api/scripts', {
      name: 'r1_html_comment',
      inputs: [{ tag: INPUT, alias: 'a' }],
      calcCode: ['let x = 0, y = 0;', 'x = x <!--y + `', hidden, 'x = x <!--y + `;'].join('\n'),
      outputs: [{ tag: 'R1.API.HIDDEN', variable: 'x' }],
    });
    expect(created.status).toBe(201);
    const registered = await call('POST', `/api/scripts/${created.json.id}/register`);
    if (registered.status === 422) {
      expect(registered.json.error.details.diagnostics[0]).toMatchObject({ kind: 'syntax', line: 2 });
    } else {
      expect(registered.status).toBe(200);
      for (let value = 1; value <= 2; value++) await server.expectGoodOutputOnTime(`value ${value} beside a script hiding code in a comment`);
      const raw = await call('GET', `/api/tags/${encodeURIComponent(INPUT)}`, undefined, QUICK_BOUND_MS);
      expect(raw.json, 'the raw input tag holds what was posted').toMatchObject({ source: 'raw' });
      const seen = await call('GET', `/api/tags/${encodeURIComponent('R1.API.HIDDEN')}`, undefined, QUICK_BOUND_MS);
      expect(seen.json?.value ?? null, 'what the hidden line saw of the internals').not.toMatch(/object/);
    }
    expect((await call('DELETE', `/api/scripts/${created.json.id}`)).status).toBe(204);
    await server.expectServerHealthy('a script hiding code in a comment');
  });

  it('a debug session whose script plants a getter on `this` answers its second run within the bound', async () => {
    const draft = {
      inputs: [{ tag: INPUT, alias: 'a' }],
      initCode: 'let calls = 0;',
      calcCode: 'Object.defineProperty(this, "nOut", { configurable: true, get() { calls++; if (calls > 1) for (;;) {} return 1; } });\nconst x = 1;',
      outputs: [{ tag: 'R1.API.OFF', variable: 'x' }],
    };
    const opened = await call('POST', '/api/debug-sessions', { script: draft });
    expectAnswered(opened, 201, 'open a debug session');
    for (let run = 1; run <= 2; run++) {
      const reply = await call('POST', `/api/debug-sessions/${opened.json.id}/run`, { inputs: { a: run } });
      expectAnswered(reply, 200, `debug session run ${run}`);
    }
    await server.expectServerHealthy('a debug session planting a getter on this');
  });

  it('calculate of an endless loop of expensive native calls answers within the bound', async () => {
    const draft = { inputs: [{ tag: INPUT, alias: 'a' }], calcCode: 'const arr = new Array(1e5).fill("ab");\nfor (;;) arr.join(",");\nconst x = 1;', outputs: [{ tag: 'R1.API.OFF', variable: 'x' }] };
    const reply = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { a: 1 } });
    expectAnswered(reply, 200, 'calculate');
    expect(reply.json.error).toMatchObject({ kind: 'timeout' });
    await server.expectServerHealthy('calculate of a loop of expensive native calls');
  });

  it('a registered endless loop of expensive native calls does not hold up the good script', async () => {
    const created = await call('POST', '/api/scripts', {
      name: 'r1_native_loop',
      inputs: [{ tag: INPUT, alias: 'a' }],
      calcCode: 'const arr = new Array(1e5).fill("ab");\nfor (;;) arr.join(",");\nconst x = a;',
      outputs: [{ tag: 'R1.API.NATIVE', variable: 'x' }],
    });
    expect(created.status).toBe(201);
    expect((await call('POST', `/api/scripts/${created.json.id}/register`)).status).toBe(200);
    for (let value = 1; value <= 3; value++) await server.expectGoodOutputOnTime(`value ${value} beside a loop of expensive native calls`);
    await server.expectServerHealthy('registering a loop of expensive native calls');
  });
});
