import { describe, expect, it } from 'vitest';
import { TAP, TAP_FOLLOW, TAP_STALE, tapTable } from './engine-index';
import type { LoadedScript, SandboxGroup, StaleRule, Tap } from './engine-types';

// Only identity matters to the table: stand-ins for the engine's records.
const groupA = { id: 1 } as SandboxGroup;
const groupB = { id: 2 } as SandboxGroup;
const first = { slot: 0 } as LoadedScript;
const second = { slot: 1 } as LoadedScript;
const rule = { tag: 'T2', afterMs: 5000 } as StaleRule;

describe('tapTable (the taps by tag id as typed arrays)', () => {
  const taps: Array<Tap | undefined> = [];
  taps[0] = { routes: [{ group: groupA, index: 3 }, { group: groupB, index: 7 }], dependents: [first], stale: null, follow: false };
  taps[2] = { routes: [{ group: groupA, index: 4 }], dependents: [first, second], stale: rule, follow: true };
  taps[3] = { routes: [], dependents: [], stale: null, follow: true };
  const table = tapTable(taps);

  it('flags each id: a tap, followed, with a staleness rule (the rule kept by id); none for an id without a tap', () => {
    expect(table.size).toBe(4);
    expect([...table.flags]).toEqual([TAP, 0, TAP | TAP_FOLLOW | TAP_STALE, TAP | TAP_FOLLOW]);
    expect(table.stale[2]).toBe(rule);
    expect(table.stale[0]).toBeUndefined();
  });

  it("lists each id's routes (sandbox, table index) and the scripts it triggers, each sandbox and script numbered once", () => {
    const routesOf = (id: number) =>
      Array.from({ length: table.start[id + 1] - table.start[id] }, (_, k) => [table.groups[table.group[table.start[id] + k]], table.index[table.start[id] + k]]);
    const dependentsOf = (id: number) =>
      Array.from({ length: table.firstDependent[id + 1] - table.firstDependent[id] }, (_, k) => table.scripts[table.dependent[table.firstDependent[id] + k]]);
    expect(routesOf(0)).toEqual([[groupA, 3], [groupB, 7]]);
    expect(routesOf(1)).toEqual([]);
    expect(routesOf(2)).toEqual([[groupA, 4]]);
    expect(routesOf(3)).toEqual([]);
    expect(dependentsOf(0)).toEqual([first]);
    expect(dependentsOf(2)).toEqual([first, second]);
    expect(dependentsOf(3)).toEqual([]);
    expect(table.groups).toEqual([groupA, groupB]);
    expect(table.scripts).toEqual([first, second]);
    // No script triggered yet: every step stamp is below the first step (1).
    expect([...table.triggeredAt]).toEqual([-1, -1]);
  });

  it('is empty for no taps', () => {
    const empty = tapTable([]);
    expect(empty.size).toBe(0);
    expect([...empty.start]).toEqual([0]);
    expect(empty.scripts).toEqual([]);
  });
});
