import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlWorkerRegistry } from '../adapters/store/sql-worker-registry';
import type { WorkerHeartbeat } from '../ports/worker-registry';
import { listWorkers, workerMetricsText } from './list-workers';

/** GET /api/workers and the per-worker metrics, over the heartbeats table of the embedded database. */

const figures = (partitions: number[], scripts: number): WorkerHeartbeat['figures'] => ({
  partitions,
  groups: scripts,
  scripts,
  evaluationsPerSecond: 12.5,
  evaluations: 4200,
  routerValuesIn: 100,
  routerValuesRouted: 80,
  stateRecordsWritten: 7,
  stateRecordsRestored: 3,
  rebalances: 2,
  rebalanceMs: 1500,
});

let database: DatabaseHandle;
let registry: SqlWorkerRegistry;
beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder: path.resolve(__dirname, '../../db/migrations') });
  registry = new SqlWorkerRegistry(database);
}, 60_000);
afterAll(() => database?.close());

describe('listWorkers', () => {
  it('lists the members Kafka reports, each with the figures of its last heartbeat (none yet: zeros, lastSeenAt null)', async () => {
    const seen = new Date('2026-12-01T10:00:00.000Z');
    await registry.beat({ memberId: 'm-1', clientId: 'script-server-engine', host: 'host-a', figures: figures([0, 1], 3), lastSeenAt: new Date(0) });
    // A later beat of the same member replaces the first.
    await registry.beat({ memberId: 'm-1', clientId: 'script-server-engine', host: 'host-a', figures: figures([0, 1], 4), lastSeenAt: seen });
    await registry.beat({ memberId: 'gone', clientId: 'script-server-engine', host: 'host-c', figures: figures([2], 1), lastSeenAt: seen });
    const answer = await listWorkers({
      config: { WORKER_MODE: 'partitioned' },
      workerRegistry: registry,
      groupMembers: async () => [
        { memberId: 'm-2', clientId: 'script-server-engine', host: '10.0.0.2', partitions: [2, 3] },
        { memberId: 'm-1', clientId: 'script-server-engine', host: '10.0.0.1', partitions: [0, 1] },
      ],
    });
    expect(answer).toEqual({
      mode: 'partitioned',
      members: [
        { memberId: 'm-1', clientId: 'script-server-engine', host: '10.0.0.1', partitions: [0, 1], groups: 4, scripts: 4, evaluationsPerSecond: 12.5, lastSeenAt: '2026-12-01T10:00:00.000Z' },
        { memberId: 'm-2', clientId: 'script-server-engine', host: '10.0.0.2', partitions: [2, 3], groups: 0, scripts: 0, evaluationsPerSecond: 0, lastSeenAt: null },
      ],
    });
  });

  it('without Kafka lists the recent heartbeats, and prunes old ones', async () => {
    const now = Date.parse('2026-12-01T10:00:30.000Z');
    const answer = await listWorkers({ config: { WORKER_MODE: 'single' }, workerRegistry: registry }, now);
    expect(answer.members.map((member) => member.memberId)).toEqual(['gone', 'm-1']);
    await registry.prune(new Date('2026-12-01T10:00:01.000Z'));
    expect(await registry.list()).toEqual([]);
  });

  it('writes one Prometheus line per worker and figure, labelled by member and host', () => {
    const text = workerMetricsText([{ memberId: 'm-1', clientId: 'c', host: 'host-a', figures: figures([0, 1, 5], 4), lastSeenAt: new Date() }]);
    expect(text).toContain('# TYPE script_server_worker_partitions gauge\nscript_server_worker_partitions{member="m-1",host="host-a"} 3\n');
    expect(text).toContain('script_server_worker_state_records_written{member="m-1",host="host-a"} 7');
    expect(text).toContain('script_server_worker_rebalance_seconds{member="m-1",host="host-a"} 1.5');
    expect(text).toContain('script_server_worker_evaluations_total{member="m-1",host="host-a"} 4200');
    // A heartbeat of an older version has no total: 0, not "undefined".
    const { evaluations: _, ...older } = figures([0], 1);
    expect(workerMetricsText([{ memberId: 'm-0', clientId: 'c', host: 'h', figures: older, lastSeenAt: new Date() }])).toContain('script_server_worker_evaluations_total{member="m-0",host="h"} 0\n');
    expect(workerMetricsText([])).toBe('');
  });
});
