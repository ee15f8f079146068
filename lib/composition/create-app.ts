import path from 'node:path';
import type { Config } from '../config/config';
import type { EngineHost } from '../ports/engine';
import { threadedEngine } from '../engine-host/threaded-engine';
import { TagCatalog } from '../tags/tag-catalog';
import { messageOf } from '../model/errors';
import { cycleDiagnostic } from '../model/diagnostic-messages';
import { threadedLab, unavailableLab, type LabHost } from '../lab-host/lab-host';
import type { EngineMethods } from '../engine/engine-methods';
import type { LabMethods } from '../lab/lab-methods';
import type { Logger } from '../support/logger';
import type { ThreadEntry } from '../threads/thread-rpc';
import type { Bus } from '../ports/bus';
import type { HistoryStore } from '../ports/history-store';
import type { ScriptStats, ScriptStore } from '../ports/script-store';
import type { TagMetaStore } from '../ports/tag-meta-store';
import { TagDirectory } from '../tags/tag-directory';
import { seedSimulatorMeta } from './start-simulator';
import type { SandboxLimits } from '../sandbox/script-sandbox';
import { resumesQuarantine, toLoadedEngineSpec } from '../engine-host/to-engine-spec';
import { openAdapters } from './open-adapters';
import { HistoryWriter } from '../history/history-writer';
import { AppMetrics } from '../support/metrics';
import type { ScriptActivity } from '../scripts/script-ports';
import type { AppServices } from './services';
import { SnapshotWriter } from '../pipeline/snapshot-writer';
import { ValuePipeline, stateOf } from '../pipeline/value-pipeline';
import { seedExamples } from './seed-examples';
import { followScriptChanges } from '../engine-host/follow-script-changes';
import { followShadows } from '../engine-host/follow-shadows';
import { BackfillRunner } from '../backfill/backfill-runner';
import { ShadowBoard } from '../shadows/shadow-board';
import { startSimulator } from './start-simulator';
import type { IdentityStore } from '../ports/identity-store';
import { openSecurity } from './open-security';
import { quarantineAudit } from '../model/audit';
import { runScriptTests } from '../editor-runs/run-script-tests';
import { openScaleOut, scaleOutTopics } from './open-scale-out';
import { startWorkerHeartbeat } from './worker-heartbeat';
import { PartitionedWorker } from '../partitioning/partitioned-worker';
import { ChangedStats } from './changed-stats';

/**
 * The composition root: builds every adapter from the validated configuration and wires the value
 * flow. One per process:
 *   - 'all'    (npm start): web API + engine + simulator, everything in one process
 *   - 'web'    (npm run start:web): web API only; the engine runs in worker processes
 *   - 'worker' (npm run start:worker): the engine, consuming the bus; follows script changes from the database
 */

export type ProcessRole = 'all' | 'web' | 'worker';

export interface App {
  services: AppServices;
  stop(): Promise<void>;
}

export interface AppOverrides {
  store?: ScriptStore;
  tagMeta?: TagMetaStore;
  identities?: IdentityStore;
  history?: HistoryStore;
  bus?: Bus;
  engine?: EngineHost;
  lab?: LabHost;
  /** Where the bundled migrations are (defaults to ./db/migrations). */
  migrationsFolder?: string;
  /** The embedded database's template (a new DATA_DIR starts from it, skipping initdb), when the process has one. */
  embeddedTemplate?: string;
}

export function sandboxLimits(config: Config): SandboxLimits {
  return { cpuMs: config.SCRIPT_CPU_MS, initCpuMs: config.SCRIPT_INIT_CPU_MS, memoryMb: config.SCRIPT_MEMORY_MB };
}

/** The worker threads' entry files, declared by the process layer (workers/thread-entries.ts). */
export interface AppThreads {
  engine: ThreadEntry<EngineMethods>;
  lab: ThreadEntry<LabMethods>;
  /** The embedded database's thread (PGLITE_THREAD); without it PGlite runs on the main thread. */
  pglite?: { readonly file: string };
  /** The Kafka bus thread of a process running the engine (BUS_THREAD); without it kafkajs runs on the main thread. */
  bus?: { readonly file: string };
}

