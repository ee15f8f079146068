/**
 * WORKER_MODE=partitioned (scale-out.md "Operations"): what each engine reports of itself, kept in
 * the database so a web process can show it beside the members Kafka reports.
 */

export interface WorkerFigures {
  partitions: number[];
  groups: number;
  scripts: number;
  evaluationsPerSecond: number;
  /** Evaluations since the worker started (absent in heartbeats of older versions). */
  evaluations?: number;
  routerValuesIn: number;
  routerValuesRouted: number;
  stateRecordsWritten: number;
  stateRecordsRestored: number;
  rebalances: number;
  rebalanceMs: number;
}

export interface WorkerHeartbeat {
  memberId: string;
  clientId: string;
  host: string;
  figures: WorkerFigures;
  lastSeenAt: Date;
}

export interface WorkerRegistry {
  beat(heartbeat: WorkerHeartbeat): Promise<void>;
  list(): Promise<WorkerHeartbeat[]>;
  /** Forgets heartbeats older than `before` (members long gone). */
  prune(before: Date): Promise<void>;
}

/** A member of the engines' consumer group, as Kafka reports it. */
export interface GroupMember {
  memberId: string;
  clientId: string;
  host: string;
  partitions: number[];
}
