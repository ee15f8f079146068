import type { EngineHost, ScriptRuntimeStatus } from '../ports/engine';
import type { ScriptStats, ScriptStore } from '../ports/script-store';
import type { Logger } from '../support/logger';
import type { ShadowStore } from '../ports/shadow-store';
import type { ScriptDraft } from '../model/script-schema';
import type { TestReport } from '../model/script-tests';

/** What the script use cases (create, read, update, register, delete) need; the composition root provides it. */
export interface ScriptPorts {
  store: ScriptStore;
  /** The engine, when it runs in this process (embedded mode, worker); null in a web-only process. */
  engine: EngineHost | null;
  log: Logger;
  /** Live statuses of the local engine's scripts, or stats persisted by the workers. */
  scriptActivity(): Promise<ScriptActivity>;
  /** Shadow runs (changes.md): a script's shadow ends when it is updated, unregistered or deleted. */
  shadowStore?: Pick<ShadowStore, 'remove'>;
  /**
   * Runs a draft's regression tests (changes.md) with the editor runs' evaluation, before it is
   * registered or a registered script is updated (lib/editor-runs/run-script-tests.ts).
   */
  runTests(draft: ScriptDraft): Promise<TestReport>;
}

export interface ScriptActivity {
  runtime: Map<string, ScriptRuntimeStatus>;
  stats: Map<string, ScriptStats>;
}
