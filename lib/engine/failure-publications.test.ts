import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import { ScriptDraftSchema } from '../model/script-schema';
import type { Quality, TagValue } from '../model/tag-value';
import type { EngineScriptSpec } from '../ports/engine';
import { Engine, MAX_QUARANTINE_RETRY_MS } from './engine';

/**
 * scripts.md "When a script stops or fails, its outputs say so" and the quarantine retry: what the
 * engine publishes for a failed run, a quarantine, an unregister or delete, a stale input, and how a
 * quarantined script is retried.
 */

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

/** A wall clock the test moves by hand. */
const clock = { now: 1_000_000 };

function newEngine(options: { quarantineAfter?: number; quarantineRetryMs?: number } = {}) {
  clock.now = 1_000_000;
  const engine = new Engine({
    limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 },
    quarantineAfter: options.quarantineAfter ?? 5,
    quarantineRetryMs: options.quarantineRetryMs,
    clock: () => clock.now,
  });
  engines.push(engine);
  return engine;
}

let nextId = 0;
function spec(definition: Omit<ScriptDraft, 'name'>): EngineScriptSpec {
  const id = `f${++nextId}`;
  return { id, name: id, version: 1, definition: { name: id, ...definition } };
}

async function registered(engine: Engine, definition: Omit<ScriptDraft, 'name'>) {
  const script = spec(definition);
  expect(await engine.register(script)).toEqual({ ok: true });
  return script;
}

const v = (tag: string, value: TagValue['value'], ts: number, quality: Quality = 'good'): TagValue => ({ tag, value, ts, quality });
const pick = (outputs: TagValue[]) => outputs.map(({ tag, value, ts, quality, reason }) => ({ tag, value, ts, quality, ...(reason ? { reason } : {}) }));

/** Fails while its input is positive. */
const FAILS_WHEN_POSITIVE = {
  inputs: [{ tag: 'A', alias: 'a' }],
  calcCode: 'if (a > 0) throw new Error("negative pressure");\nconst x = -a;',
  outputs: [{ tag: 'X', variable: 'x' }],
};

describe('a failed evaluation', () => {
  it('publishes null/bad/error at the triggering timestamp, once, and a later success publishes normally', async () => {
    const engine = newEngine();
    await registered(engine, FAILS_WHEN_POSITIVE);
    expect(pick((await engine.ingest([v('A', -2, 100)])).outputs)).toEqual([{ tag: 'X', value: 2, ts: 100, quality: 'good' }]);
    expect(pick((await engine.ingest([v('A', 1, 200)])).outputs)).toEqual([{ tag: 'X', value: null, ts: 200, quality: 'bad', reason: 'error' }]);
    expect(engine.catalog.get('X')).toMatchObject({ value: null, quality: 'bad', reason: 'error', ts: 200 });
    // Failing again: the output already says so, nothing new is published.
    const again = await engine.ingest([v('A', 3, 300)]);
    expect(again.failures).toBe(1);
    expect(again.outputs).toEqual([]);
    // The same value as before the failure is published again: the output was bad meanwhile.
    expect(pick((await engine.ingest([v('A', -2, 400)])).outputs)).toEqual([{ tag: 'X', value: 2, ts: 400, quality: 'good' }]);
    expect(engine.catalog.get('X')?.reason).toBeUndefined();
  });

  it('publishes the outputs it computed and null/bad/error for the invalid one', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'const ok = a * 2;\nconst ratio = a / 0;',
      outputs: [
        { tag: 'OK', variable: 'ok' },
        { tag: 'RATIO', variable: 'ratio' },
      ],
    });
    const result = await engine.ingest([v('A', 3, 100)]);
    expect(result.failures).toBe(1);
    expect(pick(result.outputs)).toEqual([
      { tag: 'OK', value: 6, ts: 100, quality: 'good' },
      { tag: 'RATIO', value: null, ts: 100, quality: 'bad', reason: 'error' },
    ]);
  });

  it('publishes null/bad/error for a calculation stopped at its deadline', async () => {
    const engine = newEngine();
    await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'while (a > 0) {}\nconst y = a;', outputs: [{ tag: 'Y', variable: 'y' }] });
    expect(pick((await engine.ingest([v('A', -1, 100)])).outputs)).toEqual([{ tag: 'Y', value: -1, ts: 100, quality: 'good' }]);
    const stopped = await engine.ingest([v('A', 1, 200)]);
    expect(stopped.failures).toBe(1);
    expect(pick(stopped.outputs)).toEqual([{ tag: 'Y', value: null, ts: 200, quality: 'bad', reason: 'error' }]);
  });
});