export async function createApp(config: Config, role: ProcessRole, log: Logger, version: string, threads: AppThreads, overrides: AppOverrides = {}): Promise<App> {
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (error) {
        log.warn(`while stopping: ${messageOf(error)}`);
      }
    }
  };
  try {
    const adapters = await openAdapters(config, log, {
      ...overrides,
      migrationsFolder: overrides.migrationsFolder ?? path.resolve(process.cwd(), 'db/migrations'),
      pgliteThread: threads.pglite,
      // Only where the engine consumes the input topic itself; partitioned mode has buses of its own.
      busThread: role !== 'web' && config.WORKER_MODE !== 'partitioned' ? threads.bus : undefined,
    });
    stops.push(() => adapters.close());
    const { store, tagMeta, identities, shadows, history, bus } = adapters;
    // Sign-in (security.md): the web side bootstraps the first administrator; a worker needs no user.
    const security = await openSecurity(config, identities, log, { bootstrap: role !== 'worker' });
    stops.push(() => security.stop());

    const metrics = new AppMetrics();
    const catalog = new TagCatalog();
    try {
      catalog.restore(await store.loadLatest());
    } catch (error) {
      log.warn(`could not restore the latest values from the database: ${messageOf(error)}`);
    }

    const limits = sandboxLimits(config);
    const runsEngine = role !== 'web';
    const engine = runsEngine
      ? (overrides.engine ??
        threadedEngine({
          entry: threads.engine,
          limits,
          quarantineAfter: config.QUARANTINE_AFTER,
          quarantineRetryMs: config.QUARANTINE_RETRY_MS,
          logger: log.child({ part: 'engine' }),
          latestValues: () => [...catalog.values()],
        }))
      : null;
    if (engine) stops.push(() => engine.close());
    const lab =
      role !== 'worker'
        ? (overrides.lab ??
          threadedLab(threads.lab, limits, log.child({ part: 'lab' }), { sessionTtlMs: config.DEBUG_SESSION_TTL_MS, maxSessions: config.DEBUG_SESSION_MAX }))
        : null;
    if (lab) stops.push(() => lab.close());

    const labHost = lab ?? unavailableLab();
    const services: AppServices = {
      ...security.ports,
      config,
      log,
      store,
      tagMeta,
      tagDirectory: new TagDirectory({ tagMeta, store }),
      history,
      bus,
      engine,
      lab: labHost,
      catalog,
      metrics,
      version,
      scriptActivity: () => scriptActivity(store, engine, log),
      shadowStore: shadows,
      runTests: (draft) => runScriptTests({ lab: labHost }, draft),
      workerRegistry: adapters.workerRegistry,
      jobs: adapters.jobs,
      backfillRunner: null,
      groupMembers: bus.describeMembers
        ? () => bus.describeMembers!(config.WORKER_MODE === 'partitioned' ? scaleOutTopics(config).routed : config.KAFKA_INPUT_TOPIC)
        : undefined,
    };

    if (engine) {
      await engine.restore([...catalog.values()]);
      // PGlite runs on this thread: small pieces keep each write short (≈ 10 ms), so the bus and the
      // API are never held up for long; a database or InfluxDB across the network takes large ones.
      const onThisThread = config.mode.history === 'embedded' && config.mode.db === 'embedded';
      const historyWriter = new HistoryWriter(history, log.child({ part: 'history' }), onThisThread ? { pieceSize: 250 } : {});
      historyWriter.start();
      metrics.followHistory(() => historyWriter.pending);
      stops.push(() => historyWriter.stop());
      const snapshot = new SnapshotWriter(store, log.child({ part: 'snapshot' }));
      snapshot.start();
      stops.push(() => snapshot.stop());

      // WORKER_MODE=partitioned (scale-out.md): routed values in, state checkpoints out; else the bus as it is.
      let partitioned: PartitionedWorker | null = null;
      const scaleOut =
        config.WORKER_MODE === 'partitioned' && config.mode.bus === 'kafka' && !overrides.bus
          ? await openScaleOut(config, log, (partitions) => void partitioned?.assign(partitions).catch((error) => log.error({ err: error }, `loading assigned partitions failed: ${messageOf(error)}`)))
          : null;
      const engineBus = scaleOut?.engineBus ?? bus;

      // Shadow runs (changes.md): run here beside the live versions, compared, reported to the store.
      const shadowBoard = new ShadowBoard();
      const pipeline = new ValuePipeline({
        engine,
        bus: engineBus,
        rawHistory: scaleOut === null,
        catalog,
        history: historyWriter,
        snapshot,
        metrics,
        log,
        shadows: shadowBoard,
        onQuarantined: (entries) => {
          for (const entry of entries) {
            log.warn({ scriptId: entry.id, error: entry.error.message }, 'script quarantined after repeated failures');
            store.setState(entry.id, 'quarantined', entry.error, quarantineAudit(entry.error, 'repeated failures')).catch((error) => log.warn(`could not record quarantine: ${messageOf(error)}`));
          }
        },
        onRecovered: (ids) => {
          for (const id of ids) {
            log.info({ scriptId: id }, 'quarantined script evaluated successfully on retry; quarantine ended');
            void endQuarantine(store, id).catch((error) => log.warn(`could not record the end of a quarantine: ${messageOf(error)}`));
          }
        },
      });

      if (scaleOut) {
        const router = scaleOut.router;
        const worker = new PartitionedWorker({
          store,
          engine,
          catalog,
          state: scaleOut.state,
          partitions: config.KAFKA_ROUTED_PARTITIONS,
          checkpointMs: config.STATE_CHECKPOINT_MS,
          evaluate: pipeline.handleBatch,
          produceRouted: (batches) => router.publishRouted(scaleOut.routedTopic, batches),
          log: log.child({ part: 'partitioned' }),
        });
        partitioned = worker;
        await worker.start();
        stops.push(() => worker.stop());
        if (adapters.workerRegistry) {
          const heartbeat = startWorkerHeartbeat({ registry: adapters.workerRegistry, engine, worker, memberId: () => scaleOut.engineBus.memberId(), log });
          stops.push(() => heartbeat.stop());
        }
      } else if (role === 'all') {
        // The examples read simulator tags: without the simulator they would only wait.
        if (config.mode.db === 'embedded' && config.mode.simulator) await seedExamples(services);
        await loadRegisteredScripts(services, engine);
      } else {
        const follower = followScriptChanges({ store, engine, log });
        await follower.start();
        stops.push(() => follower.stop());
      }

      const shadowFollower = followShadows({
        shadows,
        engine,
        board: shadowBoard,
        latest: (tag) => catalog.get(tag),
        log: log.child({ part: 'shadows' }),
        isActive: engineBus.isActive ? () => engineBus.isActive!() : undefined,
      });
      await shadowFollower.start();
      stops.push(() => shadowFollower.stop());

      const savedStats = new ChangedStats();
      const statsTimer = setInterval(() => void persistStats(store, engine, metrics, savedStats), 5000);
      statsTimer.unref();
      stops.push(async () => {
        clearInterval(statsTimer);
        await persistStats(store, engine, metrics, savedStats);
      });

      pipeline.startTicking();
      stops.push(() => pipeline.stopTicking());
      stops.push(() => bus.stop());
      if (scaleOut && partitioned) {
        const worker: PartitionedWorker = partitioned;
        stops.push(() => scaleOut.stop());
        // The routers write raw history (every value, once); the engines their outputs.
        await untilConnected('routing raw values', log, () =>
          scaleOut.router.consume(async (batch) => {
            historyWriter.add(batch.values.map((value) => stateOf(value, 'raw')));
            await worker.route(batch);
          }),
        );
        await untilConnected('consuming routed values', log, () => scaleOut.engineBus.consume(worker.handleRouted));
      } else {
        await untilConnected('consuming raw values', log, () => bus.consume(pipeline.handleBatch));
      }

      if (config.mode.history === 'embedded') {
        const prune = () =>
          history
            .prune(Date.now() - config.HISTORY_RETENTION_DAYS * 24 * 60 * 60 * 1000)
            .catch((error) => log.warn(`history retention failed: ${messageOf(error)}`));
        void prune();
        const pruneTimer = setInterval(prune, 60 * 60 * 1000);
        pruneTimer.unref();
        stops.push(() => clearInterval(pruneTimer));
      }
    } else {
      // A web-only process keeps its catalog (for the tag list and editor runs) by watching both
      // topics from their ends, after restoring the snapshot the workers keep in the database.
      const watchInputs = bus.watchInputs?.bind(bus);
      const watchOutputs = bus.watchOutputs?.bind(bus);
      if (watchInputs) {
        await untilConnected('mirroring raw values', log, () =>
          watchInputs((values) => {
            for (const value of values) catalog.apply(value, 'raw');
          }),
        );
      }
      if (watchOutputs) {
        await untilConnected('mirroring computed values', log, () =>
          watchOutputs((values) => {
            for (const value of values) catalog.apply(value, 'script');
          }),
        );
      }
      stops.push(() => bus.stop());
    }

    if (lab && adapters.jobs) {
      // Backfill jobs (history-ml.md): read here, evaluated in the lab thread, written to history.
      const runner = new BackfillRunner({ ...services, log: log.child({ part: 'backfill' }) }, { concurrency: config.BACKFILL_CONCURRENCY, chunkSteps: config.BACKFILL_CHUNK_STEPS });
      services.backfillRunner = runner;
      runner.start();
      stops.unshift(() => runner.stop());
    }

    if (config.mode.simulator && role !== 'web') {
      await seedSimulatorMeta(services);
      const simulator = await startSimulator(services, { backfill: config.mode.history === 'embedded' });
      stops.unshift(() => simulator.stop());
    }

    return {
      services,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}


async function loadRegisteredScripts(services: AppServices, engine: EngineHost): Promise<void> {
  const scripts = await services.store.list();
  for (const script of scripts) {
    // Quarantined by failing runs before the restart: loaded quarantined, so its retries go on.
    if (script.state !== 'registered' && !resumesQuarantine(script)) continue;
    const outcome = await engine.register(toLoadedEngineSpec(script));
    if (!outcome.ok) {
      const error =
        outcome.reason === 'cycle'
          ? cycleDiagnostic(outcome.cycle)
          : outcome.diagnostics[0];
      services.log.warn({ scriptId: script.id, error: error.message }, 'registered script could not start; quarantined');
      await services.store.setState(script.id, 'quarantined', error, quarantineAudit(error, 'could not start'));
    }
  }
  services.log.info(
    { scripts: scripts.filter((script) => script.state === 'registered').length, quarantined: scripts.filter(resumesQuarantine).length },
    'registered scripts loaded',
  );
}

/** A retry succeeded: the script is registered again, unless it was changed meanwhile. */
async function endQuarantine(store: ScriptStore, id: string): Promise<void> {
  const stored = await store.get(id);
  if (stored?.state === 'quarantined') await store.setState(id, 'registered', null);
}

async function scriptActivity(store: ScriptStore, engine: EngineHost | null, log: Logger): Promise<ScriptActivity> {
  const [statuses, stats] = await Promise.all([
    engine ? engine.statuses().catch(() => []) : Promise.resolve([]),
    store.loadStats().catch((error) => {
      log.debug(`script stats unavailable: ${messageOf(error)}`);
      return [];
    }),
  ]);
  return {
    runtime: new Map(statuses.map((status) => [status.id, status])),
    stats: new Map(stats.map((entry) => [entry.scriptId, entry])),
  };
}

async function persistStats(store: ScriptStore, engine: EngineHost, metrics: AppMetrics, saved: ChangedStats): Promise<void> {
  try {
    const statuses = await engine.statuses();
    metrics.registered.set(statuses.length);
    metrics.quarantined.set(statuses.filter((status) => status.state === 'quarantined').length);
    const stats: ScriptStats[] = statuses.map((status) => ({
      scriptId: status.id,
      evaluations: status.evaluations,
      errors: status.errors,
      avgMicros: status.avgMicros,
      lastRunAt: status.lastRunAt === null ? null : new Date(status.lastRunAt),
      retryAt: status.retryAt === null ? null : new Date(status.retryAt),
      stateNotice: status.stateNotice ?? null,
    }));
    const changed = saved.pick(stats);
    await store.saveStats(changed);
    saved.remember(stats, changed);
  } catch {
    // Statistics are informative; the next round tries again.
  }
}

/**
 * Starts a bus task; when the broker is unreachable at start the process still comes up (health says
 * which service is down) and the task is retried in the background until it succeeds.
 */
async function untilConnected(what: string, log: Logger, task: () => Promise<void>): Promise<void> {
  try {
    await task();
    return;
  } catch (error) {
    log.warn(`${what}: ${messageOf(error)} — retrying in the background`);
  }
  void (async () => {
    for (let attempt = 1; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))));
      try {
        await task();
        log.info(`${what}: connected after ${attempt} retries`);
        return;
      } catch (error) {
        if (attempt % 5 === 0) log.warn(`${what}: still failing (${messageOf(error)})`);
      }
    }
  })();
}
