import type { CompiledScript } from '../compiler/compile-script';
import type { GraphScript } from '../compiler/dependency-graph';
import type { Diagnostic } from '../model/diagnostic';
import type { OutputValue } from '../model/tag-value';
import type { EngineScriptSpec, PassResult } from '../ports/engine';
import { OpStream, type ScriptSandbox } from '../sandbox/script-sandbox';

/** The engine's inner records (engine.ts and the modules it is split into), and small helpers. */

/** Where a tag goes in a sandbox: its table index there. */
export interface Route {
  group: SandboxGroup;
  index: number;
}

/** A tag some script declared `staleAfterMs` for: the shortest wait wins. */
export interface StaleRule {
  tag: string;
  afterMs: number;
  /** Wall clock of the last value received (or of the rule's creation). */
  lastArrival: number;
  stale: boolean;
  /** The scripts declaring it, re-evaluated when it turns stale. */
  scripts: LoadedScript[];
}

export interface SandboxGroup {
  id: number;
  sandbox: ScriptSandbox;
  scripts: Set<LoadedScript>;
  /**
   * No script of the group reads qualities or timestamps (ctx, isGood) and none runs conditionally
   * (downstream of another): raw numbers are sent as values only, the cheapest op.
   */
  light: boolean;
  /** The op stream of the group's last batch, reused by the next one (passes never overlap). */
  spare: OpStream | null;
  /** The pass's batches (its map) and this group's batch in it: batchOf looks the map up once per pass. */
  passBatches?: Map<SandboxGroup, Batch>;
  passBatch?: Batch;
  /** The catalog id of each table index of `sandbox` (publication applies outputs by id). */
  catalogIds?: { sandbox: ScriptSandbox; byIndex: number[] };
}

/** What a raw value of a tag does: the sandboxes to update, the scripts to trigger. */
export interface Tap {
  routes: Route[];
  dependents: LoadedScript[];
  /** Set when a script declared staleAfterMs for the tag. */
  stale: StaleRule | null;
  /** A follower (shadow runs) reads the tag: its applied values are handed over (see Engine.follow). */
  follow: boolean;
}

export interface LoadedScript {
  spec: EngineScriptSpec;
  program: CompiledScript;
  group: SandboxGroup;
  slot: number;
  inputTags: string[];
  triggerTags: string[];
  outputTags: string[];
  periodic: { intervalMs: number; nextDue: number } | null;
  rank: number;
  /** Scripts reading this one's outputs, directly or further down, in rank order. */
  downstream: LoadedScript[];
  outputCount: number;
  /** Every input is a raw tag: the host knows their qualities before the run. */
  rawInputsOnly: boolean;
  /** Inputs never seen yet. */
  missing: number;
  quarantined: boolean;
  /** Wall clock of the next retry while quarantined (null: none planned). */
  retryAt: number | null;
  /** The wait that led to retryAt (doubles after a failed retry). */
  retryDelay: number;
  /** Put back to work by a retry: one failure quarantines it again, a success ends the quarantine. */
  probation: boolean;
  lineage: OutputValue['script'];
  /** One of its outputs is a followed tag (see Engine.follow). */
  followed: boolean;
  /** Evaluated since the last captureState (scale-out checkpoints write only changed scripts). */
  dirty: boolean;
  /** Scale-out: why its static state could not be restored (shown in its status). */
  stateNotice: string | null;
  stats: { evaluations: number; errors: number; consecutiveFailures: number; totalMicros: number; lastRunAt: number | null; lastError: Diagnostic | null };
}

/** One VM call's worth of work for a sandbox. */
export interface Batch {
  stream: OpStream;
  /** By ordinal: which script ran, at which time (parallel arrays: nothing allocated per run). */
  scripts: LoadedScript[];
  nows: number[];
}

export const DEFAULT_SCRIPTS_PER_SANDBOX = 100;

export function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export function batchOf(batches: Map<SandboxGroup, Batch>, group: SandboxGroup): Batch {
  if (group.passBatches === batches) return group.passBatch!;
  let batch = batches.get(group);
  if (!batch) {
    // The host marks the fast runs of the batch itself (wire.ts Op.Marks) when it pays: a block
    // costs a fill op per three slots a step, a run marked by the guest ≈ a quarter of one (one loop
    // turn); judged by the group's last batch.
    const slots = group.sandbox.slotCount;
    const marks = group.spare !== null && group.spare.runsPerStep * 4 >= Math.ceil(slots / 3);
    const stream = group.spare?.reset() ?? new OpStream();
    group.spare = null;
    stream.markSlots = marks ? slots : 0;
    batch = { stream, scripts: [], nows: [] };
    batches.set(group, batch);
  }
  group.passBatches = batches;
  group.passBatch = batch;
  return batch;
}

export function graphOf(script: LoadedScript): GraphScript {
  return { id: script.spec.id, name: script.spec.name, inputTags: script.inputTags, outputTags: script.outputTags };
}

export function emptyResult(): PassResult {
  return { outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [], recovered: [] };
}

/** A value of a tag with a staleness rule arrived: true when it was stale (and no longer is). */
export function freshen(rule: StaleRule, arrival: number): boolean {
  rule.lastArrival = arrival;
  if (!rule.stale) return false;
  rule.stale = false;
  return true;
}

export function alignUp(time: number, interval: number): number {
  return Math.ceil(time / interval) * interval;
}
