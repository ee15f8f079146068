import { describe, expect, it } from 'vitest';
import type { ScriptStats } from '../ports/script-store';
import { ChangedStats } from './changed-stats';

const stat = (scriptId: string, evaluations: number, extra: Partial<ScriptStats> = {}): ScriptStats => ({ scriptId, evaluations, errors: 0, avgMicros: 3, lastRunAt: new Date(1000 + evaluations), ...extra });

describe('ChangedStats', () => {
  it('picks every script at first, then only those whose figures changed since the last save', () => {
    const saved = new ChangedStats();
    const first = [stat('a', 1), stat('b', 5)];
    expect(saved.pick(first)).toEqual(first);
    saved.remember(first, first);
    expect(saved.pick([stat('a', 1), stat('b', 5)])).toEqual([]);
    const next = [stat('a', 2), stat('b', 5), stat('c', 0)];
    expect(saved.pick(next).map((entry) => entry.scriptId)).toEqual(['a', 'c']);
    // A quarantine's retry time, a state notice or errors alone count as changes too.
    saved.remember(next, saved.pick(next));
    expect(saved.pick([stat('a', 2, { retryAt: new Date(9000) }), stat('b', 5, { stateNotice: 'static state not restored' }), stat('c', 0, { errors: 1 })]).map((entry) => entry.scriptId)).toEqual(['a', 'b', 'c']);
  });

  it('picks again what a failed save did not write, and a script that went and came back', () => {
    const saved = new ChangedStats();
    const stats = [stat('a', 1), stat('b', 1)];
    // The save failed: nothing remembered, so the next round writes them.
    expect(saved.pick(stats)).toHaveLength(2);
    expect(saved.pick(stats)).toHaveLength(2);
    saved.remember(stats, stats);
    // b unloaded (another worker took it), then loaded again with the same figures: written again.
    saved.remember([stat('a', 1)], []);
    expect(saved.pick(stats).map((entry) => entry.scriptId)).toEqual(['b']);
  });
});
