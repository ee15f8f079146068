import type { LabHost } from '../lab-host/lab-host';
import type { HistoryStore } from '../ports/history-store';
import type { JobStore } from '../ports/job-store';
import type { ScriptStore } from '../ports/script-store';
import type { Logger } from '../support/logger';

/** What the backfill use cases and the runner need (history-ml.md "Backfill"). */
export interface BackfillPorts {
  store: ScriptStore;
  history: HistoryStore;
  /** Null when this process has no database of its own (a test double of the stores). */
  jobs: JobStore | null;
  lab: LabHost;
  log: Logger;
  /** The clock (epoch ms). */
  now: () => number;
  /** Wakes this process's runner when a job is queued (absent: it finds it at its next poll). */
  backfillRunner?: { kick(): void } | null;
}
