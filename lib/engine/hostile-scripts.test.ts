import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DiagnosticKind } from '../model/diagnostic';
import { silentLogger } from '../support/logger';
import type { TagValue } from '../model/tag-value';
import type { EngineScriptSpec, PassResult } from '../ports/engine';
import { Engine } from './engine';
import type { EngineHost } from '../ports/engine';
import { threadedEngine } from '../engine-host/threaded-engine';
import { ENGINE_THREAD } from '../../workers/thread-entries';

/**
 * R1 (quality-bar.md): hostile scripts, through the engine. Every case registers the offender between
 * two well-behaved scripts that read the same input, in the same sandbox group, and feeds values:
 *  - the offender is stopped within its limit (generous bound: 20 × the deadline) with the right
 *    error kind and a clear message in its status, and is quarantined after QUARANTINE_AFTER failures;
 *  - the well-behaved scripts produce the correct value on every evaluation, before, during and after,
 *    and keep their initCode state (unless the offender broke the sandbox: then it restarts);
 *  - nothing reaches the host (a sentinel on Node's globalThis is never read, no name leaks onto
 *    Node's globals or prototypes, the process is alive).
 *
 * Cases that could block the calling thread for minutes (a deadline that does not hold) run in the
 * engine's worker thread (threadedEngine), so that the test can give up at its bound and terminate the
 * thread instead of hanging the test run.
 */

const LIMITS = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const QUARANTINE_AFTER = 3;
const CALC_BOUND_MS = 20 * LIMITS.cpuMs;
const INIT_BOUND_MS = 20 * LIMITS.initCpuMs;
/** A clear message is a short one: a diagnostic is stored in the status and served by the API. */
const MAX_MESSAGE_LENGTH = 1000;

const INPUT = 'R1.IN';
const OFFENDER_OUTPUT = 'R1.OFF';
const BEFORE = 'R1.BEFORE';
const AFTER = 'R1.AFTER';
/** Names hostile scripts try to plant on shared objects; a well-behaved script must never see them. */
const LEAK_NAMES = ['r1Shared', 'polluted', 'r1Leak'];

// ---- the well-behaved neighbour ----

/**
 * Uses the built-ins hostile scripts go after (array iteration, generators, spread, push, Math.max,
 * JSON) and checks that none of the leak names is visible; keeps a counter in its initCode state.
 * y = 2 (a + 1) + a + (a + 1) + 1 = 4a + 4, plus 1000 per leaked name.
 */
const WELL_BEHAVED_INIT = 'let n = 0;\nfunction* pair(v) { yield v; yield 1; }';
const WELL_BEHAVED_CALC = [
  'n++;',
  'const xs = [];',
  'for (const v of [a, a + 1]) xs.push(v);',
  'let fromGenerator = 0;',
  'for (const v of pair(a)) fromGenerator += v;',
  'const viaJson = JSON.parse(JSON.stringify({ v: a })).v;',
  `const leaks = ${JSON.stringify(LEAK_NAMES)}.filter((k) => k in globalThis || k in {} || k in []).length;`,
  'const y = Math.max(...xs) * 2 + viaJson + fromGenerator + Object.keys({ p: 1 }).length + leaks * 1000;',
].join('\n');
const expectedY = (a: number) => 4 * a + 4;

function wellBehaved(prefix: string): EngineScriptSpec {
  return {
    id: prefix,
    name: prefix,
    version: 1,
    definition: {
      name: prefix,
      inputs: [{ tag: INPUT, alias: 'a' }],
      initCode: WELL_BEHAVED_INIT,
      calcCode: WELL_BEHAVED_CALC,
      outputs: [
        { tag: `${prefix}.Y`, variable: 'y' },
        { tag: `${prefix}.N`, variable: 'n' },
      ],
    },
  };
}

interface OffenderCode {
  initCode?: string;
  calcCode: string;
  /** The output variable (default x). */
  variable?: string;
}

let nextOffender = 0;
function offenderSpec(code: OffenderCode): EngineScriptSpec {
  const id = `offender-${++nextOffender}`;
  return {
    id,
    name: id,
    version: 1,
    definition: {
      name: id,
      inputs: [{ tag: INPUT, alias: 'a' }],
      initCode: code.initCode,
      calcCode: code.calcCode,
      outputs: [{ tag: OFFENDER_OUTPUT, variable: code.variable ?? 'x' }],
    },
  };
}

const KNOWN_TAGS = new Set([`${BEFORE}.Y`, `${BEFORE}.N`, `${AFTER}.Y`, `${AFTER}.N`, OFFENDER_OUTPUT]);

// ---- the host side: a sentinel nothing may touch ----

const hostTouches: string[] = [];
beforeAll(() => {
  Object.defineProperty(globalThis, 'r1HostSentinel', {
    configurable: true,
    get() {
      hostTouches.push('read');
      return { secret: 'host' };
    },
    set() {
      hostTouches.push('write');
    },
  });
});
afterAll(() => {
  delete (globalThis as Record<string, unknown>).r1HostSentinel;
});

function expectHostUntouched(): void {
  expect(hostTouches, 'a script touched the host sentinel').toEqual([]);
  for (const name of LEAK_NAMES) {
    expect(Object.prototype.hasOwnProperty.call(globalThis, name), `${name} leaked onto Node's globalThis`).toBe(false);
    expect(name in Object.prototype, `${name} leaked onto Node's Object.prototype`).toBe(false);
    expect(name in Array.prototype, `${name} leaked onto Node's Array.prototype`).toBe(false);
  }
  expect(process.exitCode ?? 0).toBe(0);
  expect(typeof process.pid).toBe('number');
}

const engines: Engine[] = [];
const hosts: EngineHost[] = [];
afterEach(async () => {
  engines.splice(0).forEach((engine) => engine.dispose());
  for (const host of hosts.splice(0)) await host.close();
  expectHostUntouched();
});

function newEngine(): Engine {
  const engine = new Engine({ limits: LIMITS, quarantineAfter: QUARANTINE_AFTER });
  engines.push(engine);
  return engine;
}

