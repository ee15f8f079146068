/**
 * Wraps a chunked reader so that the next chunk is requested as soon as the current one is handed
 * out: while the caller works on chunk n, the store (InfluxDB over HTTP, the database) is already
 * producing chunk n + 1. At most one chunk is held ahead, so memory stays bounded.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncIterable<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  // A failure of the chunk read ahead is reported when the caller asks for it, not as an unhandled rejection.
  next.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const result = await next;
      if (result.done) {
        finished = true;
        return;
      }
      next = iterator.next();
      next.catch(() => undefined);
      yield result.value;
    }
  } finally {
    // Stopped early (the consumer broke off, or a read failed): let the pending read settle, then
    // release the reader (its query, its HTTP request).
    if (!finished) {
      await next.catch(() => undefined);
      await iterator.return?.();
    }
  }
}

/**
 * `readAhead` that starts at once: the first item is requested now, before anyone iterates (the
 * plot reads its first chunk of history while the lab thread is still preparing the script).
 * `close()` releases the source when the consumer did not iterate it to the end, or not at all;
 * a failure of a read nobody asked for is not reported.
 */
export function readAheadNow<T>(source: AsyncIterable<T>): AsyncIterable<T> & { close(): Promise<void> } {
  const iterator = readAhead(source)[Symbol.asyncIterator]();
  let first: Promise<IteratorResult<T>> | null = iterator.next();
  first.catch(() => undefined);
  const wrapped: AsyncIterator<T> = {
    next: () => {
      const pending = first;
      first = null;
      return pending ?? iterator.next();
    },
    return: async (value?: unknown) => {
      first = null;
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
  };
  return {
    [Symbol.asyncIterator]: () => wrapped,
    close: async () => {
      first = null;
      await iterator.return?.(undefined).catch(() => undefined);
    },
  };
}
