import { computeRanks, type GraphScript } from '../compiler/dependency-graph';
import { graphOf, push, type LoadedScript, type Route, type SandboxGroup, type StaleRule, type Tap } from './engine-types';

/** What the engine derives from its loaded scripts, rebuilt once before the next evaluation. */
export interface EngineIndex {
  /** Tag → scripts it triggers on change. */
  dependents: Map<string, LoadedScript[]>;
  /** Tag → the sandboxes whose scripts read it, with its index there. */
  routes: Map<string, Route[]>;
  /** Tag → routes and dependents together: one lookup per raw value. */
  taps: Map<string, Tap>;
  /** Tag → its staleness rule (tags some script declared staleAfterMs for). */
  staleRules: Map<string, StaleRule>;
  staleCount: number;
  /** A group turned heavy: the qualities, timestamps and stamps skipped so far must be sent once. */
  resync: boolean;
}

/**
 * Ranks, triggers, routes, taps, light groups, staleness rules and each script's downstream, from
 * the loaded scripts (quarantined ones left out). A tag keeps its arrival time and staleness.
 */
export function buildIndex(
  scripts: Iterable<LoadedScript>,
  groups: readonly SandboxGroup[],
  producers: ReadonlyMap<string, LoadedScript>,
  previousStale: ReadonlyMap<string, StaleRule>,
  clock: () => number,
): EngineIndex {
  const dependents = new Map<string, LoadedScript[]>();
  const routes = new Map<string, Route[]>();
  const taps = new Map<string, Tap>();
  let resync = false;
  const active = [...scripts].filter((script) => !script.quarantined);
  const ranks = computeRanks(active.map(graphOf));
  for (const script of active) {
    script.rank = ranks.get(script.spec.id) ?? 0;
    script.rawInputsOnly = script.inputTags.every((tag) => !producers.has(tag));
    for (const tag of script.triggerTags) push(dependents, tag, script);
    if (script.slot >= 0) {
      const indexes = script.group.sandbox.indexesOf(script.slot) ?? [];
      script.inputTags.forEach((tag, i) => {
        const list = routes.get(tag) ?? [];
        if (!list.some((route) => route.group === script.group)) list.push({ group: script.group, index: indexes[i] });
        routes.set(tag, list);
      });
    }
  }
  for (const group of groups) {
    let light = true;
    for (const script of group.scripts) {
      if (script.quarantined) continue;
      if (script.program.readsInputMeta || !script.rawInputsOnly) light = false;
    }
    // Becoming heavy: the qualities, timestamps and stamps skipped so far must be sent once.
    if (group.light && !light) resync = true;
    group.light = light;
  }
  const { staleRules, staleCount } = buildStaleRules(active, previousStale, clock);
  for (const [tag, list] of routes) taps.set(tag, { routes: list, dependents: dependents.get(tag) ?? [], stale: staleRules.get(tag) ?? null, follow: false });
  for (const [tag, list] of dependents) if (!taps.has(tag)) taps.set(tag, { routes: [], dependents: list, stale: staleRules.get(tag) ?? null, follow: false });
  for (const script of active) {
    const seen = new Set<LoadedScript>();
    const visit = (from: LoadedScript) => {
      for (const tag of from.outputTags) {
        for (const next of dependents.get(tag) ?? []) {
          if (seen.has(next)) continue;
          seen.add(next);
          visit(next);
        }
      }
    };
    visit(script);
    script.downstream = [...seen].sort((a, b) => a.rank - b.rank);
  }
  return { dependents, routes, taps, staleRules, staleCount, resync };
}

/** TapTable.flags: the tag has a tap; it is followed; it has a staleness rule. */
export const TAP = 1;
export const TAP_FOLLOW = 2;
export const TAP_STALE = 4;

/**
 * The taps by catalog tag id, flat (ingestNow's per-value path reads typed arrays, not a tap, route
 * or script object per value): `flags[id]` (0: no tap); the routes of tag `id` are the entries
 * `start[id]` to `start[id + 1] - 1`, entry r going to the sandbox `groups[group[r]]` at its table
 * index `index[r]`; the scripts it triggers are `scripts[dependent[k]]` for k from `firstDependent[id]`
 * to `firstDependent[id + 1] - 1`, and `triggeredAt[n]` is the last step that triggered `scripts[n]`
 * (a script joins a step's list once). Rebuilt with the taps; ids at or above `size` have no tap.
 */
export interface TapTable {
  size: number;
  flags: Uint8Array;
  stale: Array<StaleRule | undefined>;
  start: Int32Array;
  group: Int32Array;
  index: Int32Array;
  groups: SandboxGroup[];
  firstDependent: Int32Array;
  dependent: Int32Array;
  scripts: LoadedScript[];
  triggeredAt: Float64Array;
}