function newEngineThread(): EngineHost {
  // The watchdog stops a thread whose evaluation has not returned after hangMs (2 s by default;
  // shorter here so a pass stays within the 20 × deadline bound of these tests).
  const host = threadedEngine({ entry: ENGINE_THREAD, limits: LIMITS, quarantineAfter: QUARANTINE_AFTER, logger: silentLogger, latestValues: () => [], hangMs: 350 });
  hosts.push(host);
  return host;
}

const value = (a: number, ts: number): TagValue => ({ tag: INPUT, value: a, ts, quality: 'good' });
const published = (result: PassResult, tag: string) => result.outputs.filter((output) => output.tag === tag).map((output) => output.value);

async function timed<T>(work: Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const result = await work;
  return { value: result, elapsedMs: performance.now() - started };
}

/** Resolves to 'overdue' when `work` is not done within `ms` (work keeps running; its rejection is ignored). */
async function within<T>(work: Promise<T>, ms: number): Promise<{ value: T; elapsedMs: number } | 'overdue'> {
  work.catch(() => undefined);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => (timer = setTimeout(() => resolve('overdue'), ms)));
  try {
    const outcome = await Promise.race([work.then((result) => ({ value: result, elapsedMs: performance.now() - started })), overdue]);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

// ---- the case runner ----

interface Expectation {
  kind: DiagnosticKind | readonly DiagnosticKind[];
  message: RegExp;
  /** The offender breaks its sandbox (out of memory): the group is rebuilt, neighbours' initCode re-runs. */
  breaksSandbox?: boolean;
}

function expectDiagnostic(error: { kind: DiagnosticKind; message: string } | null | undefined, expected: Expectation): void {
  expect(error, 'the offender has a lastError').toBeTruthy();
  const kinds = typeof expected.kind === 'string' ? [expected.kind] : expected.kind;
  expect(kinds, `error kind of: ${error!.message.slice(0, 300)}`).toContain(error!.kind);
  expect(error!.message.slice(0, 2000)).toMatch(expected.message);
  expect(error!.message.length, 'the message is short enough to show').toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
}

function expectNeighbours(result: PassResult, a: number, counts: { before: number; after: number } | null, round: string): void {
  expect(published(result, `${BEFORE}.Y`), `${round}: the script before the offender computes 4a+4 for a=${a}`).toEqual([expectedY(a)]);
  expect(published(result, `${AFTER}.Y`), `${round}: the script after the offender computes 4a+4 for a=${a}`).toEqual([expectedY(a)]);
  if (counts) {
    expect(published(result, `${BEFORE}.N`), `${round}: the script before keeps its initCode state`).toEqual([counts.before]);
    expect(published(result, `${AFTER}.N`), `${round}: the script after keeps its initCode state`).toEqual([counts.after]);
  }
  const strangers = result.outputs.filter((output) => !KNOWN_TAGS.has(output.tag));
  expect(strangers, `${round}: outputs for tags no script owns`).toEqual([]);
}

/**
 * The offender between two well-behaved scripts, in one sandbox. Feeds a value before the offender is
 * registered, QUARANTINE_AFTER values while it fails, and two after its quarantine.
 */
async function expectStoppedAndQuarantined(code: OffenderCode, expected: Expectation): Promise<void> {
  const engine = newEngine();
  expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
  const first = await engine.ingest([value(1, 1000)]);
  expect(published(first, `${BEFORE}.Y`)).toEqual([expectedY(1)]);

  const offender = offenderSpec(code);
  expect(await engine.register(offender)).toEqual({ ok: true });
  expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });
  expect(engine.sandboxCount, 'the three scripts share one sandbox').toBe(1);

  for (let round = 1; round <= QUARANTINE_AFTER + 2; round++) {
    const a = round + 1;
    const { value: result, elapsedMs } = await timed(engine.ingest([value(a, a * 1000)]));
    const label = round <= QUARANTINE_AFTER ? `failure ${round}` : `after quarantine (${round - QUARANTINE_AFTER})`;
    expect(elapsedMs, `${label}: the pass took ${Math.round(elapsedMs)} ms`).toBeLessThan(CALC_BOUND_MS);
    expectNeighbours(result, a, expected.breaksSandbox ? null : { before: round + 1, after: round }, label);
    // Its output says it failed (once) and then that it is quarantined (scripts.md), nothing else.
    const says = round === 1 ? ['error'] : round === QUARANTINE_AFTER ? ['quarantined'] : [];
    expect(
      result.outputs.filter((output) => output.script.id === offender.id).map((output) => [output.tag, output.value, output.quality, output.reason]),
      `${label}: the offender publishes only that it failed or stopped`,
    ).toEqual(says.map((reason) => [OFFENDER_OUTPUT, null, 'bad', reason]));

    const status = engine.status(offender.id)!;
    if (round <= QUARANTINE_AFTER) {
      expect(status.consecutiveFailures, `${label}: consecutive failures`).toBe(round);
      expectDiagnostic(status.lastError, expected);
      expect(status.state).toBe(round < QUARANTINE_AFTER ? 'running' : 'quarantined');
      if (round === QUARANTINE_AFTER) expect(result.quarantined.map((entry) => entry.id)).toEqual([offender.id]);
    } else {
      expect(status).toMatchObject({ state: 'quarantined', evaluations: QUARANTINE_AFTER });
    }
  }
  for (const id of [BEFORE, AFTER]) expect(engine.status(id)).toMatchObject({ state: 'running', errors: 0, consecutiveFailures: 0 });
}

