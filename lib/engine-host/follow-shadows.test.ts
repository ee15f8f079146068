import { describe, expect, it } from 'vitest';
import type { ShadowReport } from '../model/shadow';
import type { EngineHost, ScriptRuntimeStatus, ShadowSpec } from '../ports/engine';
import type { NewShadow, ShadowStore, StoredShadow } from '../ports/shadow-store';
import { ShadowBoard } from '../shadows/shadow-board';
import { silentLogger } from '../support/logger';
import { followShadows } from './follow-shadows';

/** A store in memory and an engine that records what it is asked: what the follower decides. */
function setup(liveScripts: string[]) {
  const rows = new Map<string, StoredShadow>();
  const reports: Array<{ scriptId: string; shadowId: string; report: ShadowReport }> = [];
  const store: ShadowStore = {
    put: async (shadow: NewShadow) => void rows.set(shadow.scriptId, { ...shadow, report: null, reportAt: null }),
    get: async (scriptId) => rows.get(scriptId) ?? null,
    list: async () => [...rows.values()],
    remove: async (scriptId) => rows.delete(scriptId),
    saveReport: async (scriptId, shadowId, report) => void reports.push({ scriptId, shadowId, report }),
  };
  const started: ShadowSpec[] = [];
  const stopped: string[] = [];
  const status = (id: string): ScriptRuntimeStatus => ({
    id,
    version: 1,
    state: 'running',
    evaluations: 0,
    errors: 0,
    consecutiveFailures: 0,
    avgMicros: 0,
    lastRunAt: null,
    lastError: null,
    missingInputs: [],
    retryAt: null,
  });
  const engine = {
    statuses: async () => liveScripts.map(status),
    startShadow: async (spec: ShadowSpec) => {
      started.push(spec);
      return spec.definition.calcCode.includes('throw') ? { ok: false, reason: 'invalid', diagnostics: [{ message: 'it throws' }] } : { ok: true };
    },
    stopShadow: async (scriptId: string) => {
      stopped.push(scriptId);
      return true;
    },
    shadowStatuses: async () => started.map((spec) => ({ ...status(spec.scriptId), shadowId: spec.shadowId, evaluations: 3 })),
  } as unknown as EngineHost;
  const board = new ShadowBoard();
  const follower = followShadows({ shadows: store, engine, board, latest: () => undefined, log: silentLogger });
  const shadow = (scriptId: string, shadowId: string, calcCode = 'const y = x;'): NewShadow => ({
    shadowId,
    scriptId,
    version: 2,
    definition: { name: scriptId, inputs: [{ tag: 'X', alias: 'x' }], calcCode, outputs: [{ tag: `${scriptId}.Y`, variable: 'y' }], tests: [] },
    startedAt: new Date(0),
    startedBy: null,
  });
  return { store, started, stopped, reports, board, follower, shadow, liveScripts };
}

describe('following shadow runs', () => {
  it('starts a shadow only where its live version runs, without its tests, and reports it', async () => {
    const { store, started, reports, follower, shadow } = setup(['here']);
    await store.put(shadow('here', 'sh1'));
    await store.put(shadow('elsewhere', 'sh2'));
    await follower.poll();
    expect(started.map((spec) => [spec.scriptId, spec.shadowId])).toEqual([['here', 'sh1']]);
    expect(started[0].definition).not.toHaveProperty('tests');
    expect(reports.map((entry) => [entry.scriptId, entry.report.activity?.evaluations])).toEqual([['here', 3]]);
    await follower.poll();
    expect(started).toHaveLength(1); // already running
  });

  it('stops a shadow that ended, was replaced, or whose script moved away', async () => {
    const { store, started, stopped, follower, shadow, liveScripts } = setup(['a', 'b']);
    await store.put(shadow('a', 'sh1'));
    await store.put(shadow('b', 'sh2'));
    await follower.poll();
    await store.put(shadow('a', 'sh3')); // replaced
    await store.remove('b'); // ended
    await follower.poll();
    expect(stopped.sort()).toEqual(['a', 'b']);
    expect(started.map((spec) => spec.shadowId)).toEqual(['sh1', 'sh2', 'sh3']);
    liveScripts.splice(0); // the scripts moved to another worker
    await follower.poll();
    expect(stopped).toEqual(['a', 'b', 'a']);
  });

  it('reports a candidate that could not start once, with the reason, and tries it again only when replaced', async () => {
    const { store, started, reports, follower, shadow } = setup(['a']);
    await store.put(shadow('a', 'sh1', 'throw 1;'));
    await follower.poll();
    await follower.poll();
    expect(started).toHaveLength(1);
    expect(reports[0].report.activity).toMatchObject({ state: 'quarantined', lastError: { message: 'it throws' } });
    await store.put(shadow('a', 'sh2'));
    await follower.poll();
    expect(started.map((spec) => spec.shadowId)).toEqual(['sh1', 'sh2']);
  });
});
