import { QUALITY_RANK } from '../model/tag-value';
import type { TagCatalog } from '../tags/tag-catalog';
import type { PassContext } from './engine-outcome';
import { batchOf as importedBatchOf, type Batch, type LoadedScript, type Route, type SandboxGroup, type StaleRule } from './engine-types';

// Read once: unbundled (tsx: tests, tools, the bench) an imported binding is a getter call per use (addRun: per run).
const batchOf = importedBatchOf;

/** Scheduling: the runs of one step, in each sandbox's batch, in dependency order. */

/**
 * Adds the runs of one step: the triggered scripts (unconditionally) and everything downstream of
 * them (conditionally: a downstream script runs only if an input it triggers on was published in
 * this step), in rank order.
 */
export function schedule(context: PassContext, triggered: readonly LoadedScript[], now: number, step: number, batches: Map<SandboxGroup, Batch>, periodic: boolean): void {
  let chained = false;
  for (const script of triggered) {
    if (script.downstream.length > 0) {
      chained = true;
      break;
    }
  }
  if (!chained) {
    // No triggered script feeds another: no order to keep, nothing downstream (the common case).
    for (const script of triggered) addRun(context, script, true, now, step, batches, periodic);
    return;
  }
  const direct = new Set<LoadedScript>(triggered);
  const order = new Set<LoadedScript>(triggered);
  for (const script of triggered) for (const next of script.downstream) order.add(next);
  const runs = [...order].sort((a, b) => a.rank - b.rank);
  for (const script of runs) addRun(context, script, direct.has(script), now, step, batches, periodic);
}

export function addRun(context: PassContext, script: LoadedScript, direct: boolean, now: number, step: number, batches: Map<SandboxGroup, Batch>, periodic: boolean): void {
  if (script.quarantined || script.slot < 0) return;
  // Waiting for an input: only a script fed by another may find it published in this step.
  if (direct && script.missing > 0 && (periodic || script.group.light)) return;
  // Not every input seen yet: the runner decides in the sandbox, where this step's outputs are known.
  const conditional = !direct || script.missing > 0;
  const quality = !conditional && script.rawInputsOnly ? worstQuality(context, script) : -1;
  const batch = batchOf(batches, script.group);
  batch.stream.step(step, now);
  batch.stream.run(script.slot, conditional, quality, script.outputCount, script.program.fast);
  batch.scripts.push(script);
  batch.nows.push(now);
}

function worstQuality(context: PassContext, script: LoadedScript): number {
  // Every tag good (the usual case): nothing to look up.
  const staleCount = context.staleCount();
  if (context.catalog.notGoodCount === 0 && staleCount === 0) return 0;
  let worst = 0;
  for (const tag of script.inputTags) {
    const held = context.catalog.get(tag);
    if (held) {
      let rank = QUALITY_RANK[held.quality];
      // A stale input counts as uncertain (scripts.md).
      if (rank < QUALITY_RANK.uncertain && staleCount > 0 && context.isStaleTag(tag)) rank = QUALITY_RANK.uncertain;
      if (rank > worst) worst = rank;
    }
  }
  return worst;
}

/** After a restore: every sandbox learns the latest values of the tags it reads and publishes. */
export function seedAll(groups: readonly SandboxGroup[], catalog: TagCatalog, batches: Map<SandboxGroup, Batch>): void {
  for (const group of groups) {
    for (const script of group.scripts) {
      if (script.slot < 0) continue;
      const indexes = group.sandbox.indexesOf(script.slot) ?? [];
      [...script.inputTags, ...script.outputTags].forEach((tag, i) => {
        const held = catalog.get(tag);
        if (held) batchOf(batches, group).stream.update(indexes[i], held.value, held.ts, held.quality, 0);
      });
    }
  }
}

/** The earliest of `until` (the next staleness check) and what the scripts wait for: a quarantine's retry, a periodic run. */
export function nextDue(scripts: Iterable<LoadedScript>, until: number): number {
  for (const script of scripts) {
    if (script.quarantined) until = Math.min(until, script.retryAt ?? Infinity);
    else if (script.periodic) until = Math.min(until, script.periodic.nextDue);
  }
  return until;
}

/** The staleness rules whose input has had no value for its staleAfterMs: turned stale now. */
export function turnStale(rules: Iterable<StaleRule>, now: number): StaleRule[] {
  const turned: StaleRule[] = [];
  for (const rule of rules) {
    if (rule.stale || now - rule.lastArrival < rule.afterMs) continue;
    rule.stale = true;
    turned.push(rule);
  }
  return turned;
}

/**
 * The step of the inputs that turned stale: each held value sent again as uncertain (or worse), and
 * the scripts reading them run again.
 */
export function scheduleStale(
  context: PassContext,
  turned: readonly StaleRule[],
  routes: ReadonlyMap<string, readonly Route[]>,
  now: number,
  step: number,
  batches: Map<SandboxGroup, Batch>,
): void {
  const scripts = new Set<LoadedScript>();
  for (const rule of turned) {
    const held = context.catalog.get(rule.tag);
    if (!held) continue;
    const quality = QUALITY_RANK[held.quality] >= QUALITY_RANK.uncertain ? held.quality : 'uncertain';
    for (const route of routes.get(rule.tag) ?? []) batchOf(batches, route.group).stream.update(route.index, held.value, held.ts, quality, step);
    for (const script of rule.scripts) scripts.add(script);
  }
  for (const script of [...scripts].sort((a, b) => a.rank - b.rank)) addRun(context, script, true, now, step, batches, true);
}
