import type { WorkerHeartbeat } from '../ports/worker-registry';
import type { WorkerPorts } from './worker-ports';

/** One member of GET /api/workers (scale-out.md "Operations"). */
export interface WorkerMember {
  memberId: string;
  clientId: string;
  host: string;
  partitions: number[];
  groups: number;
  scripts: number;
  evaluationsPerSecond: number;
  lastSeenAt: string | null;
}

/**
 * GET /api/workers: the engines' consumer group members as Kafka reports them, each with the figures
 * of its last heartbeat in the database (null/0 until its first one). In `single` mode, or without
 * Kafka, the members are those whose heartbeats are recent.
 */
export async function listWorkers(ports: WorkerPorts, now = Date.now()): Promise<{ mode: 'single' | 'partitioned'; members: WorkerMember[] }> {
  const [heartbeats, members] = await Promise.all([ports.workerRegistry ? ports.workerRegistry.list() : Promise.resolve([]), ports.groupMembers ? ports.groupMembers() : Promise.resolve(null)]);
  const byMember = new Map(heartbeats.map((heartbeat) => [heartbeat.memberId, heartbeat]));
  const listed: WorkerMember[] = members
    ? members.map((member) => toMember(member.memberId, byMember.get(member.memberId), { clientId: member.clientId, host: member.host, partitions: member.partitions }))
    : heartbeats.filter((heartbeat) => now - heartbeat.lastSeenAt.getTime() < STALE_MS).map((heartbeat) => toMember(heartbeat.memberId, heartbeat));
  return { mode: ports.config.WORKER_MODE, members: listed.sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0)) };
}

/** A heartbeat older than this belongs to a worker that is gone (they beat every 5 s). */
const STALE_MS = 60_000;

function toMember(memberId: string, heartbeat: WorkerHeartbeat | undefined, reported?: { clientId: string; host: string; partitions: number[] }): WorkerMember {
  return {
    memberId,
    clientId: reported?.clientId ?? heartbeat?.clientId ?? '',
    host: reported?.host ?? heartbeat?.host ?? '',
    partitions: reported?.partitions ?? heartbeat?.figures.partitions ?? [],
    groups: heartbeat?.figures.groups ?? 0,
    scripts: heartbeat?.figures.scripts ?? 0,
    evaluationsPerSecond: heartbeat?.figures.evaluationsPerSecond ?? 0,
    lastSeenAt: heartbeat ? heartbeat.lastSeenAt.toISOString() : null,
  };
}

/** Per-worker figures for GET /api/metrics (Prometheus text), from the heartbeats. */
export function workerMetricsText(heartbeats: readonly WorkerHeartbeat[]): string {
  if (heartbeats.length === 0) return '';
  const gauges: Array<[string, string, (heartbeat: WorkerHeartbeat) => number]> = [
    ['script_server_worker_partitions', 'routed partitions assigned to the worker', (h) => h.figures.partitions.length],
    ['script_server_worker_groups', 'script groups the worker computes', (h) => h.figures.groups],
    ['script_server_worker_scripts', 'scripts the worker computes', (h) => h.figures.scripts],
    ['script_server_worker_evaluations_per_second', 'evaluations per second at the last heartbeat', (h) => h.figures.evaluationsPerSecond],
    ['script_server_worker_evaluations_total', 'evaluations since the worker started, at the last heartbeat', (h) => h.figures.evaluations ?? 0],
    ['script_server_worker_router_values_in', 'raw values the worker routed from the input topic', (h) => h.figures.routerValuesIn],
    ['script_server_worker_router_values_routed', 'values the worker wrote to the routed topic', (h) => h.figures.routerValuesRouted],
    ['script_server_worker_state_records_written', 'state records the worker wrote', (h) => h.figures.stateRecordsWritten],
    ['script_server_worker_state_records_restored', 'state records the worker restored', (h) => h.figures.stateRecordsRestored],
    ['script_server_worker_rebalances', 'rebalances the worker went through', (h) => h.figures.rebalances],
    ['script_server_worker_rebalance_seconds', 'time the worker spent loading assigned partitions', (h) => h.figures.rebalanceMs / 1000],
  ];
  const lines: string[] = [];
  for (const [name, help, read] of gauges) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const heartbeat of heartbeats) lines.push(`${name}{member="${escapeLabel(heartbeat.memberId)}",host="${escapeLabel(heartbeat.host)}"} ${read(heartbeat)}`);
  }
  return `${lines.join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
