import { KafkaBus, type KafkaBusOptions } from '../adapters/bus/kafka-bus';
import { ThreadedKafkaBus } from '../adapters/bus/threaded-kafka-bus';
import { MemoryBus } from '../adapters/bus/memory-bus';
import { InfluxHistoryStore } from '../adapters/history/influx-history-store';
import { SqlHistoryStore, type HistoryDatabase as SqlHistoryStoreDb } from '../adapters/history/sql-history-store';
import { openDatabase } from '../adapters/store/open-database';
import { SqlScriptStore } from '../adapters/store/sql-script-store';
import { SqlTagMetaStore } from '../adapters/store/sql-tag-meta-store';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import type { IdentityStore } from '../ports/identity-store';
import type { Config } from '../config/config';
import { messageOf } from '../model/errors';
import type { Logger } from '../support/logger';
import type { Bus } from '../ports/bus';
import type { HistoryStore } from '../ports/history-store';
import type { ScriptStore } from '../ports/script-store';
import type { TagMetaStore } from '../ports/tag-meta-store';
import type { ShadowStore } from '../ports/shadow-store';
import { SqlShadowStore } from '../adapters/store/sql-shadow-store';
import { SqlWorkerRegistry } from '../adapters/store/sql-worker-registry';
import type { WorkerRegistry } from '../ports/worker-registry';
import type { JobStore } from '../ports/job-store';
import { SqlJobStore } from '../adapters/store/sql-job-store';

/** The adapter behind each port, chosen by the configuration (product.md: embedded or production). */
export interface Adapters {
  store: ScriptStore;
  tagMeta: TagMetaStore;
  /** Users, tokens, sessions and the audit trail, on the scripts' database. */
  identities: IdentityStore;
  /** Shadow runs (changes.md), on the scripts' database. */
  shadows: ShadowStore;
  history: HistoryStore;
  bus: Bus;
  /** Workers' heartbeats (WORKER_MODE=partitioned), on the scripts' database; null when the stores are given. */
  workerRegistry: WorkerRegistry | null;
  /** Backfill jobs (history-ml.md), on the scripts' database; null when the stores are given without one. */
  jobs: JobStore | null;
  close(): Promise<void>;
}

export async function openAdapters(
  config: Config,
  log: Logger,
  overrides: {
    store?: ScriptStore;
    tagMeta?: TagMetaStore;
    identities?: IdentityStore;
    shadows?: ShadowStore;
    jobs?: JobStore;
    history?: HistoryStore;
    bus?: Bus;
    migrationsFolder?: string;
    /** A dump a new embedded data folder starts from (openDatabase's `template`). */
    embeddedTemplate?: string;
    /** The entry of the embedded database's thread, used when PGLITE_THREAD is on. */
    pgliteThread?: { readonly file: string };
    /** The entry of the Kafka bus thread, used when BUS_THREAD is on (a process that consumes the input topic). */
    busThread?: { readonly file: string };
  },
): Promise<Adapters> {
  const closers: Array<() => Promise<void>> = [];
  const needsDatabase =
    !overrides.store || !overrides.tagMeta || !overrides.identities || !overrides.shadows || (!overrides.history && config.mode.history === 'embedded');
  const database = needsDatabase
    ? await openDatabase(
        config.DATABASE_URL
          ? { kind: 'postgres', url: config.DATABASE_URL, migrationsFolder: overrides.migrationsFolder, logger: log }
          : {
              kind: 'embedded',
              dataDir: config.DATA_DIR,
              migrationsFolder: overrides.migrationsFolder,
              logger: log,
              thread: config.PGLITE_THREAD ? overrides.pgliteThread : undefined,
              template: overrides.embeddedTemplate,
            },
      )
    : null;

  const store = overrides.store ?? new SqlScriptStore(database!);
  const tagMeta = overrides.tagMeta ?? new SqlTagMetaStore(database!);
  const identities = overrides.identities ?? new SqlIdentityStore(database!);
  const shadows = overrides.shadows ?? new SqlShadowStore(database!);
  const workerRegistry = database ? new SqlWorkerRegistry(database) : null;
  const jobs = overrides.jobs ?? (database ? new SqlJobStore(database) : null);

  const history: HistoryStore = overrides.history ?? (await openHistory(config, log, database));
  closers.push(() => history.close());

  const kafka: KafkaBusOptions | null = config.KAFKA_BROKERS
    ? {
        brokers: config.KAFKA_BROKERS.split(',').map((broker) => broker.trim()),
        inputTopic: config.KAFKA_INPUT_TOPIC,
        outputTopic: config.KAFKA_OUTPUT_TOPIC,
        groupId: config.KAFKA_GROUP_ID,
        dlqTopic: config.KAFKA_DLQ_TOPIC,
        createTopics: config.KAFKA_CREATE_TOPICS,
        pipelineDepth: config.KAFKA_PIPELINE_DEPTH,
        logger: log,
      }
    : null;
  const bus =
    overrides.bus ??
    (kafka
      ? config.BUS_THREAD && overrides.busThread
        ? new ThreadedKafkaBus(kafka, overrides.busThread.file)
        : new KafkaBus(kafka)
      : new MemoryBus({ logger: log }));

  if (database) closers.push(() => database.close());
  return {
    store,
    tagMeta,
    identities,
    shadows,
    history,
    bus,
    workerRegistry,
    jobs,
    close: async () => {
      for (const close of closers) await close().catch(() => undefined);
    },
  };
}

async function openHistory(config: Config, log: Logger, database: { db: SqlHistoryStoreDb } | null): Promise<HistoryStore> {
  if (!config.INFLUX_URL) return new SqlHistoryStore(database!.db);
  const influx = new InfluxHistoryStore({
    url: config.INFLUX_URL,
    database: config.INFLUX_DB,
    token: config.INFLUX_TOKEN,
    username: config.INFLUX_USERNAME,
    password: config.INFLUX_PASSWORD,
    onSkipped: (record, reason) => log.warn({ tag: record.tag }, `history value not written to InfluxDB: ${reason}`),
  });
  await influx.createDatabaseIfMissing().catch((error: unknown) => {
    // History is not needed to compute: start anyway and say so; health reports InfluxDB down.
    log.warn(`InfluxDB database '${config.INFLUX_DB}' could not be checked: ${messageOf(error)}`);
  });
  return influx;
}
