/**
 * A streamed answer that fails after its status was sent can only be cut off: the client sees a
 * truncated download. This passes the pieces through and reports the failure (then rethrows it,
 * which aborts the response).
 */
export async function* logFailure<T>(source: AsyncIterable<T>, report: (error: unknown) => void): AsyncIterable<T> {
  try {
    yield* source;
  } catch (error) {
    report(error);
    throw error;
  }
}
