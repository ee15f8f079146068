import os from 'node:os';
import { messageOf } from '../model/errors';
import type { EngineHost } from '../ports/engine';
import type { WorkerRegistry } from '../ports/worker-registry';
import type { PartitionedWorker } from '../partitioning/partitioned-worker';
import type { Logger } from '../support/logger';

const HEARTBEAT_MS = 5_000;

/**
 * WORKER_MODE=partitioned: every 5 s the worker writes its figures to the database under its member
 * id in the engines' consumer group (GET /api/workers, per-worker lines of GET /api/metrics); old
 * heartbeats (members gone for an hour) are pruned.
 */
export function startWorkerHeartbeat(deps: { registry: WorkerRegistry; engine: EngineHost; worker: PartitionedWorker; memberId: () => string | null; log: Logger }) {
  let previous: { at: number; evaluations: number } | null = null;
  /** Evaluations since start: the sum of each interval's growth (an unloaded script takes its own count with it). */
  let total = 0;
  const beat = async () => {
    const memberId = deps.memberId();
    if (!memberId) return;
    try {
      const statuses = await deps.engine.statuses();
      const evaluations = statuses.reduce((sum, status) => sum + status.evaluations, 0);
      const at = Date.now();
      const grown = Math.max(0, evaluations - (previous?.evaluations ?? 0));
      total += grown;
      const rate = previous && at > previous.at ? (grown * 1000) / (at - previous.at) : 0;
      previous = { at, evaluations };
      const counters = deps.worker.counters();
      await deps.registry.beat({
        memberId,
        clientId: 'script-server-engine',
        host: os.hostname(),
        lastSeenAt: new Date(at),
        figures: {
          partitions: counters.partitions,
          groups: counters.groups,
          scripts: counters.scripts,
          evaluationsPerSecond: Math.round(rate * 10) / 10,
          evaluations: total,
          routerValuesIn: counters.routerValuesIn,
          routerValuesRouted: counters.routerValuesRouted,
          stateRecordsWritten: counters.stateRecordsWritten,
          stateRecordsRestored: counters.stateRecordsRestored,
          rebalances: counters.rebalances,
          rebalanceMs: counters.rebalanceMs,
        },
      });
      await deps.registry.prune(new Date(at - 60 * 60 * 1000));
    } catch (error) {
      deps.log.debug(`worker heartbeat not written: ${messageOf(error)}`);
    }
  };
  const timer = setInterval(() => void beat(), HEARTBEAT_MS);
  timer.unref();
  void beat();
  return {
    async stop() {
      clearInterval(timer);
    },
  };
}
