import { compileScript, type CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../compiler/diagnostic';
import { ScriptSandbox, type EvaluationJob, type JobResult, type SandboxLimits } from '../sandbox/script-sandbox';
import type { ScriptDraft } from '../scripts/script-schema';
import type { OutputValue, TagState, TagValue } from '../tags/tag-value';
import { computeRanks, findCycle, type GraphScript } from './dependency-graph';
import { TagCatalog } from './tag-catalog';

/**
 * The script calculator: holds the tag catalog and the registered scripts, and turns raw values
 * into the output values to publish.
 *
 * Per received batch: values are applied in timestamp order, all values of one timestamp together;
 * each script whose trigger inputs changed is evaluated once per distinct timestamp, in dependency
 * order, so a script reading another's output sees the value computed in the same pass. Scripts
 * whose outputs feed nobody are collected across the whole batch and evaluated in as few sandbox
 * calls as possible.
 */

export interface EngineScriptSpec {
  id: string;
  name: string;
  version: number;
  definition: ScriptDraft;
}

export interface EngineOptions {
  limits: SandboxLimits;
  quarantineAfter: number;
  /** How many scripts share one sandbox (one capped WebAssembly memory). */
  scriptsPerSandbox?: number;
  /** Wall clock, for lastRunAt and initCode's ctx.now; event time never comes from here. */
  clock?: () => number;
}

export type RegisterOutcome =
  | { ok: true }
  | { ok: false; reason: 'invalid'; diagnostics: Diagnostic[] }
  | { ok: false; reason: 'cycle'; cycle: string[] };

export interface ScriptRuntimeStatus {
  id: string;
  version: number;
  state: 'running' | 'waiting' | 'quarantined';
  evaluations: number;
  errors: number;
  consecutiveFailures: number;
  avgMicros: number;
  lastRunAt: number | null;
  lastError: Diagnostic | null;
  missingInputs: string[];
}

export interface PassResult {
  outputs: OutputValue[];
  evaluations: number;
  failures: number;
  /** Values older than the one held: kept in history, did not trigger. */
  older: number;
  /** Redeliveries of the value already held: ignored. */
  duplicates: number;
  quarantined: Array<{ id: string; error: Diagnostic }>;
}

interface SandboxGroup {
  id: number;
  sandbox: ScriptSandbox;
  scripts: Set<LoadedScript>;
}

interface LoadedScript {
  spec: EngineScriptSpec;
  program: CompiledScript;
  group: SandboxGroup;
  slot: number;
  inputTags: string[];
  triggerTags: string[];
  outputTags: string[];
  periodic: { intervalMs: number; nextDue: number } | null;
  rank: number;
  hasDependents: boolean;
  quarantined: boolean;
  stats: { evaluations: number; errors: number; consecutiveFailures: number; totalMicros: number; lastRunAt: number | null; lastError: Diagnostic | null };
}

interface PendingJob {
  script: LoadedScript;
  job: EvaluationJob;
}

const DEFAULT_SCRIPTS_PER_SANDBOX = 100;

export class Engine {
  readonly catalog = new TagCatalog();
  private readonly scripts = new Map<string, LoadedScript>();
  private readonly dependents = new Map<string, LoadedScript[]>();
  private readonly groups: SandboxGroup[] = [];
  private nextGroupId = 0;
  private readonly clock: () => number;
  /** Serialises every operation that touches sandboxes. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Runs `task` after every operation queued before it: the engine is used by one caller at a time. */
  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Loads (or hot-swaps) a script and runs its initCode. */
  register(spec: EngineScriptSpec): Promise<RegisterOutcome> {
    return this.exclusive(() => this.registerNow(spec));
  }

  unregister(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      const script = this.scripts.get(id);
      if (!script) return false;
      this.detach(script);
      this.scripts.delete(id);
      this.reindex();
      return true;
    });
  }

  has(id: string): boolean {
    return this.scripts.has(id);
  }

  ingest(values: readonly TagValue[]): Promise<PassResult> {
    return this.exclusive(() => this.ingestNow(values));
  }

  /** Evaluates the periodic scripts due at `now` (wall clock, ms). */
  tick(now: number = this.clock()): Promise<PassResult> {
    return this.exclusive(() => this.tickNow(now));
  }

  /** Restores latest values (and thereby last published outputs) after a restart. */
  restore(states: Iterable<TagState>): void {
    this.catalog.restore(states);
  }

  status(id: string): ScriptRuntimeStatus | null {
    const script = this.scripts.get(id);
    return script ? this.describe(script) : null;
  }

  statuses(): ScriptRuntimeStatus[] {
    return [...this.scripts.values()].map((script) => this.describe(script));
  }

  get scriptCount(): number {
    return this.scripts.size;
  }

  get sandboxCount(): number {
    return this.groups.length;
  }

  dispose(): void {
    for (const group of this.groups) group.sandbox.dispose();
    this.groups.length = 0;
    this.scripts.clear();
    this.dependents.clear();
  }

  // ---- registration ----

  private async registerNow(spec: EngineScriptSpec): Promise<RegisterOutcome> {
    const compiled = compileScript(spec.definition);
    if (!compiled.program) return { ok: false, reason: 'invalid', diagnostics: compiled.diagnostics };

    const candidate: GraphScript = {
      id: spec.id,
      name: spec.name,
      inputTags: spec.definition.inputs.map((input) => input.tag),
      outputTags: spec.definition.outputs.map((output) => output.tag),
    };
    const others = [...this.scripts.values()].filter((script) => script.spec.id !== spec.id).map(graphOf);
    const cycle = findCycle([...others, candidate]);
    if (cycle) return { ok: false, reason: 'cycle', cycle };

    const group = await this.groupWithRoom();
    const loaded = group.sandbox.load(compiled.program, { now: this.clock(), previous: this.previousOutputs(spec.definition) });
    if (!loaded.ok) {
      if (group.sandbox.broken) await this.rebuild(group);
      return { ok: false, reason: 'invalid', diagnostics: [loaded.error] };
    }

    const previous = this.scripts.get(spec.id);
    if (previous) this.detach(previous);
    const trigger = spec.definition.trigger ?? { type: 'onChange' as const };
    const aliasToTag = new Map(spec.definition.inputs.map((input) => [input.alias, input.tag]));
    const script: LoadedScript = {
      spec,
      program: compiled.program,
      group,
      slot: loaded.slot,
      inputTags: spec.definition.inputs.map((input) => input.tag),
      triggerTags:
        trigger.type === 'onChange'
          ? (trigger.inputs ?? spec.definition.inputs.map((input) => input.alias)).map((alias) => aliasToTag.get(alias) ?? alias)
          : [],
      outputTags: spec.definition.outputs.map((output) => output.tag),
      periodic: trigger.type === 'periodic' ? { intervalMs: trigger.intervalMs, nextDue: alignUp(this.clock(), trigger.intervalMs) } : null,
      rank: 0,
      hasDependents: false,
      quarantined: false,
      stats: { evaluations: 0, errors: 0, consecutiveFailures: 0, totalMicros: 0, lastRunAt: null, lastError: null },
    };
    group.scripts.add(script);
    this.scripts.set(spec.id, script);
    this.reindex();
    return { ok: true };
  }

  private previousOutputs(definition: ScriptDraft) {
    return definition.outputs.map((output) => {
      const held = this.catalog.get(output.tag);
      return held ? { value: held.value, quality: held.quality } : null;
    });
  }

  private detach(script: LoadedScript): void {
    script.group.scripts.delete(script);
    if (!script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
  }

  private async groupWithRoom(): Promise<SandboxGroup> {
    const capacity = this.options.scriptsPerSandbox ?? DEFAULT_SCRIPTS_PER_SANDBOX;
    const existing = this.groups.find((group) => !group.sandbox.broken && group.scripts.size < capacity);
    if (existing) return existing;
    const group: SandboxGroup = { id: this.nextGroupId++, sandbox: await ScriptSandbox.create(this.options.limits), scripts: new Set() };
    this.groups.push(group);
    return group;
  }

  /**
   * Replaces a broken sandbox: every script of the group is loaded again in a fresh one (their
   * initCode runs again, so their static state restarts; their last published outputs are kept).
   */
  private async rebuild(group: SandboxGroup): Promise<void> {
    group.sandbox.dispose();
    group.sandbox = await ScriptSandbox.create(this.options.limits);
    for (const script of group.scripts) {
      const loaded = group.sandbox.load(script.program, { now: this.clock(), previous: this.previousOutputs(script.spec.definition) });
      if (loaded.ok) {
        script.slot = loaded.slot;
      } else {
        script.slot = -1;
        this.markFailure(script, loaded.error, null, true);
        if (group.sandbox.broken) {
          // The script breaks a fresh sandbox in its initCode: keep it out and try once more.
          group.scripts.delete(script);
          return this.rebuild(group);
        }
      }
    }
  }

  private reindex(): void {
    this.dependents.clear();
    const active = [...this.scripts.values()].filter((script) => !script.quarantined);
    const ranks = computeRanks(active.map(graphOf));
    const readTags = new Set<string>();
    for (const script of active) {
      script.rank = ranks.get(script.spec.id) ?? 0;
      for (const tag of script.inputTags) readTags.add(tag);
      for (const tag of script.triggerTags) {
        const list = this.dependents.get(tag);
        if (list) list.push(script);
        else this.dependents.set(tag, [script]);
      }
    }
    for (const script of active) script.hasDependents = script.outputTags.some((tag) => readTags.has(tag));
  }

  // ---- evaluation ----

  private async ingestNow(values: readonly TagValue[]): Promise<PassResult> {
    const result = emptyResult();
    const sorted = isSortedByTs(values) ? values : [...values].sort((a, b) => a.ts - b.ts);
    const deferred: PendingJob[] = [];
    let index = 0;
    while (index < sorted.length) {
      const ts = sorted[index].ts;
      const triggered = new Set<LoadedScript>();
      for (; index < sorted.length && sorted[index].ts === ts; index++) {
        const value = sorted[index];
        const applied = this.catalog.apply(value, 'raw');
        if (applied === 'older') result.older++;
        else if (applied === 'duplicate') result.duplicates++;
        else this.dependents.get(value.tag)?.forEach((script) => triggered.add(script));
      }
      if (triggered.size > 0) await this.pass(triggered, ts, deferred, result);
    }
    await this.evaluate(deferred, result);
    return result;
  }

  private async tickNow(now: number): Promise<PassResult> {
    const result = emptyResult();
    const due = new Map<number, Set<LoadedScript>>();
    for (const script of this.scripts.values()) {
      const periodic = script.periodic;
      if (!periodic || script.quarantined || periodic.nextDue > now) continue;
      // A tick missed while the engine was busy is not replayed: run once at the latest due time.
      const tickTime = periodic.nextDue + Math.floor((now - periodic.nextDue) / periodic.intervalMs) * periodic.intervalMs;
      periodic.nextDue = tickTime + periodic.intervalMs;
      const set = due.get(tickTime) ?? new Set<LoadedScript>();
      set.add(script);
      due.set(tickTime, set);
    }
    const deferred: PendingJob[] = [];
    for (const tickTime of [...due.keys()].sort((a, b) => a - b)) {
      await this.pass(due.get(tickTime)!, tickTime, deferred, result);
    }
    await this.evaluate(deferred, result);
    return result;
  }

  /** Evaluates the triggered scripts at instant `ts` in rank order, following outputs downstream. */
  private async pass(triggered: Set<LoadedScript>, ts: number, deferred: PendingJob[], result: PassResult): Promise<void> {
    const pending = new Set(triggered);
    while (pending.size > 0) {
      let rank = Infinity;
      for (const script of pending) rank = Math.min(rank, script.rank);
      const immediate: PendingJob[] = [];
      for (const script of [...pending]) {
        if (script.rank !== rank) continue;
        pending.delete(script);
        if (script.quarantined || script.slot < 0) continue;
        const job = this.jobFor(script, ts);
        if (!job) continue;
        if (script.hasDependents) immediate.push({ script, job });
        else deferred.push({ script, job });
      }
      if (immediate.length === 0) continue;
      const produced = await this.evaluate(immediate, result);
      for (const output of produced) this.dependents.get(output.tag)?.forEach((script) => pending.add(script));
    }
  }

  private jobFor(script: LoadedScript, now: number): EvaluationJob | null {
    const inputs = new Array(script.inputTags.length);
    for (let i = 0; i < script.inputTags.length; i++) {
      const held = this.catalog.get(script.inputTags[i]);
      if (!held) return null; // waits until every input has been seen
      inputs[i] = { value: held.value, ts: held.ts, quality: held.quality };
    }
    return { slot: script.slot, now, inputs };
  }

  /** Runs jobs grouped by sandbox, applies their outputs to the catalog, returns what was produced. */
  private async evaluate(pending: PendingJob[], result: PassResult): Promise<OutputValue[]> {
    if (pending.length === 0) return [];
    const produced: OutputValue[] = [];
    const byGroup = new Map<SandboxGroup, PendingJob[]>();
    for (const entry of pending) {
      const list = byGroup.get(entry.script.group);
      if (list) list.push(entry);
      else byGroup.set(entry.script.group, [entry]);
    }
    for (const [group, entries] of byGroup) {
      let remaining = entries;
      while (remaining.length > 0) {
        const started = performance.now();
        const batch = group.sandbox.evaluate(remaining.map((entry) => entry.job));
        const micros = ((performance.now() - started) * 1000) / remaining.length;
        const wallClock = this.clock();
        for (let j = 0; j < remaining.length; j++) {
          this.account(remaining[j], batch.results[j], micros, wallClock, result, produced);
        }
        if (batch.brokenAt === null && !group.sandbox.broken) break;
        // The sandbox broke (out of memory): rebuild it and run what was skipped.
        const skipped = batch.brokenAt === null ? [] : remaining.slice(batch.brokenAt);
        await this.rebuild(group);
        remaining = skipped
          .filter((entry) => !entry.script.quarantined && entry.script.slot >= 0)
          .map((entry) => ({ script: entry.script, job: { ...entry.job, slot: entry.script.slot } }));
      }
    }
    pending.length = 0;
    return produced;
  }

  private account(entry: PendingJob, outcome: JobResult | undefined, micros: number, wallClock: number, result: PassResult, produced: OutputValue[]): void {
    if (!outcome || outcome.status === 'skipped') return;
    const script = entry.script;
    script.stats.evaluations++;
    script.stats.totalMicros += micros;
    script.stats.lastRunAt = wallClock;
    result.evaluations++;
    if (outcome.status === 'failed') {
      result.failures++;
      this.markFailure(script, outcome.error, result, false);
      return;
    }
    script.stats.consecutiveFailures = 0;
    const lineage = { id: script.spec.id, name: script.spec.name, version: script.spec.version };
    for (const sample of outcome.outputs) {
      const output: OutputValue = { tag: script.outputTags[sample.index], value: sample.value, ts: entry.job.now, quality: sample.quality, script: lineage };
      this.catalog.apply(output, 'script');
      result.outputs.push(output);
      produced.push(output);
    }
  }

  private markFailure(script: LoadedScript, error: Diagnostic, result: PassResult | null, forceQuarantine: boolean): void {
    script.stats.errors++;
    script.stats.consecutiveFailures++;
    script.stats.lastError = error;
    if (!forceQuarantine && script.stats.consecutiveFailures < this.options.quarantineAfter) return;
    if (script.quarantined) return;
    script.quarantined = true;
    if (script.slot >= 0 && !script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
    script.slot = -1;
    this.reindex();
    result?.quarantined.push({ id: script.spec.id, error });
  }

  private describe(script: LoadedScript): ScriptRuntimeStatus {
    const missing = script.inputTags.filter((tag) => !this.catalog.get(tag));
    return {
      id: script.spec.id,
      version: script.spec.version,
      state: script.quarantined ? 'quarantined' : missing.length > 0 ? 'waiting' : 'running',
      evaluations: script.stats.evaluations,
      errors: script.stats.errors,
      consecutiveFailures: script.stats.consecutiveFailures,
      avgMicros: script.stats.evaluations > 0 ? script.stats.totalMicros / script.stats.evaluations : 0,
      lastRunAt: script.stats.lastRunAt,
      lastError: script.stats.lastError,
      missingInputs: missing,
    };
  }
}

function graphOf(script: LoadedScript): GraphScript {
  return { id: script.spec.id, name: script.spec.name, inputTags: script.inputTags, outputTags: script.outputTags };
}

function emptyResult(): PassResult {
  return { outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [] };
}

function isSortedByTs(values: readonly TagValue[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i].ts < values[i - 1].ts) return false;
  return true;
}

function alignUp(time: number, interval: number): number {
  return Math.ceil(time / interval) * interval;
}
