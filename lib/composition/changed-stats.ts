import type { ScriptStats } from '../ports/script-store';

const keyOf = (entry: ScriptStats) =>
  `${entry.evaluations}|${entry.errors}|${entry.avgMicros}|${entry.lastRunAt?.getTime() ?? ''}|${entry.retryAt?.getTime() ?? ''}|${entry.stateNotice ?? ''}`;

/**
 * The scripts' statistics are saved every 5 s: only those that changed since the last save that
 * succeeded, so an idle worker writes none (it wrote every loaded script's row each time).
 */
export class ChangedStats {
  private readonly saved = new Map<string, string>();

  /** The entries that differ from what was last saved. */
  pick(stats: ScriptStats[]): ScriptStats[] {
    return stats.filter((entry) => this.saved.get(entry.scriptId) !== keyOf(entry));
  }

  /** `stats` are in the store now (forgets scripts no longer reported). */
  remember(all: ScriptStats[], written: ScriptStats[]): void {
    const present = new Set(all.map((entry) => entry.scriptId));
    for (const id of this.saved.keys()) if (!present.has(id)) this.saved.delete(id);
    for (const entry of written) this.saved.set(entry.scriptId, keyOf(entry));
  }
}
