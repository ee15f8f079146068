import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../model/diagnostic';
import type { StoredScript } from '../ports/script-store';
import { resumesQuarantine, toEngineSpec, toLoadedEngineSpec } from './to-engine-spec';

const error = (kind: Diagnostic['kind']): Diagnostic => ({ severity: 'error', source: kind === 'definition' ? 'definition' : 'calc', kind, message: `a ${kind} error` });

function stored(state: StoredScript['state'], lastError: Diagnostic | null, deleted = false): StoredScript {
  return {
    id: 's1',
    definition: { name: 'eff', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const x = a;', outputs: [{ tag: 'X', variable: 'x' }] },
    version: 3,
    state,
    lastError,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    revision: 7,
    deleted,
  };
}

describe('loading stored scripts into an engine', () => {
  it('resumes the quarantine of a script whose runs failed (runtime, timeout, memory, invalid output)', () => {
    for (const kind of ['runtime', 'timeout', 'memory', 'output'] as const) {
      const script = stored('quarantined', error(kind));
      expect(resumesQuarantine(script), kind).toBe(true);
      expect(toLoadedEngineSpec(script).resumeQuarantine, kind).toEqual({ lastError: error(kind) });
    }
  });

  it('leaves out a script that could not start, a deleted one, and one with no error; loads a registered one as it is', () => {
    for (const kind of ['syntax', 'reference', 'definition'] as const) expect(resumesQuarantine(stored('quarantined', error(kind))), kind).toBe(false);
    expect(resumesQuarantine(stored('quarantined', error('runtime'), true))).toBe(false);
    expect(resumesQuarantine(stored('quarantined', null))).toBe(false);
    expect(resumesQuarantine(stored('registered', error('runtime')))).toBe(false);
    expect(toLoadedEngineSpec(stored('registered', null))).toEqual({ id: 's1', name: 'eff', version: 3, definition: stored('registered', null).definition, program: undefined });
  });

  it('never resumes a quarantine when the script is registered through the API (registering again ends it)', () => {
    expect(toEngineSpec(stored('quarantined', error('runtime'))).resumeQuarantine).toBeUndefined();
  });
});
