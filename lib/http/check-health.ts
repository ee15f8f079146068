import { OperationalError, messageOf } from '../model/errors';
import type { Bus } from '../ports/bus';
import type { HistoryStore } from '../ports/history-store';
import type { ScriptStore } from '../ports/script-store';
import { withTimeout } from '../support/with-timeout';

export interface Health {
  status: 'ok';
  db: 'embedded' | 'postgres';
  bus: 'embedded' | 'kafka';
  history: 'embedded' | 'influx';
  version: string;
}

const PART_NAMES = { db: { embedded: 'embedded database', postgres: 'PostgreSQL' }, bus: { embedded: 'embedded bus', kafka: 'Kafka' }, history: { embedded: 'embedded history', influx: 'InfluxDB' } } as const;

/** Pings every backing service; 503 naming each one that does not answer. */
/** What the health check looks at: each service's kind and a ping, and the version. */
export interface HealthPorts {
  store: Pick<ScriptStore, 'kind' | 'ping'>;
  bus: Pick<Bus, 'kind' | 'ping'>;
  history: Pick<HistoryStore, 'kind' | 'ping'>;
  version: string;
}

export async function checkHealth(services: HealthPorts): Promise<Health> {
  const health: Health = { status: 'ok', db: services.store.kind, bus: services.bus.kind, history: services.history.kind, version: services.version };
  const parts = [
    { part: 'db' as const, name: PART_NAMES.db[health.db], ping: () => services.store.ping() },
    { part: 'bus' as const, name: PART_NAMES.bus[health.bus], ping: () => services.bus.ping() },
    { part: 'history' as const, name: PART_NAMES.history[health.history], ping: () => services.history.ping() },
  ];
  const failing: Array<{ part: string; service: string; message: string }> = [];
  await Promise.all(
    parts.map(async ({ part, name, ping }) => {
      try {
        await withTimeout(ping(), 3000, `${name} did not answer within 3 s`);
      } catch (error) {
        failing.push({ part, service: name, message: messageOf(error) });
      }
    }),
  );
  if (failing.length > 0) {
    const names = failing.map((entry) => entry.service).join(', ');
    const error = new OperationalError(names, `${names} ${failing.length > 1 ? 'are' : 'is'} unavailable: ${failing.map((entry) => entry.message).join('; ')}`);
    Object.assign(error.details, { ...health, status: 'unavailable', failing });
    throw error;
  }
  return health;
}
