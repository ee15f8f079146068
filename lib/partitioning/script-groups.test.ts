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

/** `count` chains of `size` scripts (script j reads script j − 1's output), keyed by UUID-like ids from a fixed seed. */
function chains(count: number, size: number, seed: number): GroupableScript[] {
  let state = seed;
  const hex = (length: number) => {
    let out = '';
    while (out.length < length) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      out += (state >>> 8).toString(16).padStart(6, '0');
    }
    return out.slice(0, length);
  };
  const scripts: GroupableScript[] = [];
  for (let c = 0; c < count; c++) {
    for (let j = 0; j < size; j++) {
      const id = `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
      scripts.push(script(id, [`raw.${c}.${j}`, ...(j > 0 ? [scripts.at(-1)!.outputTags[0]] : [])], [`out.${c}.${j}`]));
    }
  }
  return scripts;
}

const scriptsPerPartition = (plan: ReturnType<typeof planPartitions>) => {
  const load = new Array<number>(plan.partitions).fill(0);
  for (const group of plan.groups) load[group.partition] += group.scriptIds.length;
  return load;
};

describe('placing groups on partitions', () => {
  it('puts about the same number of scripts on every partition (P7: 200 groups of 5 on 32), where the hash alone does not', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const plan = planPartitions(chains(200, 5, seed), 32);
      expect(plan.groups).toHaveLength(200);
      const load = scriptsPerPartition(plan);
      // The mean is 31.25 scripts: every partition holds 6 or 7 groups of 5.
      for (const scripts of load) expect([30, 35]).toContain(scripts);
      // Three workers sharing the partitions round-robin: each within ±12 % of a third.
      for (let member = 0; member < 3; member++) {
        const share = load.filter((_, partition) => partition % 3 === member).reduce((a, b) => a + b, 0) / 1000;
        expect(Math.abs(share - 1 / 3) * 3).toBeLessThanOrEqual(0.12);
      }
    }
    // The hash partitions of the same keys are far apart (what the placement corrects).
    const hashed = new Array<number>(32).fill(0);
    for (const group of planPartitions(chains(200, 5, 1), 32).groups) hashed[partitionOf(group.key, 32)] += 5;
    expect(Math.max(...hashed) - Math.min(...hashed)).toBeGreaterThan(20);
  });

  it('keeps most groups in place when a group is added, removed, or two merge', () => {
    const scripts = chains(200, 5, 7);
    const before = planPartitions(scripts, 32);
    const home = before.groups.filter((group) => group.partition === partitionOf(group.key, 32)).length;
    expect(home).toBeGreaterThan(150);
    const added = planPartitions([...scripts, ...chains(1, 5, 99)], 32);
    const removed = planPartitions(scripts.slice(5), 32);
    // A script reading the outputs of the first two chains merges them.
    const merged = planPartitions([...scripts, script('ffffffff-0000-4000-a000-000000000000', [scripts[0].outputTags[0], scripts[5].outputTags[0]], [])], 32);
    expect(merged.groups).toHaveLength(199);
    for (const after of [added, removed, merged]) expect(movedScripts(before, after).length).toBeLessThanOrEqual(15 * 5);
  });
});

describe('routing raw values', () => {
  it('sends each value to every group reading it, keeps each tag in order, drops tags nobody reads', () => {
    const plan = planPartitions([script('b', ['t1', 't2'], ['b.out']), script('e', ['t1'], [])], 4);
    const { batches, unread } = routeValues([v('t1', 1, 10), v('zz', 9, 10), v('t2', 5, 11), v('t1', 2, 12)], plan);
    expect(unread).toBe(1);
    expect(batches).toEqual([
      { key: 'b', partition: plan.groupOf.get('b')!.partition, values: [v('t1', 1, 10), v('t2', 5, 11), v('t1', 2, 12)] },
      { key: 'e', partition: plan.groupOf.get('e')!.partition, values: [v('t1', 1, 10), v('t1', 2, 12)] },
    ]);
    expect(plan.groupOf.get('b')!.partition).not.toBe(plan.groupOf.get('e')!.partition);
  });
});