/** An offender the engine refuses at registration (it does not compile, or its initCode fails). */
async function expectRefused(code: OffenderCode, expected: Expectation, boundMs = INIT_BOUND_MS): Promise<void> {
  const engine = newEngine();
  expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
  expect(published(await engine.ingest([value(1, 1000)]), `${BEFORE}.Y`)).toEqual([expectedY(1)]);

  const offender = offenderSpec(code);
  const { value: outcome, elapsedMs } = await timed(engine.register(offender));
  expect(elapsedMs, `registration took ${Math.round(elapsedMs)} ms`).toBeLessThan(boundMs);
  expect(outcome.ok).toBe(false);
  if (outcome.ok || outcome.reason !== 'invalid') throw new Error(`expected the offender to be refused, got ${JSON.stringify(outcome)}`);
  expectDiagnostic(outcome.diagnostics.find((diagnostic) => diagnostic.severity === 'error'), expected);
  expect(engine.has(offender.id)).toBe(false);

  expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });
  for (let round = 1; round <= 2; round++) {
    const a = round + 1;
    const result = await engine.ingest([value(a, a * 1000)]);
    expectNeighbours(result, a, expected.breaksSandbox ? null : { before: round + 1, after: round }, `after the refusal (${round})`);
  }
}

/**
 * Like expectStoppedAndQuarantined, in the engine's worker thread, for offenders that may hold the
 * evaluating thread far beyond their deadline: each pass must finish within the bound (or the test
 * fails and the thread is terminated) with the neighbours' values correct; at the end the offender is
 * quarantined with the expected diagnostic.
 */
async function expectStoppedInEngineThread(code: OffenderCode, expected: Expectation, boundMs = CALC_BOUND_MS): Promise<void> {
  const engine = newEngineThread();
  expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
  expect(published(await engine.ingest([value(1, 1000)]), `${BEFORE}.Y`)).toEqual([expectedY(1)]);
  const offender = offenderSpec(code);
  expect(await engine.register(offender)).toEqual({ ok: true });
  expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });

  for (let round = 1; round <= QUARANTINE_AFTER + 1; round++) {
    const a = round + 1;
    const outcome = await within(engine.ingest([value(a, a * 1000)]), boundMs);
    expect(outcome, `pass ${round}: the engine did not finish within ${boundMs} ms (20 × the ${LIMITS.cpuMs} ms deadline)`).not.toBe('overdue');
    if (outcome === 'overdue') return;
    expectNeighbours(outcome.value, a, expected.breaksSandbox ? null : { before: round + 1, after: round }, `pass ${round}`);
  }
  const status = (await engine.statuses()).find((entry) => entry.id === offender.id)!;
  expect(status.state).toBe('quarantined');
  expectDiagnostic(status.lastError, expected);
}

/** A probe: a script that looks around and reports what it found as its output (it does not fail). */
async function probe(code: OffenderCode): Promise<unknown> {
  const engine = newEngine();
  expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
  const probeSpec = offenderSpec(code);
  expect(await engine.register(probeSpec)).toEqual({ ok: true });
  expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });
  const result = await engine.ingest([value(1, 1000)]);
  expectNeighbours(result, 1, { before: 1, after: 1 }, 'beside the probe');
  expect(engine.status(probeSpec.id)?.lastError ?? null, 'the probe itself ran').toBeNull();
  return engine.catalog.get(OFFENDER_OUTPUT)?.value;
}

// ---- the cases ----

/**
 * A hang stopped by the watchdog costs its hangMs (350 ms here), a careful re-run and two thread
 * restarts — each loading the engine from the TypeScript sources in tests, about a second apiece on a
 * busy machine.
 */
const WATCHDOG_BOUND_MS = 10_000;
const TIMEOUT: Expectation = { kind: 'timeout', message: /^the calculation stopped after 50 ms — look for /u };
const STACK: Expectation = { kind: 'runtime', message: /stack overflow|nested calls too deeply|stack limit/ };
const FROZEN: Expectation = { kind: 'runtime', message: /TypeError: .*(read-only|not extensible|not configurable|no setter|cannot|could not)/i };
const NO_CODE_GENERATION: Expectation = { kind: 'runtime', message: /EvalError: code generation is not available in scripts/ };
const MEMORY: Expectation = { kind: 'memory', message: /ran out of memory \(limit 32 MB\).*look for arrays, strings or objects that grow without end/, breaksSandbox: true };

describe('R1 hostile scripts in the engine: endless loops and the CPU deadline', () => {
  it('an endless loop in calcCode is stopped at its deadline, naming the loop', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'let x = 0;\nwhile (true) { x++; }' },
      { kind: 'timeout', message: /^the calculation stopped after 50 ms — look for a loop that never ends at line 2, column \d+ of the calculation/ },
    );
  });

  it('a loop that swallows its own errors (try/catch/finally) is still stopped: the interrupt is uncatchable', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'let x = 0;\nfor (;;) {\n  try { while (true) x++; } catch (e) { x = -1; } finally { x = 0; }\n}' },
      { kind: 'timeout', message: /^the calculation stopped after 50 ms — look for a loop that never ends at line/ },
    );
  });

  it('a Date.now() busy wait is stopped at its deadline', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const end = Date.now() + 60000;\nwhile (Date.now() < end) {}\nconst x = 1;' }, TIMEOUT);
  });

  it('a catastrophic-backtracking regular expression (ReDoS) is stopped at its deadline', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const x = /(a+)+$/.test("a".repeat(40) + "b");' },
      { kind: 'timeout', message: /^the calculation stopped after 50 ms — look for a function that calls itself without end or a slow regular expression/ },
    );
  });

  it('an endless loop in initCode is stopped at the init deadline and the script is refused', async () => {
    await expectRefused({ initCode: 'let spins = 0;\nwhile (true) spins++;', calcCode: 'const x = 1;' }, {
      kind: 'timeout',
      message: /^the initialization stopped after 200 ms — look for a loop that never ends at line 2, column \d+ of the initialization/,
    });
  });

  it('an endless loop in initCode that swallows its errors is stopped too', async () => {
    await expectRefused(
      { initCode: 'for (;;) {\n  try { for (;;) {} } catch (e) {} finally { continue; }\n}', calcCode: 'const x = 1;' },
      { kind: 'timeout', message: /^the initialization stopped after 200 ms/ },
    );
  });

  // QuickJS polls the interrupt handler every ~10 000 interpreter ticks: when each tick is an expensive
  // native call (or builds a stack-overflow error), the deadline is overrun by orders of magnitude.
  // QuickJS does not poll its interrupt handler inside a native call, so these loops are stopped by
  // the engine's watchdog instead: it stops the thread, names the script (one run per VM call),
  // quarantines it at once and restarts the others — whose initCode state therefore restarts.
  const HUNG: Expectation = { kind: 'timeout', message: /^the calculation did not return for [\d.]+ s .*quarantined/, breaksSandbox: true };
  it.each([
    ['String.prototype.indexOf on a 4 MB string', 'const s = "a".repeat(4e6);\nfor (;;) s.indexOf("b");\nconst x = 1;'],
    ['a default (string) sort of 100 000 numbers', 'const arr = Array.from({ length: 1e5 }, (_, i) => (i * 7919) % 1e5);\nfor (;;) arr.slice().sort();\nconst x = 1;'],
    ['Array.prototype.join of 100 000 strings', 'const arr = new Array(1e5).fill("ab");\nfor (;;) arr.join(",");\nconst x = 1;'],
    ['TypedArray.prototype.fill of 1 000 000 numbers', 'const big = new Float64Array(1e6);\nfor (;;) big.fill(a);\nconst x = 1;'],
  ])('an endless loop of expensive native calls (%s) is stopped by the watchdog and quarantined', async (_name, calcCode) => {
    await expectStoppedInEngineThread({ calcCode }, { ...HUNG, kind: ['timeout'], message: new RegExp(`${HUNG.message.source}|${TIMEOUT.message.source}`) }, WATCHDOG_BOUND_MS);
  });

  it('a recursion that catches its own stack overflow and recurses again is stopped (deadline or watchdog)', async () => {
    await expectStoppedInEngineThread(
      { calcCode: 'function f(d) { try { return f(d + 1); } catch (e) { return f(d + 1); } }\nconst x = f(0);' },
      { kind: 'timeout', message: /^the calculation stopped after 50 ms|^the calculation did not return for/, breaksSandbox: true },
      WATCHDOG_BOUND_MS,
    );
  });
});

