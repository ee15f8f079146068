import { describe, expect, it } from 'vitest';
import type { ScriptRuntimeStatus } from '../ports/engine';
import type { ScriptStats, StoredScript } from '../ports/script-store';
import { describeScript } from './describe-script';

const error = { severity: 'error' as const, source: 'calc' as const, kind: 'runtime' as const, message: 'boom', line: 1, column: 1 };

const stored = (state: StoredScript['state']): StoredScript => ({
  id: 's1',
  definition: { name: 'eff', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const x = a;', outputs: [{ tag: 'X', variable: 'x' }] },
  version: 1,
  state,
  lastError: state === 'quarantined' ? error : null,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  revision: 1,
  deleted: false,
});

const runtime = (retryAt: number | null): ScriptRuntimeStatus => ({
  id: 's1',
  version: 1,
  state: 'quarantined',
  evaluations: 5,
  errors: 5,
  consecutiveFailures: 5,
  avgMicros: 1,
  lastRunAt: null,
  lastError: error,
  missingInputs: [],
  retryAt,
});

const stats = (retryAt: Date | null): ScriptStats => ({ scriptId: 's1', evaluations: 5, errors: 5, avgMicros: 1, lastRunAt: null, retryAt });

describe('the status of a quarantined script', () => {
  it('gives the retry of the engine of this process', () => {
    const script = describeScript(stored('quarantined'), { runtime: new Map([['s1', runtime(Date.UTC(2026, 10, 27, 10, 1))]]), stats: new Map() });
    expect(script.status).toMatchObject({ state: 'quarantined', retryAt: '2026-11-27T10:01:00.000Z' });
  });

  it('gives the retry the worker stored when this process runs no engine (web + worker)', () => {
    const script = describeScript(stored('quarantined'), { runtime: new Map(), stats: new Map([['s1', stats(new Date('2026-11-27T10:02:00.000Z'))]]) });
    expect(script.status).toMatchObject({ state: 'quarantined', retryAt: '2026-11-27T10:02:00.000Z' });
  });

  it('prefers the live engine over what was stored, and has no retry when not quarantined', () => {
    const live = describeScript(stored('quarantined'), { runtime: new Map([['s1', runtime(null)]]), stats: new Map([['s1', stats(new Date())]]) });
    expect(live.status.retryAt).toBeNull();
    const registered = describeScript(stored('registered'), { runtime: new Map(), stats: new Map([['s1', stats(new Date())]]) });
    expect(registered.status.retryAt).toBeNull();
  });
});

describe('the status of a script whose state could not move (WORKER_MODE=partitioned)', () => {
  const notice = "its static variable 'seen' holds a Map, which JSON cannot carry";
  it('says why, from the engine of this process or as the worker stored it; nothing when there is none', () => {
    const live = describeScript(stored('registered'), { runtime: new Map([['s1', { ...runtime(null), state: 'running', stateNotice: notice }]]), stats: new Map() });
    expect(live.status.stateNotice).toBe(notice);
    const fromWorker = describeScript(stored('registered'), { runtime: new Map(), stats: new Map([['s1', { ...stats(null), stateNotice: notice }]]) });
    expect(fromWorker.status.stateNotice).toBe(notice);
    const none = describeScript(stored('registered'), { runtime: new Map(), stats: new Map([['s1', stats(null)]]) });
    expect(none.status).not.toHaveProperty('stateNotice');
  });
});
