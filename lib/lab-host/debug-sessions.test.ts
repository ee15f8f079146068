import { afterEach, describe, expect, it } from 'vitest';
import type { AppError } from '../model/errors';
import type { RunnableDraft } from '../model/script-schema';
import { DebugSessions } from './debug-sessions';
import { Lab } from '../lab/lab';
import { labMethods } from '../lab/lab-methods';

/** Debug sessions: the registry (expiry, LRU, 404s) over the real lab sessions, on a fake clock. */

const limits = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const labs: Lab[] = [];
afterEach(() => labs.splice(0).forEach((lab) => lab.dispose()));

function setup(options: { ttlMs?: number; maxSessions?: number } = {}) {
  const lab = new Lab(limits);
  labs.push(lab);
  let now = 1_000_000;
  const sessions = new DebugSessions(labMethods(lab), { ttlMs: options.ttlMs ?? 60_000, maxSessions: options.maxSessions ?? 50, clock: () => now });
  return {
    lab,
    sessions,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const counter: RunnableDraft = {
  inputs: [{ tag: 'A', alias: 'a' }],
  initCode: 'let runs = 0;\nlet total = 0;',
  calcCode: 'runs++;\ntotal += a;\nconst out = total;',
  outputs: [
    { tag: 'OUT', variable: 'out' },
    { tag: 'RUNS', variable: 'runs' },
  ],
};

const input = (value: number) => [{ value, ts: 1, quality: 'good' as const }];

async function expectNotFound(promise: Promise<unknown> | (() => unknown)) {
  const attempt = typeof promise === 'function' ? (async () => promise())() : promise;
  await expect(attempt).rejects.toMatchObject({ code: 'NOT_FOUND' } satisfies Partial<AppError>);
}

describe('debug sessions', () => {
  it('carries the state over from one run to the next; initCode ran once, its steps come with the first run', async () => {
    const { sessions, lab } = setup();
    const session = await sessions.open(counter, { previous: [null, null] });
    expect(lab.sessions.size).toBe(1);

    const first = await sessions.run(session.id, { inputs: input(5) });
    expect(first.result.outputs).toEqual([
      { value: 5, quality: 'good' },
      { value: 1, quality: 'good' },
    ]);
    expect(first.result.trace.map((step) => `${step.source}:${step.line}`)).toEqual(['init:1', 'init:2', 'calc:1', 'calc:2', 'calc:3']);

    const second = await sessions.run(session.id, { inputs: input(7) });
    expect(second.result.outputs[0]).toEqual({ value: 12, quality: 'good' });
    expect(second.result.staticVars).toEqual({ runs: 2, total: 12 });
    expect(second.result.trace.map((step) => step.step)).toEqual([1, 2, 3]);
    expect(second.result.trace[0]).toMatchObject({ source: 'calc', vars: { a: 7, runs: 2, total: 5 } });
  });

  it('expires a session after the TTL without a run; each run restarts its idle time', async () => {
    const { sessions, advance, lab } = setup({ ttlMs: 1000 });
    const session = await sessions.open(counter, { previous: [null, null] });
    expect(session.expiresAt).toBe(1_000_000 + 1000);
    advance(900);
    const run = await sessions.run(session.id, { inputs: input(1) });
    expect(run.session.expiresAt).toBe(1_000_900 + 1000);
    advance(900);
    await sessions.run(session.id, { inputs: input(1) });
    advance(1000);
    await expectNotFound(sessions.run(session.id, { inputs: input(1) }));
    expect(lab.sessions.size).toBe(0);
  });

  it('frees expired sessions and their sandboxes in the sweep', async () => {
    const { sessions, advance, lab } = setup({ ttlMs: 1000 });
    const idle = await sessions.open(counter, { previous: [null, null] });
    advance(600);
    const busy = await sessions.open(counter, { previous: [null, null] });
    advance(500);
    expect(await sessions.sweep()).toBe(1);
    expect(lab.sessions.size).toBe(1);
    expect(sessions.size).toBe(1);
    await expectNotFound(sessions.run(idle.id, { inputs: input(1) }));
    await sessions.run(busy.id, { inputs: input(1) });
  });

  it('evicts the least recently used session beyond the cap', async () => {
    const { sessions, advance, lab } = setup({ maxSessions: 2 });
    const first = await sessions.open(counter, { previous: [null, null] });
    advance(10);
    const second = await sessions.open(counter, { previous: [null, null] });
    advance(10);
    await sessions.run(first.id, { inputs: input(1) }); // first is now the most recently used
    advance(10);
    const third = await sessions.open(counter, { previous: [null, null] });
    expect(lab.sessions.size).toBe(2);
    await expectNotFound(sessions.run(second.id, { inputs: input(1) }));
    await sessions.run(first.id, { inputs: input(1) });
    await sessions.run(third.id, { inputs: input(1) });
  });

  it('answers 404 for unknown, closed and expired sessions, and frees the sandbox on close', async () => {
    const { sessions, advance, lab } = setup({ ttlMs: 1000 });
    await expectNotFound(sessions.run('no-such-session', { inputs: input(1) }));
    await expectNotFound(sessions.close('no-such-session'));
    await expectNotFound(() => sessions.get('no-such-session'));

    const closed = await sessions.open(counter, { previous: [null, null] });
    await sessions.close(closed.id);
    expect(lab.sessions.size).toBe(0);
    await expectNotFound(sessions.close(closed.id));
    await expectNotFound(sessions.run(closed.id, { inputs: input(1) }));

    const expired = await sessions.open(counter, { previous: [null, null] });
    advance(1000);
    await expectNotFound(sessions.close(expired.id));
    await expectNotFound(() => sessions.get(expired.id));
    expect(lab.sessions.size).toBe(0);
  });

  it('refuses a draft that does not compile (422 with diagnostics) and keeps no session', async () => {
    const { sessions, lab } = setup();
    const attempt = sessions.open({ ...counter, calcCode: 'const out = tota;' }, { previous: [null, null] });
    await expect(attempt).rejects.toMatchObject({ code: 'SCRIPT_INVALID', details: { diagnostics: [expect.objectContaining({ kind: 'reference' })] } });
    expect(sessions.size).toBe(0);
    expect(lab.sessions.size).toBe(0);
  });

  it('opens a session whose initCode throws and reports that error, with the initCode trace, on every run', async () => {
    const { sessions } = setup();
    const session = await sessions.open({ ...counter, initCode: 'let runs = 0;\nlet total = 0;\nthrow new Error("not ready");' }, { previous: [null, null] });
    const first = await sessions.run(session.id, { inputs: input(1) });
    expect(first.result.error).toMatchObject({ source: 'init', line: 3 });
    expect(first.result.trace.map((step) => `${step.source}:${step.line}`)).toEqual(['init:1', 'init:2', 'init:3']);
    const second = await sessions.run(session.id, { inputs: input(1) });
    expect(second.result.error?.message).toContain('not ready');
    expect(second.result.trace).toEqual([]);
  });

  it('runs the sweep on its own timer', async () => {
    const lab = new Lab(limits);
    labs.push(lab);
    let now = 0;
    const sessions = new DebugSessions(labMethods(lab), { ttlMs: 100, maxSessions: 5, clock: () => now, sweepIntervalMs: 10 });
    await sessions.open(counter, { previous: [null, null] });
    sessions.start();
    now = 200;
    await expect.poll(() => lab.sessions.size, { timeout: 2000 }).toBe(0);
    sessions.stop();
  });
});
