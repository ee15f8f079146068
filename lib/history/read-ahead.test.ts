import { describe, expect, it } from 'vitest';
import { readAhead, readAheadNow } from './read-ahead';

function source(chunks: number[][], options: { failAt?: number } = {}) {
  const state = { requested: 0, closed: false };
  const iterable = {
    async *[Symbol.asyncIterator]() {
      try {
        for (let index = 0; index < chunks.length; index++) {
          state.requested++;
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (options.failAt === index) throw new Error('store down');
          yield chunks[index];
        }
      } finally {
        state.closed = true;
      }
    },
  };
  return { iterable, state };
}

describe('readAhead', () => {
  it('yields every chunk in order and asks for the next one while the current is in use', async () => {
    const { iterable, state } = source([[1], [2], [3]]);
    const seen: number[][] = [];
    for await (const chunk of readAhead(iterable)) {
      seen.push(chunk);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (seen.length === 1) expect(state.requested).toBe(2);
    }
    expect(seen).toEqual([[1], [2], [3]]);
    expect(state.closed).toBe(true);
  });

  it('releases the source when the consumer stops early', async () => {
    const { iterable, state } = source([[1], [2], [3], [4]]);
    for await (const chunk of readAhead(iterable)) if (chunk[0] === 2) break;
    expect(state.closed).toBe(true);
    expect(state.requested).toBeLessThanOrEqual(3);
  });

  it('reports a failed read to the consumer when it asks for that chunk', async () => {
    const { iterable } = source([[1], [2], [3]], { failAt: 1 });
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const chunk of readAhead(iterable)) seen.push(chunk);
      })(),
    ).rejects.toThrow('store down');
    expect(seen).toEqual([[1]]);
  });
});

describe('readAheadNow', () => {
  it('asks for the first chunk before anyone iterates, then yields every chunk in order', async () => {
    const { iterable, state } = source([[1], [2], [3]]);
    const early = readAheadNow(iterable);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.requested).toBeGreaterThanOrEqual(1);
    const seen: number[][] = [];
    for await (const chunk of early) seen.push(chunk);
    expect(seen).toEqual([[1], [2], [3]]);
    expect(state.closed).toBe(true);
    await early.close();
  });

  it('releases a source nobody iterated, and keeps quiet about its failure', async () => {
    const { iterable, state } = source([[1], [2]], { failAt: 0 });
    const early = readAheadNow(iterable);
    await early.close();
    expect(state.closed).toBe(true);
    expect(state.requested).toBe(1);
  });

  it('releases the source when the consumer stops early', async () => {
    const { iterable, state } = source([[1], [2], [3], [4]]);
    const early = readAheadNow(iterable);
    for await (const chunk of early) if (chunk[0] === 2) break;
    expect(state.closed).toBe(true);
    await early.close();
  });

  it('reports a failure of the first read to the consumer that asks for it', async () => {
    const { iterable } = source([[1]], { failAt: 0 });
    const early = readAheadNow(iterable);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await expect(
      (async () => {
        for await (const chunk of early) void chunk;
      })(),
    ).rejects.toThrow('store down');
  });
});
