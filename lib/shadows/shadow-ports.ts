import type { ScriptPorts } from '../scripts/script-ports';
import type { ShadowStore } from '../ports/shadow-store';

/**
 * What the shadow-run use cases need (changes.md "Shadow runs"). They only keep the store's record:
 * the engine that runs the live version (this process's, or a worker's) follows it
 * (lib/engine-host/follow-shadows.ts) and saves its report there.
 */
export interface ShadowPorts extends Pick<ScriptPorts, 'store' | 'engine' | 'scriptActivity' | 'log' | 'runTests'> {
  shadowStore: ShadowStore;
  /** The clock (epoch ms). */
  now: () => number;
}