describe('R1 hostile scripts in the engine: the stack', () => {
  it('deep recursion is a catchable stack overflow, reported as a runtime error at its line', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'function down(n) { return down(n + 1) + 1; }\nconst x = down(0);' }, {
      kind: 'runtime',
      message: /stack overflow.*look for a function that calls itself without end at line 1, column \d+ of the calculation/,
    });
  });

  it('mutual recursion is stopped the same way', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'function even(n) { return n === 0 || odd(n - 1); }\nfunction odd(n) { return n !== 0 && even(n - 1); }\nconst x = even(1e7);' },
      STACK,
    );
  });

  it('JSON.parse of 100 000-deep nesting is stopped by the stack bound', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const x = JSON.parse("[".repeat(100000) + "]".repeat(100000)).length;' }, STACK);
  });

  it('JSON.stringify of a 20 000-deep object is stopped by the stack bound within the deadline', async () => {
    // Runs in the engine thread: this one native call takes seconds (measured 3.5 s) before QuickJS's
    // stack bound stops it, and the interrupt handler is not polled meanwhile.
    await expectStoppedInEngineThread(
      { initCode: 'let o = {};\nfor (let i = 0; i < 20000; i++) o = { o };', calcCode: 'const x = JSON.stringify(o).length;' },
      { kind: ['runtime', 'timeout'], message: new RegExp(`${STACK.message.source}|^the calculation did not return for`), breaksSandbox: true },
      WATCHDOG_BOUND_MS,
    );
  });
});

describe('R1 hostile scripts in the engine: memory bombs (the sandbox is rebuilt, so neighbours re-run their initCode)', () => {
  it('an array that grows without end: memory error; the neighbours keep computing', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const parts = [];\nfor (;;) parts.push(new Array(1e5).fill(a));\nconst x = 1;' }, MEMORY);
  });

  it('string doubling without end is stopped by the string length limit or the memory cap', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'let s = "x";\nwhile (true) s += s;\nconst x = s.length;' },
      { kind: ['runtime', 'memory'], message: /string too long|ran out of memory/, breaksSandbox: true },
    );
  });

  it('string doubling that forces the string into memory: memory error', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'let s = "x";\nfor (let i = 0; i < 27; i++) s += s;\nconst x = s.indexOf("y");' }, MEMORY);
  });

  it('"x".repeat(2 ** 29): memory error', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const x = "x".repeat(2 ** 29).length;' }, MEMORY);
  });

  it('objects with many keys are stopped by whichever limit comes first (adding keys is slow: the deadline)', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const all = [];\nfor (let i = 0; ; i++) {\n  const o = {};\n  for (let k = 0; k < 1000; k++) o["key" + k + "_" + i] = k;\n  all.push(o);\n}\nconst x = 1;' },
      { kind: ['memory', 'timeout'], message: /ran out of memory \(limit 32 MB\)|^the calculation stopped after 50 ms/, breaksSandbox: true },
    );
  });

  it('typed arrays allocated without end: memory error', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const parts = [];\nfor (;;) parts.push(new Float64Array(1 << 20));\nconst x = 1;' }, MEMORY);
  });

  it('one 8 GB typed array is refused (invalid length or out of memory)', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const x = new Float64Array(1e9).length;' },
      { kind: ['runtime', 'memory'], message: /invalid array buffer length|ran out of memory/, breaksSandbox: true },
    );
  });

  it('Array(1e9).fill(0): memory error', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const x = Array(1e9).fill(0).length;' }, MEMORY);
  });

  it('after an out-of-memory the sandbox is rebuilt and the good scripts beside it continue — their initCode state restarts', async () => {
    const engine = newEngine();
    expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
    // Arms itself on its first run and explodes on the next; the rebuild re-runs its initCode (disarmed).
    const bomb = offenderSpec({ initCode: 'let armed = false;', calcCode: 'if (armed) { const parts = [];\nfor (;;) parts.push(new Array(1e5).fill(a)); }\narmed = true;\nconst x = 1;' });
    expect(await engine.register(bomb)).toEqual({ ok: true });
    expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });
    const counts: Record<string, unknown[]> = { [BEFORE]: [], [AFTER]: [] };
    for (let a = 1; a <= 4; a++) {
      const { value: result, elapsedMs } = await timed(engine.ingest([value(a, a * 1000)]));
      expect(elapsedMs).toBeLessThan(CALC_BOUND_MS);
      expect(published(result, `${BEFORE}.Y`), `run ${a}`).toEqual([expectedY(a)]);
      expect(published(result, `${AFTER}.Y`), `run ${a}`).toEqual([expectedY(a)]);
      for (const prefix of [BEFORE, AFTER]) counts[prefix].push(...published(result, `${prefix}.N`));
    }
    // The bomb explodes in runs 2 and 4. BEFORE runs ahead of it in the batch: it counts 1, 2, then the
    // rebuild resets it to 0, and it counts 1, 2 again. AFTER's job in the broken batch is run again in
    // the new sandbox: 1, (1 again: unchanged, not published), 2, then 1 after the second rebuild.
    expect(counts[BEFORE]).toEqual([1, 2, 1, 2]);
    expect(counts[AFTER]).toEqual([1, 2, 1]);
    expect(engine.status(bomb.id)).toMatchObject({ errors: 2, lastError: { kind: 'memory', message: expect.stringMatching(/ran out of memory \(limit 32 MB\) at line 2, column \d+ of the calculation/) } });
    for (const id of [BEFORE, AFTER]) expect(engine.status(id)).toMatchObject({ state: 'running', errors: 0 });
    expect(engine.sandboxCount).toBe(1);
  });
});

