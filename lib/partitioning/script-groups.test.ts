import { describe, expect, it } from 'vitest';
import { movedScripts, partitionOf, planPartitions, routeValues, type GroupableScript } from './script-groups';

const script = (id: string, inputTags: string[], outputTags: string[]): GroupableScript => ({ id, inputTags, outputTags });
const v = (tag: string, value: number, ts: number) => ({ tag, value, ts, quality: 'good' as const });

describe('script groups', () => {
  it('joins scripts connected by outputs→inputs, transitively, and keys each group by its smallest id', () => {
    const plan = planPartitions(
      [
        script('c', ['b.out'], ['c.out']),
        script('b', ['raw.1'], ['b.out']),
        script('d', ['c.out', 'raw.2'], []),
        script('a', ['raw.3'], ['a.out']),
        script('e', ['raw.1'], ['e.out']),
      ],
      8,
    );
    expect(plan.groups.map((group) => [group.key, group.scriptIds])).toEqual([
      ['a', ['a']],
      ['b', ['b', 'c', 'd']],
      ['e', ['e']],
    ]);
    expect(plan.groupOf.get('d')?.key).toBe('b');
    // raw.1 is read by two groups; b.out by one.
    expect(plan.readers.get('raw.1')).toEqual(['b', 'e']);
    expect(plan.readers.get('b.out')).toEqual(['b']);
    expect(plan.readers.has('a.out')).toBe(false);
  });

  it('gives the same keys and partitions whatever the order of the scripts', () => {
    const scripts = Array.from({ length: 40 }, (_, n) => script(`s${n}`, [`raw.${n % 7}`, ...(n % 5 === 0 && n > 0 ? [`s${n - 5}.out`] : [])], [`s${n}.out`]));
    const forward = planPartitions(scripts, 32);
    const backward = planPartitions([...scripts].reverse(), 32);
    expect(backward.groups).toEqual(forward.groups);
  });

  it('keeps a key while the membership stays the same, and through a merge keeps the smaller key', () => {
    const before = planPartitions([script('id-1', ['x'], ['one']), script('id-2', ['y'], ['two'])], 32);
    const renamed = planPartitions([script('id-1', ['x2'], ['one']), script('id-2', ['y'], ['two'])], 32);
    expect(renamed.groups.map((group) => group.key)).toEqual(before.groups.map((group) => group.key));
    // A new script reading both outputs merges the two groups under the smaller key.
    const merged = planPartitions([script('id-1', ['x'], ['one']), script('id-2', ['y'], ['two']), script('id-3', ['one', 'two'], ['sum'])], 32);
    expect(merged.groups).toHaveLength(1);
    expect(merged.groups[0].key).toBe('id-1');
    expect(merged.groups[0].partition).toBe(partitionOf('id-1', 32));
    const moved = movedScripts(before, merged);
    const expected = partitionOf('id-2', 32) === partitionOf('id-1', 32) ? [] : [{ id: 'id-2', from: partitionOf('id-2', 32), to: partitionOf('id-1', 32) }];
    expect(moved).toEqual(expected);
    // The split back: each part again under its own smallest id.
    const split = planPartitions([script('id-1', ['x'], ['one']), script('id-2', ['y'], ['two'])], 32);
    expect(split.groups).toEqual(before.groups);
  });

  it('maps keys to partitions deterministically and spreads UUID-like keys over all partitions', () => {
    expect(partitionOf('abc', 32)).toBe(partitionOf('abc', 32));
    const counts = new Array(8).fill(0);
    for (let n = 0; n < 800; n++) counts[partitionOf(`0000${n.toString(16)}-4f1e-9a2b-${(n * 7919).toString(16)}`, 8)]++;
    for (const count of counts) expect(count).toBeGreaterThan(50);
    expect(() => planPartitions([], 0)).toThrow(/at least 1 partition/);
  });
});

describe('routing raw values', () => {
  it('sends each value to every group reading it, keeps each tag in order, drops tags nobody reads', () => {
    const plan = planPartitions([script('b', ['t1', 't2'], ['b.out']), script('e', ['t1'], [])], 4);
    const { batches, unread } = routeValues([v('t1', 1, 10), v('zz', 9, 10), v('t2', 5, 11), v('t1', 2, 12)], plan);
    expect(unread).toBe(1);
    expect(batches).toEqual([
      { key: 'b', partition: partitionOf('b', 4), values: [v('t1', 1, 10), v('t2', 5, 11), v('t1', 2, 12)] },
      { key: 'e', partition: partitionOf('e', 4), values: [v('t1', 1, 10), v('t1', 2, 12)] },
    ]);
  });
});