/** The tap table of the taps by id (see byTagId). */
export function tapTable(tapsById: ReadonlyArray<Tap | undefined>): TapTable {
  const size = tapsById.length;
  let routes = 0;
  let dependents = 0;
  for (const tap of tapsById) {
    routes += tap?.routes.length ?? 0;
    dependents += tap?.dependents.length ?? 0;
  }
  const flags = new Uint8Array(size);
  const stale: Array<StaleRule | undefined> = new Array<StaleRule | undefined>(size).fill(undefined);
  const start = new Int32Array(size + 1);
  const group = new Int32Array(routes);
  const index = new Int32Array(routes);
  const firstDependent = new Int32Array(size + 1);
  const dependent = new Int32Array(dependents);
  const groups: SandboxGroup[] = [];
  const scripts: LoadedScript[] = [];
  const groupAt = new Map<SandboxGroup, number>();
  const scriptAt = new Map<LoadedScript, number>();
  const numberOf = <T>(at: Map<T, number>, list: T[], item: T): number => {
    let n = at.get(item);
    if (n === undefined) {
      n = list.length;
      at.set(item, n);
      list.push(item);
    }
    return n;
  };
  let r = 0;
  let k = 0;
  for (let id = 0; id < size; id++) {
    start[id] = r;
    firstDependent[id] = k;
    const tap = tapsById[id];
    if (tap === undefined) continue;
    flags[id] = TAP | (tap.follow ? TAP_FOLLOW : 0) | (tap.stale !== null ? TAP_STALE : 0);
    if (tap.stale !== null) stale[id] = tap.stale;
    for (const route of tap.routes) {
      group[r] = numberOf(groupAt, groups, route.group);
      index[r++] = route.index;
    }
    for (const script of tap.dependents) dependent[k++] = numberOf(scriptAt, scripts, script);
  }
  start[size] = r;
  firstDependent[size] = k;
  return { size, flags, stale, start, group, index, groups, firstDependent, dependent, scripts, triggeredAt: new Float64Array(scripts.length).fill(-1) };
}

/** Rules of the loaded scripts' staleAfterMs; a tag keeps its arrival time and staleness across rebuilds. */
function buildStaleRules(active: readonly LoadedScript[], previous: ReadonlyMap<string, StaleRule>, clock: () => number): { staleRules: Map<string, StaleRule>; staleCount: number } {
  const staleRules = new Map<string, StaleRule>();
  for (const script of active) {
    for (const input of script.spec.definition.inputs) {
      if (input.staleAfterMs === undefined) continue;
      let rule = staleRules.get(input.tag);
      if (!rule) {
        const before = previous.get(input.tag);
        rule = { tag: input.tag, afterMs: input.staleAfterMs, lastArrival: before?.lastArrival ?? clock(), stale: before?.stale ?? false, scripts: [] };
        staleRules.set(input.tag, rule);
      }
      rule.afterMs = Math.min(rule.afterMs, input.staleAfterMs);
      rule.scripts.push(script);
    }
  }
  let staleCount = 0;
  for (const rule of staleRules.values()) if (rule.stale) staleCount++;
  return { staleRules, staleCount };
}

/** Producers and readers are kept up to date at once (registration needs them); the rest waits for buildIndex. */
export function link(producers: Map<string, LoadedScript>, readers: Map<string, LoadedScript[]>, script: LoadedScript): void {
  for (const tag of script.outputTags) producers.set(tag, script);
  for (const tag of script.inputTags) push(readers, tag, script);
}

export function unlink(producers: Map<string, LoadedScript>, readers: Map<string, LoadedScript[]>, script: LoadedScript): void {
  for (const tag of script.outputTags) if (producers.get(tag) === script) producers.delete(tag);
  for (const tag of script.inputTags) {
    const list = readers.get(tag);
    if (!list) continue;
    const at = list.indexOf(script);
    if (at >= 0) list.splice(at, 1);
    if (list.length === 0) readers.delete(tag);
  }
}

/** The scripts this one would read from, directly or further up (where a cycle would have to pass). */
export function upstreamOf(producers: ReadonlyMap<string, LoadedScript>, candidate: GraphScript): LoadedScript[] {
  const found = new Set<LoadedScript>();
  const stack = [...candidate.inputTags];
  while (stack.length > 0) {
    const producer = producers.get(stack.pop()!);
    if (!producer || producer.spec.id === candidate.id || found.has(producer)) continue;
    found.add(producer);
    stack.push(...producer.inputTags);
  }
  // A cycle closes through scripts reading the candidate's outputs: those are upstream too if they
  // reach back; findCycle sees them through the producers of the candidate's inputs.
  return [...found];
}
