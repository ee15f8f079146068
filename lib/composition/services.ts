import type { Config } from '../config/config';
import type { EngineHost } from '../ports/engine';
import type { TagCatalog } from '../tags/tag-catalog';
import type { LabHost } from '../lab-host/lab-host';
import type { Logger } from '../support/logger';
import type { Bus } from '../ports/bus';
import type { HistoryStore } from '../ports/history-store';
import type { ScriptStore } from '../ports/script-store';
import type { ShadowStore } from '../ports/shadow-store';
import type { TagMetaStore } from '../ports/tag-meta-store';
import type { TagDirectory } from '../tags/tag-directory';
import type { ScriptActivity } from '../scripts/script-ports';
import type { ScriptDraft } from '../model/script-schema';
import type { TestReport } from '../model/script-tests';
import type { AppMetrics } from '../support/metrics';
import type { OidcPorts, SecurityPorts, SetupPorts } from '../security/security-ports';
import type { GroupMember, WorkerRegistry } from '../ports/worker-registry';
import type { JobStore } from '../ports/job-store';

/**
 * Everything one process is made of, built once by its composition root (create-app.ts). Use cases
 * never see this type: each declares the ports it needs (ScriptPorts, EditorRunPorts, TagPorts, …)
 * and this object satisfies them.
 */
export interface AppServices extends SecurityPorts, SetupPorts, OidcPorts {
  config: Config;
  log: Logger;
  store: ScriptStore;
  /** Metadata of raw tags (description, unit, normal range). */
  tagMeta: TagMetaStore;
  /** Every tag's metadata in memory (raw entries and the scripts' outputs), for the tag list. */
  tagDirectory: TagDirectory;
  history: HistoryStore;
  bus: Bus;
  /** The engine, when it runs in this process (embedded mode, worker); null in a web-only process. */
  engine: EngineHost | null;
  lab: LabHost;
  /** Latest value of every tag, kept by this process from the bus (and restored at start). */
  catalog: TagCatalog;
  metrics: AppMetrics;
  version: string;
  /** Live statuses of the local engine's scripts, or stats persisted by the workers. */
  scriptActivity(): Promise<ScriptActivity>;
  /** Shadow runs (changes.md): kept here, run by the engine that runs the live version. */
  shadowStore: ShadowStore;
  now: () => number;
  /** A draft's regression tests, run in the lab (before register and hot swaps). */
  runTests(draft: ScriptDraft): Promise<TestReport>;
  /** Workers' heartbeats (GET /api/workers); null when no database is open here. */
  workerRegistry: WorkerRegistry | null;
  /** The engines' consumer group as Kafka reports it (GET /api/workers); absent without Kafka. */
  groupMembers?: () => Promise<GroupMember[]>;
  /** Backfill jobs (history-ml.md); null when no database is open here. */
  jobs: JobStore | null;
  /** Runs the backfill jobs in a process with a lab thread; null elsewhere (a worker). */
  backfillRunner: { kick(): void } | null;
}