describe('R1 hostile scripts in the engine: prototype pollution of built-ins', () => {
  it.each([
    ['Object.prototype', 'Object.prototype.polluted = true;'],
    ['Array.prototype.push', 'Array.prototype.push = function () { return 0; };'],
    ['Math.max', 'Math.max = function () { return -1; };'],
    ['JSON.stringify', 'JSON.stringify = function () { return "{\\"v\\":0}"; };'],
    ['Object.defineProperty on Object.prototype', 'Object.defineProperty(Object.prototype, "polluted", { value: 1 });'],
    ['Object.setPrototypeOf of Array.prototype', 'Object.setPrototypeOf(Array.prototype, { polluted: 1 });'],
    ['delete Math.max', 'delete Math.max;'],
    ['the array iterator prototype (an intrinsic not reachable from globalThis)', 'Object.getPrototypeOf([][Symbol.iterator]()).next = function () { return { done: true, value: undefined }; };'],
    ['the generator prototype (an intrinsic not reachable from globalThis)', 'Object.getPrototypeOf(function* () {}).prototype.next = function () { return { done: true, value: undefined }; };'],
  ])('polluting %s fails in the offender, and the scripts beside it still see the originals', async (_name, attack) => {
    await expectStoppedAndQuarantined({ calcCode: `${attack}\nconst x = 1;` }, FROZEN);
  });
});