describe('a stopped script', () => {
  it('publishes null/bad/quarantined for each output when quarantined, stamped with the time of the quarantine', async () => {
    const engine = newEngine({ quarantineAfter: 2 });
    const script = await registered(engine, {
      ...FAILS_WHEN_POSITIVE,
      calcCode: `${FAILS_WHEN_POSITIVE.calcCode}\nconst x2 = a;`,
      outputs: [...FAILS_WHEN_POSITIVE.outputs, { tag: 'X2', variable: 'x2' }],
    });
    await engine.ingest([v('A', -1, 100)]);
    await engine.ingest([v('A', 1, 200)]);
    clock.now = 5_000_000;
    const second = await engine.ingest([v('A', 2, 300)]);
    expect(second.quarantined.map((entry) => entry.id)).toEqual([script.id]);
    expect(pick(second.outputs)).toEqual([
      { tag: 'X', value: null, ts: 5_000_000, quality: 'bad', reason: 'quarantined' },
      { tag: 'X2', value: null, ts: 5_000_000, quality: 'bad', reason: 'quarantined' },
    ]);
    expect(engine.catalog.get('X')).toMatchObject({ value: null, quality: 'bad', reason: 'quarantined' });
  });

  it.each(['unregistered', 'deleted'] as const)('publishes null/bad/%s for each output with the next tick', async (reason) => {
    const engine = newEngine();
    const script = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a + 1;', outputs: [{ tag: 'Y', variable: 'y' }] });
    await engine.ingest([v('A', 1, 100)]);
    clock.now = 2_000_000;
    expect(await engine.unregister(script.id, reason)).toBe(true);
    const tick = await engine.tick(clock.now);
    expect(tick.outputs).toEqual([{ tag: 'Y', value: null, ts: 2_000_000, quality: 'bad', reason, script: { id: script.id, name: script.name, version: 1 } }]);
    expect(engine.catalog.get('Y')).toMatchObject({ value: null, quality: 'bad', reason });
    // Once.
    expect((await engine.tick(clock.now + 100)).outputs).toEqual([]);
  });

  it('lets a script reading a stopped output see it bad', async () => {
    const engine = newEngine();
    const upstream = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a + 1;', outputs: [{ tag: 'Y', variable: 'y' }] });
    await registered(engine, {
      inputs: [
        { tag: 'Y', alias: 'y' },
        { tag: 'B', alias: 'b' },
      ],
      trigger: { type: 'onChange', inputs: ['b'] },
      calcCode: 'const z = isGood("y") ? y + b : -1;',
      outputs: [{ tag: 'Z', variable: 'z' }],
    });
    await engine.ingest([v('A', 1, 100), v('B', 1, 100)]);
    expect(engine.catalog.get('Z')?.value).toBe(3);
    await engine.unregister(upstream.id);
    await engine.tick(clock.now);
    const next = await engine.ingest([v('B', 2, 200)]);
    expect(pick(next.outputs)).toEqual([{ tag: 'Z', value: -1, ts: 200, quality: 'bad' }]);
  });
});

