import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead';

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