describe('R1 hostile scripts in the engine: Function and constructor escapes', () => {
  it.each([
    ['(function(){}).constructor', 'const x = String((function () {}).constructor("return this")());'],
    ['[].constructor.constructor', 'const x = String([].constructor.constructor("return globalThis")());'],
    ['the generator function constructor via its prototype', 'const x = String(Object.getPrototypeOf(function* () {}).constructor("yield 1"));'],
    ['Reflect.construct on the function constructor', 'const x = String(Reflect.construct(Object.getPrototypeOf(function () {}).constructor, ["return this"])());'],
    ['Reflect.apply on the function constructor', 'const x = String(Reflect.apply(Object.getPrototypeOf(() => 1).constructor, null, ["return this"])());'],
    ['a bound function constructor', 'const x = String(Object.getPrototypeOf(function () {}).constructor.bind(null, "return this")()());'],
  ])('%s refuses to build code', async (_name, calcCode) => {
    await expectStoppedAndQuarantined({ calcCode }, NO_CODE_GENERATION);
  });

  it('this.constructor.constructor in calcCode builds no code (and this is no host object)', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const x = String(this.constructor.constructor("return process")());' },
      { kind: 'runtime', message: /EvalError: code generation is not available in scripts|TypeError/ },
    );
  });

  it.each([
    ['require', 'const fs = require("fs");\nconst x = 1;', 'reference', /'require' is not defined/],
    ['process', 'const x = process.pid;', 'reference', /'process' is not defined/],
    ['fetch', 'const x = fetch("http://127.0.0.1/");', 'reference', /'fetch' is not defined/],
    ['import()', 'const x = import("node:fs");', 'syntax', /import\(\) at line 1, column 11 of the calculation: scripts cannot load modules/],
    ['an async function (the way to reach the async function constructor)', 'const x = Object.getPrototypeOf(async function () {}).constructor;', 'syntax', /async function at line 1, column \d+ of the calculation/],
    ['eval', 'const x = eval("1 + 1");', 'reference', /eval\(\) at line 1, column \d+ of the calculation.*scripts cannot build code at run time/],
    ['Function(...)', 'const x = Function("return this")();', 'reference', /Function\(\) at line 1, column \d+ of the calculation.*scripts cannot build code at run time/],
  ] as const)('%s in the code is refused when registering, with its place', async (_name, calcCode, kind, message) => {
    await expectRefused({ calcCode }, { kind, message }, 1000);
  });

  it('initCode cannot read the arguments of the wrapper it runs in (the sandbox internals)', async () => {
    await expectRefused({ initCode: 'const internals = arguments;', calcCode: 'const x = typeof internals;' }, { kind: 'reference', message: /'arguments' is not defined/ }, 1000);
  });

  it.each([
    ['globalThis.process', 'const x = globalThis.process.pid;'],
    ['globalThis["req" + "uire"]', 'const x = globalThis["req" + "uire"]("fs");'],
    ['globalThis.fetch', 'const x = globalThis.fetch("http://127.0.0.1/");'],
    ['the host sentinel', 'const x = globalThis.r1HostSentinel.secret;'],
  ])('%s is not there at run time (TypeError), and the host sentinel is never read', async (_name, calcCode) => {
    await expectStoppedAndQuarantined({ calcCode }, { kind: 'runtime', message: /TypeError/ });
  });

  it('Atomics.wait on a SharedArrayBuffer is not available (ReferenceError)', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const x = Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1e9);' },
      { kind: 'runtime', message: /ReferenceError: '?(Atomics|SharedArrayBuffer)'? is not defined/ },
    );
  });

  it('arguments.callee is refused in strict mode', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'const x = String((function () { return arguments.callee; })());' }, { kind: 'runtime', message: /TypeError/ });
  });

  it('globalThis holds only standard JavaScript and the helpers of scripts.md', async () => {
    const found = await probe({ calcCode: 'const x = Reflect.ownKeys(globalThis).map(String).join(",");' });
    const allowed = new Set([
      ...['Object', 'Function', 'Array', 'Number', 'Boolean', 'String', 'Symbol', 'BigInt', 'Date', 'RegExp', 'Math', 'JSON', 'Reflect', 'Proxy', 'Iterator'],
      ...['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError', 'InternalError', 'AggregateError'],
      ...['Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array'],
      ...['Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array', 'Float16Array', 'Float32Array', 'Float64Array'],
      ...['parseInt', 'parseFloat', 'isNaN', 'isFinite', 'decodeURI', 'decodeURIComponent', 'encodeURI', 'encodeURIComponent', 'escape', 'unescape'],
      ...['Infinity', 'NaN', 'undefined', 'globalThis', 'Symbol(Symbol.toStringTag)'],
      ...['clamp', 'avg', 'sum', 'round', 'isGood', 'console'],
    ]);
    expect(typeof found).toBe('string');
    const names = String(found).split(',');
    expect(names.filter((name) => !allowed.has(name)), 'unexpected globals').toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['Math', 'JSON', 'clamp', 'console']));
  });

  it('nothing reachable from globalThis (properties, prototypes, accessors) is a host API or code generation', async () => {
    // The walk runs in initCode (its deadline is longer); calcCode hands out the report.
    const found = await probe({
      calcCode: 'const x = report;',
      initCode: [
        'const seen = new Set();',
        'const names = new Set();',
        'const queue = [globalThis];',
        'const scriptFunctions = [];',
        'while (queue.length > 0) {',
        '  const o = queue.pop();',
        '  if ((typeof o !== "object" && typeof o !== "function") || o === null || seen.has(o)) continue;',
        '  seen.add(o);',
        '  if (typeof o === "function" && !/\\{\\s*\\[native code\\]\\s*\\}\\s*$/.test(Object.getPrototypeOf(Math.max).toString.call(o))) scriptFunctions.push(o.name);',
        '  for (const key of Reflect.ownKeys(o)) {',
        '    names.add(String(key));',
        '    const d = Object.getOwnPropertyDescriptor(o, key);',
        '    if ("value" in d) queue.push(d.value);',
        '    else { queue.push(d.get); queue.push(d.set); }',
        '  }',
        '  queue.push(Object.getPrototypeOf(o));',
        '}',
        'const hostNames = ["process", "require", "module", "exports", "fetch", "std", "os", "print", "scriptArgs", "Buffer", "setTimeout", "setInterval",',
        '  "setImmediate", "queueMicrotask", "WebAssembly", "XMLHttpRequest", "Worker", "importScripts", "Deno", "Bun", "Promise", "eval", "Function",',
        '  "SharedArrayBuffer", "Atomics", "WeakRef", "FinalizationRegistry", "r1HostSentinel", "outBuffer", "readStatic", "takeTrace", "setCapture", "takeLogs"];',
        'const report = JSON.stringify({ reachable: seen.size, host: hostNames.filter((name) => names.has(name)), scriptFunctions: [...new Set(scriptFunctions)].sort() });',
      ].join('\n'),
    });
    const report = JSON.parse(String(found)) as { reachable: number; host: string[]; scriptFunctions: string[] };
    expect(report.reachable).toBeGreaterThan(100);
    expect(report.host, 'host or code-generation names reachable from globalThis').toEqual([]);
    // Functions that are not native: the helpers of scripts.md, console's methods and the refusing constructor.
    const allowedScriptFunctions = new Set(['clamp', 'avg', 'sum', 'round', 'isGood', '', 'refuse', 'log', 'warn', 'error', 'info', 'debug', 'get now', 'input', 'previous', 'setQuality']);
    expect(report.scriptFunctions.filter((name) => !allowedScriptFunctions.has(name)), 'unexpected non-native functions reachable').toEqual([]);
  });

  it('Promise, WeakRef, FinalizationRegistry, SharedArrayBuffer, Atomics, eval and Function are not available', async () => {
    const found = await probe({
      calcCode: 'const x = [typeof Promise, typeof WeakRef, typeof FinalizationRegistry, typeof SharedArrayBuffer, typeof Atomics, typeof eval, typeof Function, typeof globalThis.WebAssembly, typeof globalThis.setTimeout].join(",");',
    });
    expect(found).toBe(new Array(9).fill('undefined').join(','));
  });
});

describe('R1 hostile scripts in the engine: code the compiler does not see', () => {
  it('an HTML-like comment (<!--) cannot hide code from the compiler to reach the sandbox internals', async () => {
    // The compiler parses scripts as modules, where `a <!--b` is `a < !(--b)`; QuickJS evaluates them as
    // scripts, where `<!--` starts a line comment. Below, the compiler sees the middle line inside a
    // template string; QuickJS runs it.
    const hidden = [
      'if (typeof __ssK === "object") {',
      '  for (let i = 0; i < __ssK.V.length; i++) if (typeof __ssK.V[i] === "number") __ssK.V[i] = 1000;',
      '  for (let i = 0; i < __ssK.V.length; i++) __ssK.emit(i, 666, 0, ctx.now, 0, 0);',
      '}',
      'x = [typeof __ssOut, typeof __ssCap, typeof arguments].join(",");',
    ].join(' ');
    const calcCode = ['let x = 0, y = 0;', 'x = x <!--y + `', hidden, 'x = x <!--y + `;'].join('\n');
    const engine = newEngine();
    expect(await engine.register(wellBehaved(BEFORE))).toEqual({ ok: true });
    const offender = offenderSpec({ calcCode });
    const outcome = await engine.register(offender);
    expect(await engine.register(wellBehaved(AFTER))).toEqual({ ok: true });
    if (!outcome.ok) {
      // Refusing such code is a fix: it must say why, at the place.
      expect(outcome).toMatchObject({ reason: 'invalid', diagnostics: [{ severity: 'error', kind: 'syntax', line: 2 }] });
    }
    for (let round = 1; round <= 2; round++) {
      const a = round + 1;
      const result = await engine.ingest([value(a, a * 1000)]);
      expectNeighbours(result, a, { before: round, after: round }, `pass ${round}`);
      expect(String(engine.catalog.get(OFFENDER_OUTPUT)?.value ?? ''), 'what the hidden line saw of the internals').not.toMatch(/object|function/);
    }
  });
});