describe('an input with staleAfterMs', () => {
  it('turns the outputs uncertain with reason stale-input once per staleness, and the next value clears it', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [
        { tag: 'A', alias: 'a', staleAfterMs: 5000 },
        { tag: 'B', alias: 'b' },
      ],
      calcCode: 'const y = a + b;\nconst fresh = isGood("a");',
      outputs: [
        { tag: 'Y', variable: 'y' },
        { tag: 'FRESH', variable: 'fresh' },
      ],
    });
    await engine.ingest([v('A', 1, 100), v('B', 2, 100)]);
    expect(engine.catalog.get('FRESH')?.value).toBe(true);
    clock.now += 4000;
    expect((await engine.tick(clock.now)).outputs).toEqual([]);
    // B keeps arriving: A alone decides.
    await engine.ingest([v('B', 2, 200)]);
    clock.now += 1500;
    const stale = await engine.tick(clock.now);
    expect(pick(stale.outputs)).toEqual([
      { tag: 'Y', value: 3, ts: clock.now, quality: 'uncertain', reason: 'stale-input' },
      { tag: 'FRESH', value: false, ts: clock.now, quality: 'uncertain', reason: 'stale-input' },
    ]);
    // Still stale a second later: not published again.
    clock.now += 1000;
    expect((await engine.tick(clock.now)).outputs).toEqual([]);
    // An evaluation triggered by the other input while stale keeps the quality and the reason.
    const whileStale = await engine.ingest([v('B', 5, 300)]);
    expect(pick(whileStale.outputs)).toEqual([{ tag: 'Y', value: 6, ts: 300, quality: 'uncertain', reason: 'stale-input' }]);
    const fresh = await engine.ingest([v('A', 1, 400)]);
    expect(pick(fresh.outputs)).toEqual([
      { tag: 'Y', value: 6, ts: 400, quality: 'good' },
      { tag: 'FRESH', value: true, ts: 400, quality: 'good' },
    ]);
    // A new staleness is reported again.
    clock.now += 6000;
    expect(pick((await engine.tick(clock.now)).outputs).map((output) => output.reason)).toEqual(['stale-input', 'stale-input']);
  });

  it('is refused below 1000 ms with a message saying what to do', () => {
    const parsed = ScriptDraftSchema.safeParse({ name: 'x', inputs: [{ tag: 'A', alias: 'a', staleAfterMs: 500 }], calcCode: 'const y = a;', outputs: [{ tag: 'Y', variable: 'y' }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({ path: ['inputs', 0, 'staleAfterMs'] });
    expect(parsed.error?.issues[0].message).toMatch(/at least 1000 ms/);
  });
});

describe('the quarantine retry', () => {
  async function quarantined(engine: Engine, definition: Omit<ScriptDraft, 'name'> = FAILS_WHEN_POSITIVE) {
    const script = await registered(engine, definition);
    const result = await engine.ingest([v('A', 1, 100)]);
    expect(result.quarantined.map((entry) => entry.id)).toEqual([script.id]);
    return script;
  }

  it('waits QUARANTINE_RETRY_MS, then doubles the wait after each failed retry', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 1000 });
    const script = await quarantined(engine);
    const start = clock.now;
    expect(engine.status(script.id)).toMatchObject({ state: 'quarantined', retryAt: start + 1000 });
    clock.now = start + 999;
    expect((await engine.tick(clock.now)).evaluations).toBe(0);
    clock.now = start + 1000;
    // Evaluated once on its latest values (A = 1, no new input), fails, quarantined again.
    const retry = await engine.tick(clock.now);
    expect(retry.evaluations).toBe(1);
    expect(retry.quarantined.map((entry) => entry.id)).toEqual([script.id]);
    // Its outputs already say quarantined: nothing new to publish.
    expect(retry.outputs).toEqual([]);
    expect(engine.status(script.id)).toMatchObject({ state: 'quarantined', retryAt: start + 1000 + 2000 });
    clock.now = start + 3000;
    await engine.tick(clock.now);
    expect(engine.status(script.id)?.retryAt).toBe(start + 3000 + 4000);
    // Not evaluated by inputs while quarantined.
    expect((await engine.ingest([v('A', 5, 200)])).evaluations).toBe(0);
  });

  it('never waits more than an hour', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 1_000_000 });
    const script = await quarantined(engine);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      const retryAt = engine.status(script.id)!.retryAt!;
      waits.push(retryAt - clock.now);
      clock.now = retryAt;
      await engine.tick(clock.now);
    }
    expect(waits).toEqual([1_000_000, 2_000_000, MAX_QUARANTINE_RETRY_MS, MAX_QUARANTINE_RETRY_MS]);
  });

  it('ends the quarantine when the retry succeeds: outputs compute again, other scripts never affected', async () => {
    const engine = newEngine({ quarantineAfter: 2, quarantineRetryMs: 1000 });
    const healthy = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const h = a * 10;', outputs: [{ tag: 'H', variable: 'h' }] });
    const script = await registered(engine, FAILS_WHEN_POSITIVE);
    await engine.ingest([v('A', 1, 100)]);
    await engine.ingest([v('A', 2, 200)]);
    expect(engine.status(script.id)?.state).toBe('quarantined');
    // The input goes back to normal while the script is quarantined: the retry uses it.
    expect(pick((await engine.ingest([v('A', -4, 300)])).outputs)).toEqual([{ tag: 'H', value: -40, ts: 300, quality: 'good' }]);
    clock.now += 1000;
    const retry = await engine.tick(clock.now);
    expect(retry.recovered).toEqual([script.id]);
    expect(pick(retry.outputs)).toEqual([{ tag: 'X', value: 4, ts: clock.now, quality: 'good' }]);
    expect(engine.status(script.id)).toMatchObject({ state: 'running', retryAt: null, consecutiveFailures: 0 });
    // Then on its triggers as usual; one failure alone no longer quarantines it.
    const next = await engine.ingest([v('A', 3, 400)]);
    expect(pick(next.outputs)).toEqual([
      { tag: 'H', value: 30, ts: 400, quality: 'good' },
      { tag: 'X', value: null, ts: 400, quality: 'bad', reason: 'error' },
    ]);
    expect(engine.status(script.id)?.state).toBe('running');
    expect(engine.status(healthy.id)).toMatchObject({ state: 'running', errors: 0 });
  });

  it('ends at once when the script is registered again', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 60_000 });
    const script = await quarantined(engine);
    const fixed = { ...script, version: 2, definition: { ...script.definition, calcCode: 'const x = a * 100;' } };
    expect(await engine.register(fixed)).toEqual({ ok: true });
    expect(engine.status(script.id)).toMatchObject({ state: 'running', retryAt: null });
    expect(pick((await engine.ingest([v('A', 2, 200)])).outputs)).toEqual([{ tag: 'X', value: 200, ts: 200, quality: 'good' }]);
  });

  it('goes on after a restart: a script loaded with resumeQuarantine waits QUARANTINE_RETRY_MS, then a success ends it', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 1000 });
    const lastError = { severity: 'error' as const, source: 'calc' as const, kind: 'runtime' as const, message: 'negative pressure', line: 1, column: 12 };
    const script = { ...spec(FAILS_WHEN_POSITIVE), resumeQuarantine: { lastError } };
    expect(await engine.register(script)).toEqual({ ok: true });
    const start = clock.now;
    expect(engine.status(script.id)).toMatchObject({ state: 'quarantined', retryAt: start + 1000, lastError: { message: 'negative pressure' } });
    // Quarantined: new inputs do not evaluate it, and nothing is published (its outputs already say so).
    const meanwhile = await engine.ingest([v('A', -3, 100)]);
    expect(meanwhile.evaluations).toBe(0);
    expect(meanwhile.outputs).toEqual([]);
    clock.now = start + 1000;
    const retry = await engine.tick(clock.now);
    expect(retry.recovered).toEqual([script.id]);
    expect(pick(retry.outputs)).toEqual([{ tag: 'X', value: 3, ts: clock.now, quality: 'good' }]);
    expect(engine.status(script.id)).toMatchObject({ state: 'running', retryAt: null });
  });

  it('goes on after a restart with retries off: loaded quarantined, never evaluated', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 0 });
    const lastError = { severity: 'error' as const, source: 'calc' as const, kind: 'timeout' as const, message: 'the calculation stopped after 50 ms' };
    const script = { ...spec(FAILS_WHEN_POSITIVE), resumeQuarantine: { lastError } };
    expect(await engine.register(script)).toEqual({ ok: true });
    expect(engine.status(script.id)).toMatchObject({ state: 'quarantined', retryAt: null });
    expect((await engine.ingest([v('A', -3, 100)])).evaluations).toBe(0);
    clock.now += 10 * MAX_QUARANTINE_RETRY_MS;
    expect((await engine.tick(clock.now)).evaluations).toBe(0);
  });

  it('is off with 0: no retryAt, never evaluated again', async () => {
    const engine = newEngine({ quarantineAfter: 1, quarantineRetryMs: 0 });
    const script = await quarantined(engine);
    expect(engine.status(script.id)).toMatchObject({ state: 'quarantined', retryAt: null });
    clock.now += 10 * MAX_QUARANTINE_RETRY_MS;
    expect((await engine.tick(clock.now)).evaluations).toBe(0);
    expect(engine.status(script.id)?.state).toBe('quarantined');
  });
});
