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