describe('R1 hostile scripts in the engine: thrown values that fight back', () => {
  it('a thrown object whose toString, valueOf and Symbol.toPrimitive loop is reported without calling them', async () => {
    await expectStoppedAndQuarantined(
      {
        calcCode:
          'throw { toString() { for (;;) {} }, valueOf() { for (;;) {} }, [Symbol.toPrimitive]() { for (;;) {} }, get message() { for (;;) {} }, get name() { for (;;) {} } };\nconst x = 1;',
      },
      { kind: 'runtime', message: /threw a value that is not an Error \(an object\)/ },
    );
  });

  it('a thrown Error subclass whose message and name getters loop is reported without calling them', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'class Nasty extends Error { get message() { for (;;) {} } get name() { for (;;) {} } }\nthrow new Nasty();\nconst x = 1;' },
      { kind: 'runtime', message: /Error/ },
    );
  });

  it('a thrown Proxy whose traps loop is stopped at the deadline', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const loop = () => { for (;;) {} };\nthrow new Proxy({}, { get: loop, has: loop, ownKeys: loop, getOwnPropertyDescriptor: loop, getPrototypeOf: loop });\nconst x = 1;' },
      { kind: ['timeout', 'runtime'], message: /calculation stopped after 50 ms|threw/ },
    );
  });

  it('a thrown Proxy whose traps throw fails the offender alone, without breaking the sandbox', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const fail = () => { throw new Error("trap"); };\nthrow new Proxy({}, { get: fail, has: fail, ownKeys: fail, getOwnPropertyDescriptor: fail, getPrototypeOf: fail });\nconst x = 1;' },
      { kind: 'runtime', message: /threw|trap|Proxy/ },
    );
  });

  it('an error with a 5 MB message is reported with a bounded message', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'throw new Error("m".repeat(5e6));\nconst x = 1;' }, { kind: 'runtime', message: /^Error: m+/ });
  });
});

describe('R1 hostile scripts in the engine: outputs', () => {
  it.each([
    ['NaN', 'const x = NaN;', /is NaN, not a finite number/],
    ['Infinity', 'const x = Infinity;', /is Infinity, not a finite number/],
    ['-Infinity', 'const x = -Infinity;', /is -Infinity, not a finite number/],
    ['undefined', 'let x;', /undefined/],
    ['a BigInt', 'const x = 10n ** 30n;', /of type bigint/],
    ['a Symbol', 'const x = Symbol("s");', /symbol/],
    ['a function', 'const x = function () { for (;;) {} };', /function/],
    ['a string over 4 KB', 'const x = "s".repeat(4097);', /string of 4097 characters .*longer than the 4 KB allowed/],
    ['an object whose getters, toJSON and Symbol.toPrimitive loop', 'const x = { get v() { for (;;) {} }, toJSON() { for (;;) {} }, [Symbol.toPrimitive]() { for (;;) {} }, valueOf() { for (;;) {} } };', /of type object/],
    ['a Proxy whose traps loop', 'const loop = () => { for (;;) {} };\nconst x = new Proxy({}, { get: loop, has: loop, ownKeys: loop, getOwnPropertyDescriptor: loop, getPrototypeOf: loop });', /of type object/],
  ])('an output that is %s is an output error naming the output, and no trap runs', async (_name, calcCode, problem) => {
    // Named, and placed where x was last assigned (the last line of each code here), never "line ?:?".
    const line = calcCode.split('\n').length;
    const placed = `(?=.*at line ${line}, column \\d+ of the calculation)`;
    await expectStoppedAndQuarantined({ calcCode }, { kind: 'output', message: new RegExp(`^${placed}output ${OFFENDER_OUTPUT}: variable 'x' .*${problem.source}`) });
  });

  it('an output that is a revoked Proxy fails the offender alone, without breaking the sandbox', async () => {
    await expectStoppedAndQuarantined(
      { calcCode: 'const pair = Proxy.revocable({}, {});\npair.revoke();\nconst x = pair.proxy;' },
      { kind: ['output', 'runtime'], message: /output R1\.OFF|revoked/ },
    );
  });
});

