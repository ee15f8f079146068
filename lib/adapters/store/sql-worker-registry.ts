import { asc, lt } from 'drizzle-orm';
import { workerHeartbeats } from '../../../db/schema';
import type { WorkerFigures, WorkerHeartbeat, WorkerRegistry } from '../../ports/worker-registry';
import { translateDatabaseError, type DatabaseHandle, type SqlDatabase } from './open-database';

/** The WorkerRegistry over PGlite or PostgreSQL, table worker_heartbeats. */
export class SqlWorkerRegistry implements WorkerRegistry {
  private readonly db: SqlDatabase;

  constructor(database: DatabaseHandle) {
    this.db = database.db;
  }

  beat(heartbeat: WorkerHeartbeat): Promise<void> {
    return guard(async () => {
      const values = { clientId: heartbeat.clientId, host: heartbeat.host, figures: heartbeat.figures, lastSeenAt: heartbeat.lastSeenAt };
      await this.db
        .insert(workerHeartbeats)
        .values({ memberId: heartbeat.memberId, ...values })
        .onConflictDoUpdate({ target: workerHeartbeats.memberId, set: values });
    });
  }

  list(): Promise<WorkerHeartbeat[]> {
    return guard(async () =>
      (await this.db.select().from(workerHeartbeats).orderBy(asc(workerHeartbeats.memberId))).map((row) => ({
        memberId: row.memberId,
        clientId: row.clientId,
        host: row.host,
        figures: row.figures as WorkerFigures,
        lastSeenAt: row.lastSeenAt,
      })),
    );
  }

  prune(before: Date): Promise<void> {
    return guard(async () => {
      await this.db.delete(workerHeartbeats).where(lt(workerHeartbeats.lastSeenAt, before));
    });
  }
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateDatabaseError(error);
  }
}
