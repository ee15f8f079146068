import { describe, expect, it } from 'vitest';
import { OrderedCommits } from './ordered-commits';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function recorder(depth: number) {
  const commits: Array<[number, string]> = [];
  const failures: Array<[number, string, string]> = [];
  const ordered = new OrderedCommits({
    depth,
    commit: async (partition, offset) => {
      commits.push([partition, offset]);
    },
    onFailure: (partition, firstOffset, error) => failures.push([partition, firstOffset, String(error)]),
  });
  return { ordered, commits, failures };
}

describe('OrderedCommits (the pipelined consumer)', () => {
  it('commits a slice only after it and every earlier slice of its partition are acknowledged, in order', async () => {
    const { ordered, commits } = recorder(3);
    const first = deferred();
    const second = deferred();
    await ordered.add(0, '0', '100', first.promise);
    await ordered.add(0, '100', '200', second.promise);
    second.resolve();
    await settle();
    // The second slice's outputs are acknowledged, the first's are not: nothing may be committed yet.
    expect(commits).toEqual([]);
    first.resolve();
    await ordered.drain();
    expect(commits).toEqual([
      [0, '100'],
      [0, '200'],
    ]);
  });

  it('keeps partitions apart: one partition waiting does not hold another back', async () => {
    const { ordered, commits } = recorder(3);
    const slow = deferred();
    await ordered.add(0, '0', '10', slow.promise);
    await ordered.add(1, '0', '7', Promise.resolve());
    await settle();
    expect(commits).toEqual([[1, '7']]);
    slow.resolve();
    await ordered.drain();
    expect(commits).toEqual([
      [1, '7'],
      [0, '10'],
    ]);
  });

  it('hands no more than depth slices of a partition over: add waits until the oldest is settled', async () => {
    const { ordered } = recorder(2);
    const first = deferred();
    await ordered.add(0, '0', '1', first.promise);
    let returned = false;
    const adding = ordered.add(0, '1', '2', Promise.resolve()).then(() => (returned = true));
    await settle();
    expect(returned).toBe(false);
    expect(ordered.inHand(0)).toBe(2);
    first.resolve();
    await adding;
    expect(returned).toBe(true);
    await ordered.drain();
    expect(ordered.inHand(0)).toBe(0);
  });

  it('on a failure commits neither the slice nor later ones in hand, reports where to read again once, and commits the next run', async () => {
    const { ordered, commits, failures } = recorder(4);
    await ordered.add(0, '0', '100', Promise.resolve());
    await ordered.add(0, '100', '200', Promise.reject(new Error('engine restarting')));
    await ordered.add(0, '200', '300', Promise.resolve());
    await ordered.add(0, '300', '400', Promise.reject(new Error('a second failure of the same run')));
    await ordered.drain();
    expect(commits).toEqual([[0, '100']]);
    expect(failures).toEqual([[0, '100', 'Error: engine restarting']]);
    // The partition read again from offset 100: the new run is committed as usual.
    await ordered.add(0, '100', '200', Promise.resolve());
    await ordered.drain();
    expect(commits).toEqual([
      [0, '100'],
      [0, '200'],
    ]);
  });

  it('a failed commit does not stop the lane: the next slice is committed', async () => {
    const commits: string[] = [];
    let calls = 0;
    const ordered = new OrderedCommits({
      depth: 2,
      commit: async (_partition, offset) => {
        calls++;
        if (calls === 1) throw new Error('REBALANCE_IN_PROGRESS');
        commits.push(offset);
      },
      onFailure: () => {
        throw new Error('not a handler failure');
      },
    });
    await ordered.add(2, '0', '5', Promise.resolve());
    await ordered.add(2, '5', '9', Promise.resolve());
    await ordered.drain();
    expect(commits).toEqual(['9']);
  });

  it('refuses a depth below 1', () => {
    expect(() => recorder(0)).toThrow(/pipeline depth must be a whole number ≥ 1, got 0/);
  });
});