describe('R1 hostile scripts in the engine: ctx, this and shared state', () => {
  it.each([
    ['ctx.now = 0', 'ctx.now = 0;'],
    ['replacing ctx.input', 'ctx.input = function () { return { value: 1e9 }; };'],
    ['defining a property on ctx', 'Object.defineProperty(ctx, "r1Leak", { value: 1 });'],
    ['changing the prototype of ctx', 'Object.setPrototypeOf(ctx, { r1Leak: 1 });'],
    ['changing what ctx.input returns', 'ctx.input("a").value = 1e9;'],
  ])('ctx is frozen: %s fails with a TypeError', async (_name, attack) => {
    await expectStoppedAndQuarantined({ calcCode: `${attack}\nconst x = 1;` }, FROZEN);
  });

  it('this in calcCode gives no handle on the sandbox: shrinking the record’s output count', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'this.nOut = 0;\nconst x = 1;' }, { kind: 'runtime', message: /TypeError/ });
  });

  it('this in calcCode gives no handle on the sandbox: forging outputs past the script’s own', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'this.nOut = 3;\nthis.out[1] = 7;\nthis.out[2] = 8;\nconst x = 1;' }, { kind: 'runtime', message: /TypeError/ });
  });

  it('this in calcCode gives no handle on the sandbox: an output count too large to allocate is not blamed on a neighbour', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'this.nOut = 1e9;\nconst x = 1;' }, { kind: 'runtime', message: /TypeError/ });
  });

  it('this in calcCode gives no handle on the sandbox: a getter planted on the record cannot hang the engine', async () => {
    await expectStoppedInEngineThread(
      {
        initCode: 'let calls = 0;',
        calcCode:
          'Object.defineProperty(this, "nOut", { configurable: true, get() { calls++; if (calls > 1) for (;;) {} return 1; } });\nconst x = 1;',
      },
      { kind: ['runtime', 'timeout'], message: /TypeError|stopped after/ },
    );
  });

  it('assigning a global fails (frozen global object) and the neighbours see nothing', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'globalThis.r1Shared = 42;\nconst x = 1;' }, FROZEN);
  });

  it('Symbol.for is no channel: hanging a value on a shared object under a registered symbol fails', async () => {
    await expectStoppedAndQuarantined({ calcCode: 'Object.prototype[Symbol.for("r1.channel")] = 42;\nconst x = 1;' }, FROZEN);
  });

  it('a wrapped array iterator cannot poison the inputs of a script registered after it', async () => {
    // Stealthy: the wrapper changes only 4-element number arrays — the shape of the seeds the sandbox
    // iterates with for-of when it loads a script (latest value of each input tag).
    const engine = newEngine();
    const attacker = offenderSpec({
      initCode: [
        'const iteratorPrototype = Object.getPrototypeOf([][Symbol.iterator]());',
        'const next = iteratorPrototype.next;',
        'iteratorPrototype.next = function () {',
        '  const step = next.call(this);',
        '  if (!step.done && Array.isArray(step.value) && step.value.length === 4 && typeof step.value[1] === "number") step.value[1] = 666;',
        '  return step;',
        '};',
      ].join('\n'),
      calcCode: 'const x = a;',
    });
    const registered = await engine.register(attacker);
    if (!registered.ok) expect(registered).toMatchObject({ diagnostics: [{ kind: 'runtime', source: 'init', message: expect.stringMatching(/TypeError/) }] });
    await engine.ingest([value(5, 1000), { tag: 'R1.OTHER', value: 7, ts: 1000, quality: 'good' }]);
    const victim = offenderSpec({ calcCode: 'const x = ctx.input("other").value;' });
    victim.definition = {
      ...victim.definition,
      inputs: [...victim.definition.inputs, { tag: 'R1.OTHER', alias: 'other' }],
      outputs: [{ tag: 'R1.VICTIM', variable: 'x' }],
      trigger: { type: 'onChange', inputs: ['a'] },
    };
    expect(await engine.register(victim)).toEqual({ ok: true });
    expect(engine.sandboxCount).toBe(1);
    const result = await engine.ingest([value(6, 2000)]);
    expect(published(result, 'R1.VICTIM'), 'the victim reads the latest value of R1.OTHER (7)').toEqual([7]);
  });

  it('no shared object accepts a value from one script that another could read', async () => {
    const channels: Array<[string, string]> = [
      ['global', 'globalThis'],
      ['Object.prototype', 'Object.prototype'],
      ['Array.prototype', 'Array.prototype'],
      ['Function.prototype', 'Object.getPrototypeOf(Math.max)'],
      ['Math', 'Math'],
      ['JSON', 'JSON'],
      ['console', 'console'],
      ['a helper', 'clamp'],
      ['Iterator.prototype', 'globalThis.Iterator.prototype'],
      ['the array iterator prototype', 'Object.getPrototypeOf([][Symbol.iterator]())'],
      ['the string iterator prototype', 'Object.getPrototypeOf(""[Symbol.iterator]())'],
      ['the map iterator prototype', 'Object.getPrototypeOf(new Map().entries())'],
      ['the set iterator prototype', 'Object.getPrototypeOf(new Set().values())'],
      ['the regexp string iterator prototype', 'Object.getPrototypeOf("a".matchAll(/a/g))'],
      ['the generator function prototype', 'Object.getPrototypeOf(function* () {})'],
      ['the generator prototype', 'Object.getPrototypeOf(function* () {}).prototype'],
      ['the iterator helper prototype', 'Object.getPrototypeOf([].values().map((v) => v))'],
      ['the wrapped iterator prototype', 'Object.getPrototypeOf(globalThis.Iterator.from({ next() { return { done: true }; } }))'],
    ];
    const targets = `[${channels.map(([name, expression]) => `[${JSON.stringify(name)}, () => ${expression}]`).join(',\n')}]`;
    const engine = newEngine();
    const writer = offenderSpec({
      initCode: [
        `const targets = ${targets};`,
        'const written = [];',
        'for (const [name, target] of targets) {',
        '  try { target().r1Shared = 42; if (target().r1Shared === 42) written.push(name); } catch (e) {}',
        '  try { target()[Symbol.for("r1.channel")] = 42; if (target()[Symbol.for("r1.channel")] === 42) written.push(name + " (registered symbol)"); } catch (e) {}',
        '}',
      ].join('\n'),
      calcCode: 'const x = written.join("; ");',
    });
    const reader = offenderSpec({
      initCode: `const targets = ${targets};`,
      calcCode: [
        'const seen = [];',
        'for (const [name, target] of targets) {',
        '  try { if ("r1Shared" in target() || Symbol.for("r1.channel") in target()) seen.push(name); } catch (e) { seen.push(name + " (unreadable)"); }',
        '}',
        'const x = seen.join("; ");',
      ].join('\n'),
    });
    reader.definition = { ...reader.definition, outputs: [{ tag: 'R1.READER', variable: 'x' }] };
    expect(await engine.register(writer)).toEqual({ ok: true });
    expect(await engine.register(reader)).toEqual({ ok: true });
    expect(engine.sandboxCount).toBe(1);
    await engine.ingest([value(1, 1000)]);
    expect(engine.catalog.get(OFFENDER_OUTPUT)?.value, 'shared objects the writer could change').toBe('');
    expect(engine.catalog.get('R1.READER')?.value, 'what the reader saw of the writer').toBe('');
  });
});
