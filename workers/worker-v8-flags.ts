import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8 garbage-collector settings of the worker process (decision 0015, addendum "GC on the worker's
 * own threads"). Imported first by workers/worker.ts, so they are set while the heap is still small,
 * before the app starts.
 *
 * Why: a worker's V8 platform threads (parallel scavenges, concurrent marking and sweeping, parallel
 * compaction) cost ≈ 1.3–1.5 CPU-s per process in P7's 60 000 values whatever the process's share of
 * them — a cost per process, paid three times by three partitioned workers (docs/performance.md,
 * `i17-p7d`). With these collections on the thread that allocates (the main thread or the engine
 * thread, each its own heap), the platform threads' CPU fell by half or more and the process's total
 * CPU per value fell too (`i17-p7e`): on a small, shared machine the helpers' hand-offs and waits
 * cost more than the parallelism gains. The price is longer pauses on the thread itself (a worker
 * has no HTTP API to answer; its latency is the batch's), so the web process keeps V8's defaults.
 *
 * Only flags V8 reads at each collection are set here: `--single-threaded-gc` (which would also
 * cover parallel marking) aborts the process when set at run time (a check that concurrent marking
 * is stopped fails at the next major collection), so it could only be given on node's command line.
 */
export const WORKER_GC_FLAGS = ['--no-parallel-scavenge', '--no-concurrent-marking', '--no-concurrent-sweeping', '--no-parallel-compaction'] as const;

export function applyWorkerGcFlags(): readonly string[] {
  // The bundle's external packages (kafkajs, pg, …) are loaded before this module runs, so a major
  // collection may be under way with concurrent markers at work: V8 checks at its end that they are
  // stopped, and would not join them with the flag already off. One full collection first (through a
  // gc function of a fresh context; the main context gets none) ends any marking in progress.
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  for (const flag of WORKER_GC_FLAGS) v8.setFlagsFromString(flag);
  return WORKER_GC_FLAGS;
}

applyWorkerGcFlags();
