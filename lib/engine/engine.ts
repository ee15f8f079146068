import { compileScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { ScriptSandbox, type InputSample, type OpStream, type SandboxLimits } from '../sandbox/script-sandbox';
import { QUALITIES, VALUE_REASONS, type OutputValue, type TagState, type TagValue } from '../model/tag-value';
import type { CapturedScriptState, EngineScriptSpec, PassResult, RegisterOutcome, ScriptRuntimeStatus, StopReason } from '../ports/engine';
import { findCycle, type GraphScript } from '../compiler/dependency-graph';
import { TagCatalog } from '../tags/tag-catalog';
import { PromiseQueue } from '../support/promise-queue';
import { applyFollow, forwardOutput } from './engine-follow';
import { TAP_FOLLOW, TAP_STALE, buildIndex, link, tapTable, unlink, upstreamOf, type TapTable } from './engine-index';
import { describeScript, publishStop, runBatches, type PassContext } from './engine-outcome';
import { addRun, nextDue, schedule, scheduleStale, turnStale, seedAll } from './engine-schedule';
import { newLoadedScript, quarantine, restoreStatic, resumeQuarantine, staticOf } from './engine-scripts';
import {
  DEFAULT_SCRIPTS_PER_SANDBOX,
  batchOf,
  emptyResult,
  freshen,
  graphOf,
  type Batch,
  type LoadedScript,
  type Route,
  type SandboxGroup,
  type StaleRule,
  type Tap,
} from './engine-types';
import { LANE_NUMBER, byTagId, lanesOf, scalarAt, sortedLanes, valueAt, type ValueLanes } from './value-lanes';

// Read once: unbundled (tsx: tests, tools, the bench) an imported binding is a getter call per use.
const NUMBER_LANE: number = LANE_NUMBER, FOLLOW_FLAG: number = TAP_FOLLOW, STALE_FLAG: number = TAP_STALE;
const QUALITY_OF = QUALITIES;

/**
 * The script calculator: holds the tag catalog and the registered scripts, and turns raw values
 * into the output values to publish.
 *
 * Per received batch: values are applied in timestamp order, all values of one timestamp together
 * (one "step"); each script whose trigger inputs changed is evaluated once per step, in dependency
 * order, so a script reading another's output sees the value computed in the same step.
 *
 * How it runs: scripts that feed each other share a sandbox (a connected group of the dependency
 * graph never spans two), and the whole batch becomes one stream of ops per sandbox — tag updates
 * and script runs in step order — evaluated in one VM call. A script triggered by a raw value runs
 * unconditionally; a script downstream of another runs conditionally: its runner checks in the
 * sandbox whether one of its trigger inputs was published at that step. See sandbox/wire.ts.
 *
 * Split by responsibility: engine-index.ts (what is derived from the loaded scripts),
 * engine-schedule.ts (the runs of a step), engine-outcome.ts (publication of what a batch reported).
 */

export interface EngineOptions {
  limits: SandboxLimits;
  quarantineAfter: number;
  /** How many scripts share one sandbox (one capped WebAssembly memory); connected scripts may exceed it. */
  scriptsPerSandbox?: number;
  /** Wall clock, for lastRunAt and initCode's ctx.now; event time never comes from here. */
  clock?: () => number;
  /**
   * Wait before a quarantined script is evaluated again (ms), doubling after each failed retry up to
   * an hour; 0 or absent: no retries.
   */
  quarantineRetryMs?: number;
}

export { MAX_QUARANTINE_RETRY_MS } from './engine-scripts';
/** How often inputs are checked for staleness (scripts.md: every second). */
const STALE_CHECK_MS = 1000;
/**
 * Stop publications wait for the next pass or tick; one that waited longer than this is dropped (a
 * standby worker, which runs no ticks, must not publish stale news when it takes over).
 */
const PENDING_TTL_MS = 30_000;

export class Engine {
  readonly catalog = new TagCatalog();
  private readonly scripts = new Map<string, LoadedScript>();
  /** Tag → scripts reading it (for knowing when a script has seen all its inputs). */
  private readonly readers = new Map<string, LoadedScript[]>();
  /** Output tag → the script producing it. */
  private readonly producers = new Map<string, LoadedScript>();
  /** Tag → the sandboxes whose scripts read it, with its index there. */
  private routes = new Map<string, Route[]>();
  /** Tag → routes and dependents together: one lookup per raw value. */
  private taps = new Map<string, Tap>();
  /** The same taps by catalog id (TagCatalog.idOf) as typed arrays: what a pass looks up per value. */
  private tapsById: TapTable = tapTable([]);
  private readonly groups: SandboxGroup[] = [];
  private nextGroupId = 0;
  private step = 0;
  private readonly clock: () => number;
  /**
   * Serialises every operation that touches sandboxes: each runs after every operation queued before
   * it, as the engine is used by one caller at a time.
   */
  private readonly exclusive = new PromiseQueue();
  /** Tag → its staleness rule (tags some script declared staleAfterMs for). */
  private staleRules = new Map<string, StaleRule>();
  private staleCount = 0;
  private lastStaleCheck = 0;
  /** Stop publications (quarantine, unregister, delete) waiting for the next pass or tick. */
  private pending: Array<{ output: OutputValue; at: number }> = [];

  /** What the scheduling and publication code (engine-schedule.ts, engine-outcome.ts) may use. */
  private readonly context: PassContext;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
    this.context = {
      catalog: this.catalog,
      clock: this.clock,
      staleCount: () => this.staleCount,
      isStaleTag: (tag) => this.staleRules.get(tag)?.stale === true,
      seen: (tag) => this.seen(tag),
      markFailure: (script, error, result) => this.markFailure(script, error, result, false),
      forward: (output) => forwardOutput(this.followed, this.followTags, output),
    };
  }

  /**
   * Loads (or hot-swaps) a script and runs its initCode. `lineage`: what its outputs carry as
   * `script` instead of the spec's id, name and version (shadow runs: a candidate's outputs name the
   * script they are a candidate of), the same object on every output.
   */
  register(spec: EngineScriptSpec, lineage?: OutputValue['script']): Promise<RegisterOutcome> {
    return this.exclusive.run(() => this.registerNow(spec, lineage));
  }

  unregister(id: string, reason: StopReason = 'unregistered'): Promise<boolean> {
    return this.exclusive.run(async () => {
      const script = this.scripts.get(id);
      if (!script) return false;
      this.stopOutputs(script, reason);
      this.detach(script);
      this.scripts.delete(id);
      this.reindex();
      return true;
    });
  }

  /**
   * Scale-out (scale-out.md): the static variables of loaded scripts, as JSON, for another engine to
   * continue from; `changedOnly`: only scripts evaluated since the last capture.
   */
  captureState(options: { ids?: readonly string[]; changedOnly?: boolean } = {}): Promise<CapturedScriptState[]> {
    return this.exclusive.run(async () => {
      const captured: CapturedScriptState[] = [];
      const chosen = options.ids ? options.ids.map((id) => this.scripts.get(id)).filter((script): script is LoadedScript => !!script) : [...this.scripts.values()];
      for (const script of chosen) {
        if (options.changedOnly && !script.dirty) continue;
        script.dirty = false;
        captured.push({ id: script.spec.id, version: script.spec.version, state: staticOf(script) });
      }
      return captured;
    });
  }

  /** Scale-out: drops scripts whose group is now computed by another worker; nothing is published. */
  unload(ids: readonly string[]): Promise<void> {
    return this.exclusive.run(async () => {
      for (const id of ids) {
        const script = this.scripts.get(id);
        if (!script) continue;
        this.detach(script);
        this.scripts.delete(id);
      }
      this.reindex();
    });
  }

  has(id: string): boolean {
    return this.scripts.has(id);
  }

  /**
   * `replay`: the values are already in the catalog (restored after the engine thread was restarted
   * in the middle of this batch) and must trigger their scripts all the same. `followed`: receives
   * the values of the followed tags (see follow) that this pass applied, in the order it applied them.
   */
  ingest(values: readonly TagValue[], options: { replay?: boolean; followed?: TagValue[] } = {}): Promise<PassResult> {
    return this.exclusive.run(() => this.ingestNow(lanesOf(this.catalog, values), options.replay ?? false, options.followed ?? null));
  }

  /** `ingest` with the values as lanes by tag id (`catalog.idOf`): no string or object per value. */
  ingestLanes(values: ValueLanes, options: { replay?: boolean; followed?: TagValue[] } = {}): Promise<PassResult> {
    return this.exclusive.run(() => this.ingestNow(sortedLanes(values), options.replay ?? false, options.followed ?? null));
  }

  /**
   * Shadow runs: the tags a follower (the candidates' engine) reads. A pass given a `followed` list
   * appends to it the values of these tags it applied: raw values the catalog took (not older ones,
   * nor redeliveries unless replaying), then the outputs it published. Empty: nothing is followed.
   */
  follow(tags: ReadonlySet<string>): void {
    this.followTags = tags.size > 0 ? new Set(tags) : null;
    this.followDirty = true;
  }

  /** Evaluates the periodic scripts due at `now` (wall clock, ms). */
  tick(now: number = this.clock()): Promise<PassResult> {
    return this.exclusive.run(() => this.tickNow(now));
  }

  /** Restores latest values (and thereby last published outputs) after a restart. */
  restore(states: Iterable<TagState>): void {
    this.catalog.restore(states);
    // Sandboxes already loaded learn them with the next batch; missing inputs are counted again.
    this.resync = true;
    for (const script of this.scripts.values()) script.missing = this.countMissing(script.inputTags);
  }

  status(id: string): ScriptRuntimeStatus | null {
    const script = this.scripts.get(id);
    return script ? describeScript(this.catalog, script) : null;
  }

  statuses(): ScriptRuntimeStatus[] {
    return [...this.scripts.values()].map((script) => describeScript(this.catalog, script));
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
    this.taps.clear();
    this.readers.clear();
    this.routes.clear();
  }

  private resync = false;
  private progress: ((scriptId: string | null) => void) | null = null;

  /**
   * Careful mode: one run per VM call, each announced to `reporter` before it starts (null after the
   * last), so a watchdog in another thread can name a script whose run never returns.
   */
  setProgressReporter(reporter: ((scriptId: string | null) => void) | null): void {
    this.progress = reporter;
  }

  private heartbeat: (() => void) | undefined;

  /** Called before every VM call (a watchdog in another thread can tell a hang from a long batch). */
  setHeartbeat(heartbeat: () => void): void {
    this.heartbeat = heartbeat;
    for (const group of this.groups) group.sandbox.beforeCall = heartbeat;
  }

  // ---- registration ----

  private async registerNow(spec: EngineScriptSpec, lineage: OutputValue['script'] | undefined): Promise<RegisterOutcome> {
    const compiled = spec.program ? { program: spec.program, diagnostics: [] } : compileScript(spec.definition);
    if (!compiled.program) return { ok: false, reason: 'invalid', diagnostics: compiled.diagnostics };

    const inputTags = spec.definition.inputs.map((input) => input.tag);
    const outputTags = spec.definition.outputs.map((output) => output.tag);
    const candidate: GraphScript = { id: spec.id, name: spec.name, inputTags, outputTags };
    const cycle = findCycle([...upstreamOf(this.producers, candidate).map(graphOf), candidate]);
    if (cycle) return { ok: false, reason: 'cycle', cycle };

    // Scripts feeding this one or fed by it share its sandbox.
    const connected = new Set<LoadedScript>();
    for (const tag of inputTags) {
      const producer = this.producers.get(tag);
      if (producer && producer.spec.id !== spec.id) connected.add(producer);
    }
    for (const tag of outputTags) for (const reader of this.readers.get(tag) ?? []) if (reader.spec.id !== spec.id) connected.add(reader);
    const connectedGroups = [...new Set([...connected].map((other) => other.group))];
    const group = connectedGroups[0] ?? (await this.groupWithRoom());
    const loaded = group.sandbox.load(compiled.program, { now: this.clock(), seed: (tag) => this.sampleOf(tag) });
    if (!loaded.ok) {
      if (group.sandbox.broken) await this.rebuild(group);
      return { ok: false, reason: 'invalid', diagnostics: [loaded.error] };
    }

    const stateNotice = spec.restoreState ? restoreStatic(group.sandbox, loaded.slot, spec.restoreState) : null;
    const previous = this.scripts.get(spec.id);
    if (previous) this.detach(previous);
    const script = newLoadedScript(spec, compiled.program, group, loaded.slot, { now: this.clock(), missing: this.countMissing(inputTags), stateNotice, lineage });
    group.scripts.add(script);
    this.scripts.set(spec.id, script);
    link(this.producers, this.readers, script);
    // A script joining two groups brings them together (their scripts move into the merged sandbox,
    // their static state with them when it serialises).
    for (const other of connectedGroups.slice(1)) await this.moveScripts(other, group);
    if (spec.resumeQuarantine) resumeQuarantine(script, spec.resumeQuarantine.lastError, this.options.quarantineRetryMs ?? 0, this.clock());
    this.reindex();
    return { ok: true };
  }

  private sampleOf(tag: string): InputSample | undefined {
    const held = this.catalog.get(tag);
    return held ? { value: held.value, ts: held.ts, quality: held.quality } : undefined;
  }

  private countMissing(tags: readonly string[]): number {
    let missing = 0;
    for (const tag of tags) if (!this.catalog.get(tag)) missing++;
    return missing;
  }

  private detach(script: LoadedScript): void {
    unlink(this.producers, this.readers, script);
    script.group.scripts.delete(script);
    if (!script.group.sandbox.broken && script.slot >= 0) script.group.sandbox.unload(script.slot);
  }

  private async groupWithRoom(): Promise<SandboxGroup> {
    const capacity = this.options.scriptsPerSandbox ?? DEFAULT_SCRIPTS_PER_SANDBOX;
    const existing = this.groups.find((group) => !group.sandbox.broken && group.scripts.size < capacity);
    if (existing) return existing;
    const group: SandboxGroup = { id: this.nextGroupId++, sandbox: await ScriptSandbox.create(this.options.limits), scripts: new Set(), light: false, spare: null };
    group.sandbox.beforeCall = this.heartbeat;
    this.groups.push(group);
    return group;
  }

  private async moveScripts(from: SandboxGroup, to: SandboxGroup): Promise<void> {
    for (const script of [...from.scripts]) {
      // Static state goes along with the script into the merged sandbox when it serialises.
      const saved = script.slot >= 0 && !from.sandbox.broken ? from.sandbox.dumpState(script.slot) : null;
      this.detach(script);
      script.group = to;
      to.scripts.add(script);
      link(this.producers, this.readers, script);
      if (this.loadInto(to, script) && saved?.ok) to.sandbox.loadState(script.slot, saved);
    }
  }

  /** Loads a script into its group's sandbox (initCode runs again), seeded with the latest values. */
  private loadInto(group: SandboxGroup, script: LoadedScript): boolean {
    const loaded = group.sandbox.load(script.program, { now: this.clock(), seed: (tag) => this.sampleOf(tag) });
    if (loaded.ok) {
      script.slot = loaded.slot;
      return true;
    }
    script.slot = -1;
    this.markFailure(script, loaded.error, null, true);
    return false;
  }

  /**
   * Replaces a broken sandbox: every script of the group is loaded again in a fresh one (their
   * initCode runs again, so their static state restarts; their last published outputs are kept).
   */
  private async rebuild(group: SandboxGroup): Promise<void> {
    group.sandbox.dispose();
    group.sandbox = await ScriptSandbox.create(this.options.limits);
    group.sandbox.beforeCall = this.heartbeat;
    for (const script of group.scripts) {
      if (script.quarantined) {
        script.slot = -1;
        continue;
      }
      if (!this.loadInto(group, script) && group.sandbox.broken) {
        // The script breaks a fresh sandbox in its initCode: keep it out and try once more.
        group.scripts.delete(script);
        return this.rebuild(group);
      }
    }
    this.reindex();
  }

  private indexDirty = false;
  private followTags: ReadonlySet<string> | null = null;
  private followDirty = false;
  /** The current pass's list of followed values (null: none wanted). */
  private followed: TagValue[] | null = null;

  /** Indexes are rebuilt once before the next evaluation, not after every registration. */
  private reindex(): void {
    this.indexDirty = true;
  }

  private flushIndex(): void {
    if (!this.indexDirty) {
      if (this.followDirty) this.refollow();
      return;
    }
    this.indexDirty = false;
    const index = buildIndex(this.scripts.values(), this.groups, this.producers, this.staleRules, this.clock);
    this.routes = index.routes;
    this.taps = index.taps;
    this.staleRules = index.staleRules;
    this.staleCount = index.staleCount;
    if (index.resync) this.resync = true;
    this.refollow();
  }

  private refollow(): void {
    this.followDirty = false;
    applyFollow(this.taps, this.scripts.values(), this.staleRules, this.followTags);
    this.tapsById = tapTable(byTagId(this.taps, this.catalog));
  }

  // ---- evaluation ----

  private async ingestNow(lanes: ValueLanes, replay: boolean, followed: TagValue[] | null): Promise<PassResult> {
    this.flushIndex();
    this.followed = followed;
    const result = emptyResult();
    const batches = new Map<SandboxGroup, Batch>();
    if (this.resync) {
      this.resync = false;
      seedAll(this.groups, this.catalog, batches);
    }
    const catalog = this.catalog;
    const { size: tapCount, flags: tapFlags, stale: staleById, start: routeStart, group: routeGroup, index: routeIndex, groups } = this.tapsById;
    const { firstDependent, dependent, scripts: dependentScripts, triggeredAt } = this.tapsById;
    const { count, ts: stamps, tag: ids, kind, num, quality: qualities, reason: reasons } = lanes;
    let index = 0;
    let lastGroup = -1;
    let lastStream: OpStream | null = null;
    let lastLight = false;
    const triggered: LoadedScript[] = [];
    const arrival = this.staleRules.size > 0 ? this.clock() : 0;
    while (index < count) {
      const ts = stamps[index];
      const step = ++this.step;
      triggered.length = 0;
      for (; index < count && stamps[index] === ts; index++) {
        const id = ids[index];
        const isNumber = kind[index] === NUMBER_LANE;
        const value = isNumber ? num[index] : scalarAt(lanes, index);
        const quality = QUALITY_OF[qualities[index]];
        const known = catalog.size;
        const applied = catalog.applyById(id, value, ts, quality, reasons[index] === 0 ? undefined : VALUE_REASONS[reasons[index] - 1], 'raw');
        if (applied === 'older') {
          result.older++;
          continue;
        }
        if (applied === 'duplicate' && !replay) {
          result.duplicates++;
          continue;
        }
        if (catalog.size !== known) this.seen(catalog.nameOf(id));
        if (id >= tapCount) continue;
        const flags = tapFlags[id];
        if (flags === 0) continue;
        if ((flags & FOLLOW_FLAG) !== 0 && followed !== null) followed.push(valueAt(lanes, catalog, index));
        // The next fresh value clears the staleness: its quality goes to the sandbox as it is.
        const fresh = (flags & STALE_FLAG) !== 0 && freshen(staleById[id]!, arrival);
        if (fresh) this.staleCount--;
        const numberOnly = !fresh && isNumber;
        for (let r = routeStart[id], end = routeStart[id + 1]; r < end; r++) {
          // Consecutive values mostly feed the same sandbox: one map lookup per change of sandbox.
          const g = routeGroup[r];
          if (g !== lastGroup) {
            lastGroup = g;
            const group = groups[g];
            lastStream = batchOf(batches, group).stream;
            lastLight = group.light;
          }
          const stream = lastStream!;
          if (lastLight && numberOnly) stream.value(routeIndex[r], value as number);
          else stream.update(routeIndex[r], value, ts, quality, step);
        }
        for (let k = firstDependent[id], end = firstDependent[id + 1]; k < end; k++) {
          const n = dependent[k];
          if (triggeredAt[n] === step) continue;
          triggeredAt[n] = step;
          triggered.push(dependentScripts[n]);
        }
      }
      if (triggered.length > 0) schedule(this.context, triggered, ts, step, batches, false);
    }
    await this.runBatches(batches, result);
    this.drainPending(result);
    this.followed = null;
    return result;
  }

  private async tickNow(now: number): Promise<PassResult> {
    this.followed = null;
    const result = emptyResult();
    const batches = new Map<SandboxGroup, Batch>();
    await this.retryDue(now, batches);
    this.flushIndex();
    if (this.resync) {
      this.resync = false;
      seedAll(this.groups, this.catalog, batches);
    }
    if (this.staleRules.size > 0 && now - this.lastStaleCheck >= STALE_CHECK_MS) {
      this.lastStaleCheck = now;
      this.markStale(now, batches);
    }
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
    for (const tickTime of [...due.keys()].sort((a, b) => a - b)) {
      schedule(this.context, [...due.get(tickTime)!], tickTime, ++this.step, batches, true);
    }
    if (batches.size > 0) await this.runBatches(batches, result);
    this.drainPending(result);
    result.idleUntil = this.idleUntil(now);
    return result;
  }

  /** The next time a tick has work (a periodic script due, a retry, a staleness check); `now` when it has some already. */
  private idleUntil(now: number): number {
    if (this.resync || this.pending.length > 0 || this.indexDirty) return now;
    return nextDue(this.scripts.values(), this.staleRules.size > 0 ? this.lastStaleCheck + STALE_CHECK_MS : Infinity);
  }

  /**
   * Quarantined scripts whose retryAt has come: loaded again (initCode runs) and evaluated once on
   * their latest input values, on probation — one failure quarantines them again, a success ends it.
   */
  private async retryDue(now: number, batches: Map<SandboxGroup, Batch>): Promise<void> {
    const due: LoadedScript[] = [];
    for (const script of this.scripts.values()) if (script.quarantined && script.retryAt !== null && script.retryAt <= now) due.push(script);
    if (due.length === 0) return;
    const runs: LoadedScript[] = [];
    for (const script of due) {
      if (script.group.sandbox.broken) await this.rebuild(script.group);
      script.quarantined = false;
      script.retryAt = null;
      script.probation = true;
      script.stats.consecutiveFailures = Math.max(0, this.options.quarantineAfter - 1);
      if (this.loadInto(script.group, script)) runs.push(script);
    }
    this.reindex();
    this.flushIndex();
    const step = ++this.step;
    for (const script of runs) {
      script.missing = this.countMissing(script.inputTags);
      addRun(this.context, script, true, now, step, batches, true);
    }
  }

  /** Inputs with staleAfterMs and no value for that long turn uncertain; their scripts run again. */
  private markStale(now: number, batches: Map<SandboxGroup, Batch>): void {
    const turned = turnStale(this.staleRules.values(), now);
    this.staleCount += turned.length; // before the runs are added: scheduling reads it (PassContext.staleCount)
    if (turned.length > 0) scheduleStale(this.context, turned, this.routes, now, ++this.step, batches);
  }

  private seen(tag: string): void {
    const readers = this.readers.get(tag);
    if (readers) for (const script of readers) if (script.missing > 0) script.missing--;
  }

  private runBatches(batches: Map<SandboxGroup, Batch>, result: PassResult): Promise<void> {
    return runBatches(this.context, batches, result, this.progress, (group) => this.rebuild(group));
  }

  private markFailure(script: LoadedScript, error: Diagnostic, result: PassResult | null, forceQuarantine: boolean): void {
    script.stats.errors++;
    script.stats.consecutiveFailures++;
    script.stats.lastError = error;
    if (!forceQuarantine && script.stats.consecutiveFailures < this.options.quarantineAfter) return;
    if (script.quarantined) return;
    quarantine(script, this.options.quarantineRetryMs ?? 0, this.clock());
    this.reindex();
    this.stopOutputs(script, 'quarantined');
    result?.quarantined.push({ id: script.spec.id, error });
  }

  /**
   * A stopped script's outputs: null, bad, with the reason, stamped with the time of the event (never
   * before the value they replace); published with the next pass or tick.
   */
  private stopOutputs(script: LoadedScript, reason: 'quarantined' | StopReason): void {
    const now = this.clock();
    this.pending = this.pending.filter((entry) => now - entry.at <= PENDING_TTL_MS);
    const outputs: OutputValue[] = [];
    publishStop(this.context, script, reason, now, outputs);
    for (const output of outputs) this.pending.push({ output, at: now });
    // Sandboxes learn the new values of these tags (scripts reading them) before their next run.
    if (outputs.length > 0) this.resync = true;
  }

  private drainPending(result: PassResult): void {
    if (this.pending.length === 0) return;
    const now = this.clock();
    for (const entry of this.pending) {
      if (now - entry.at > PENDING_TTL_MS) continue;
      result.outputs.push(entry.output);
      forwardOutput(this.followed, this.followTags, entry.output);
    }
    this.pending = [];
  }
}

