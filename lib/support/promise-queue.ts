/**
 * Serialises asynchronous work: each task starts once every task queued before it has settled,
 * whether it succeeded or failed. A failure reaches only the caller of the task that failed.
 */
export class PromiseQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it; settles as `task` does. */
  run<T>(task: () => T | PromiseLike<T>): Promise<T> {
    const run = this.tail.then(task);
    this.tail = run.catch(() => undefined);
    return run;
  }
}
