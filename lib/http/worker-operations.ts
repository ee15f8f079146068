import { z } from 'zod';
import { listWorkers } from '../partitioning/list-workers';
import { ok, operation, type Operation } from './operation';

/** Scale-out (scale-out.md "Operations"): the workers sharing the engines' consumer group; part of OPERATIONS. */

const WorkerMemberSchema = z
  .object({
    memberId: z.string().meta({ description: "The member's id in the engines' consumer group (KAFKA_GROUP_ID)" }),
    clientId: z.string(),
    host: z.string(),
    partitions: z.array(z.number().int()).meta({ description: 'Routed partitions assigned to it (WORKER_MODE=partitioned)' }),
    groups: z.number().int().meta({ description: 'Script groups it computes, from its last heartbeat' }),
    scripts: z.number().int(),
    evaluationsPerSecond: z.number(),
    lastSeenAt: z.string().nullable().meta({ format: 'date-time', description: 'Its last heartbeat in the database (every 5 s); null before the first' }),
  })
  .meta({ id: 'WorkerMember' });

export const WorkersSchema = z
  .object({ mode: z.enum(['single', 'partitioned']), members: z.array(WorkerMemberSchema) })
  .meta({ id: 'Workers' });

export const WORKER_OPERATIONS: Operation<any, any, any>[] = [
  operation({
    id: 'listWorkers',
    role: 'viewer',
    method: 'GET',
    path: '/api/workers',
    summary: "The workers of the engines' consumer group as Kafka reports them, with each one's figures from its heartbeat",
    tag: 'operations',
    responses: { 200: { description: 'The workers', schema: WorkersSchema } },
    errors: [503],
    run: async ({ services }) => ok(await listWorkers(services)),
  }),
];
