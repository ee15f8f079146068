import type { HistoryRow } from '../ports/history-store';

/**
 * Merges streams of rows, each in time order (one per tag), into one stream in time order: rows at
 * the same instant come in the order of the streams. Only one chunk per stream is held at a time, so
 * memory does not grow with the range; the output comes in chunks of at most `chunkSize` rows.
 */
export async function* mergeRowStreams(streams: readonly AsyncIterable<HistoryRow[]>[], chunkSize: number): AsyncIterable<HistoryRow[]> {
  if (streams.length === 1) {
    yield* streams[0];
    return;
  }
  const iterators = streams.map((stream) => stream[Symbol.asyncIterator]());
  const chunks: (HistoryRow[] | null)[] = iterators.map(() => []);
  const positions = iterators.map(() => 0);
  /** The next row of stream `index`, refilling its chunk when it is used up; null at its end. */
  const head = async (index: number): Promise<HistoryRow | null> => {
    for (;;) {
      const chunk = chunks[index];
      if (chunk === null) return null;
      if (positions[index] < chunk.length) return chunk[positions[index]];
      const next = await iterators[index].next();
      chunks[index] = next.done ? null : next.value;
      positions[index] = 0;
    }
  };
  const size = Math.max(1, Math.floor(chunkSize));
  let out: HistoryRow[] = [];
  try {
    for (;;) {
      let best = -1;
      let bestTs = Infinity;
      for (let index = 0; index < iterators.length; index++) {
        const row = await head(index);
        if (row !== null && row.ts < bestTs) {
          best = index;
          bestTs = row.ts;
        }
      }
      if (best < 0) break;
      out.push(chunks[best]![positions[best]++]);
      if (out.length >= size) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  } finally {
    await Promise.allSettled(iterators.map((iterator) => iterator.return?.()));
  }
}
