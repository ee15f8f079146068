import type { GroupMember, WorkerRegistry } from '../ports/worker-registry';

/** What GET /api/workers needs (list-workers.ts). */
export interface WorkerPorts {
  config: { WORKER_MODE: 'single' | 'partitioned' };
  workerRegistry: WorkerRegistry | null;
  /** The engines' consumer group as Kafka reports it; absent without Kafka. */
  groupMembers?: () => Promise<GroupMember[]>;
}
