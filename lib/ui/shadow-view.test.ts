import { describe, expect, it } from 'vitest';
import { ApiError } from './api-client';
import { differingPercent, draftRelation, shadowCandidate, pollWhileVisible, rememberShadowDraft, shadowChartRows, shadowProblem, type PageVisibility } from './shadow-view';

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
}

describe('differingPercent', () => {
  it('is the share of comparisons that differed, and null before the first one', () => {
    expect(differingPercent({ compared: 0, differing: 0 })).toBeNull();
    expect(differingPercent({ compared: 8, differing: 2 })).toBe(25);
    expect(differingPercent({ compared: 3, differing: 3 })).toBe(100);
  });
});

describe('shadowCandidate', () => {
  const draft = { name: 'eff', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a;', outputs: [{ tag: 'Y', variable: 'y' }] };
  const tests = [{ name: 'one', steps: [{ inputs: { a: 1 } }], expect: { Y: 1 } }];
  it('keeps the saved regression tests when the editor does not carry them', () => {
    expect(shadowCandidate(draft, { tests })).toEqual({ ...draft, tests });
    expect(shadowCandidate(draft, {})).toEqual(draft);
  });
  it("sends the editor's own tests, even none, when it carries them", () => {
    expect(shadowCandidate({ ...draft, tests: [] }, { tests })).toEqual({ ...draft, tests: [] });
  });
});

describe('shadowChartRows', () => {
  const at = (s: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, s)).toISOString();
  it('puts live and shadow in one row per time, and the difference apart, in time order', () => {
    const rows = shadowChartRows({
      live: [
        { ts: at(2), value: 0.92, quality: 'good' },
        { ts: at(1), value: 0.91, quality: 'good' },
      ],
      shadow: [{ ts: at(1), value: 91, quality: 'good' }],
      difference: [{ ts: at(1), value: 90.09, quality: 'good' }],
    });
    expect(rows.values).toEqual([
      { ts: Date.parse(at(1)), live: 0.91, shadow: 91 },
      { ts: Date.parse(at(2)), live: 0.92 },
    ]);
    expect(rows.difference).toEqual([{ ts: Date.parse(at(1)), difference: 90.09 }]);
  });

  it('draws a bad value as a gap, a boolean as 1/0 and nothing for no series', () => {
    const rows = shadowChartRows({
      live: [{ ts: at(1), value: 5, quality: 'bad' }],
      shadow: [{ ts: at(1), value: true, quality: 'good' }],
      difference: [],
    });
    expect(rows.values).toEqual([{ ts: Date.parse(at(1)), live: null, shadow: 1 }]);
    expect(shadowChartRows(undefined)).toEqual({ values: [], difference: [] });
  });
});

describe('shadowProblem', () => {
  it('explains a 409 for an unregistered script', () => {
    expect(shadowProblem(new ApiError(409, 'CONFLICT', "'x' is not registered", { state: 'unregistered' }))).toEqual({ kind: 'notRegistered' });
    // Another conflict (a dependency cycle) is shown as the server says it.
    expect(shadowProblem(new ApiError(409, 'CONFLICT', 'cycle', { cycle: ['a', 'b'] })).kind).toBe('other');
  });

  it('hands a 422 with diagnostics to the problems list', () => {
    const diagnostic = { severity: 'error', source: 'calc', line: 2, column: 5, message: 'Unexpected token', code: 'syntax', params: {} };
    expect(shadowProblem(new ApiError(422, 'SCRIPT_INVALID', 'does not compile', { diagnostics: [diagnostic] }))).toEqual({ kind: 'invalid', diagnostics: [diagnostic] });
  });

  it('names the failing regression tests of a refused promote', () => {
    const error = new ApiError(422, 'TESTS_FAILED', '1 of 2 regression tests fail', { results: [{ name: 'full load', ok: false }, { name: 'idle', ok: true }] });
    expect(shadowProblem(error)).toEqual({ kind: 'testsFailed', failing: ['full load'], message: '1 of 2 regression tests fail' });
  });

  it('knows a shadow that ended meanwhile, and leaves anything else as it is', () => {
    expect(shadowProblem(new ApiError(404, 'NOT_FOUND', 'no shadow run')).kind).toBe('gone');
    const network = new ApiError(0, 'NETWORK', 'down');
    expect(shadowProblem(network)).toEqual({ kind: 'other', error: network });
  });
});

describe('draftRelation', () => {
  it('remembers which draft each shadow was started with', () => {
    const storage = new MemoryStorage();
    expect(draftRelation(storage, 'sh1', 'A')).toBe('unknown');
    rememberShadowDraft(storage, 'sh1', 'A');
    expect(draftRelation(storage, 'sh1', 'A')).toBe('same');
    expect(draftRelation(storage, 'sh1', 'B')).toBe('changed');
    rememberShadowDraft(storage, 'sh1', 'B');
    expect(draftRelation(storage, 'sh1', 'B')).toBe('same');
  });

  it('keeps only the latest shadows and survives broken storage', () => {
    const storage = new MemoryStorage();
    for (let n = 0; n < 30; n++) rememberShadowDraft(storage, `sh${n}`, `F${n}`);
    expect(draftRelation(storage, 'sh0', 'F0')).toBe('unknown');
    expect(draftRelation(storage, 'sh29', 'F29')).toBe('same');
    storage.setItem('script-server.shadow-drafts', '{not json');
    expect(draftRelation(storage, 'sh29', 'F29')).toBe('unknown');
  });
});

describe('pollWhileVisible', () => {
  function fakePage(hidden: boolean) {
    const listeners = new Set<() => void>();
    const page: PageVisibility & { set(hidden: boolean): void } = {
      hidden: () => hidden,
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      set(next) {
        hidden = next;
        for (const listener of listeners) listener();
      },
    };
    return { page, listeners };
  }
  function fakeTimers() {
    const intervals = new Map<number, () => void>();
    let next = 1;
    return {
      intervals,
      setInterval: (callback: () => void) => {
        intervals.set(next, callback);
        return next++;
      },
      clearInterval: (handle: unknown) => intervals.delete(handle as number),
      fire: () => [...intervals.values()].forEach((callback) => callback()),
    };
  }

  it('asks at once and on every interval while visible, nothing while hidden, at once on return', () => {
    const { page } = fakePage(false);
    const timers = fakeTimers();
    let ticks = 0;
    const stop = pollWhileVisible(page, 2000, () => ticks++, timers);
    expect(ticks).toBe(1);
    timers.fire();
    expect(ticks).toBe(2);
    page.set(true);
    expect(timers.intervals.size).toBe(0);
    timers.fire();
    expect(ticks).toBe(2);
    page.set(false);
    expect(ticks).toBe(3);
    expect(timers.intervals.size).toBe(1);
    stop();
    expect(timers.intervals.size).toBe(0);
  });

  it('starts paused in a hidden tab and stops listening when stopped', () => {
    const { page, listeners } = fakePage(true);
    const timers = fakeTimers();
    let ticks = 0;
    const stop = pollWhileVisible(page, 2000, () => ticks++, timers);
    expect(ticks).toBe(0);
    expect(timers.intervals.size).toBe(0);
    stop();
    expect(listeners.size).toBe(0);
    page.set(false);
    expect(ticks).toBe(0);
  });
});
