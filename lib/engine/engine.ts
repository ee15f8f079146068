import { compileScript, type CompiledScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { OpStream, ScriptSandbox, type DecodedOp, type InputSample, type OpsResult, type SandboxLimits } from '../sandbox/script-sandbox';
import { QUALITY_RANK, type OutputValue, type TagState, type TagValue, type ValueReason } from '../model/tag-value';
import type { CapturedScriptState, EngineScriptSpec, PassResult, RegisterOutcome, ScriptRuntimeStatus, StopReason } from '../ports/engine';
import { computeRanks, findCycle, type GraphScript } from '../compiler/dependency-graph';
import { TagCatalog } from '../tags/tag-catalog';
import { PromiseQueue } from '../support/promise-queue';

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
 * sandbox whether one of its trigger inputs was published at that step. See sandbox/prelude.ts.
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

/** The longest wait between two retries of a quarantined script. */
export const MAX_QUARANTINE_RETRY_MS = 60 * 60 * 1000;
/** How often inputs are checked for staleness (scripts.md: every second). */
const STALE_CHECK_MS = 1000;
/**
 * Stop publications wait for the next pass or tick; one that waited longer than this is dropped (a
 * standby worker, which runs no ticks, must not publish stale news when it takes over).
 */
const PENDING_TTL_MS = 30_000;

/** A tag some script declared `staleAfterMs` for: the shortest wait wins. */
interface StaleRule {
  tag: string;
  afterMs: number;
  /** Wall clock of the last value received (or of the rule's creation). */
  lastArrival: number;
  stale: boolean;
  /** The scripts declaring it, re-evaluated when it turns stale. */
  scripts: LoadedScript[];
}

interface SandboxGroup {
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
}

/** What a raw value of a tag does: the sandboxes to update, the scripts to trigger. */
interface Tap {
  routes: Array<{ group: SandboxGroup; index: number }>;
  dependents: LoadedScript[];
  /** Set when a script declared staleAfterMs for the tag. */
  stale: StaleRule | null;
  /** A follower (shadow runs) reads the tag: its applied values are handed over (see follow). */
  follow: boolean;
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
  /** The last step that triggered this script: a script joins a step's list once (no Set per step). */
  triggeredStep: number;
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
  /** One of its outputs is a followed tag (see follow). */
  followed: boolean;
  /** Evaluated since the last captureState (scale-out checkpoints write only changed scripts). */
  dirty: boolean;
  /** Scale-out: why its static state could not be restored (shown in its status). */
  stateNotice: string | null;
  stats: { evaluations: number; errors: number; consecutiveFailures: number; totalMicros: number; lastRunAt: number | null; lastError: Diagnostic | null };
}

/** One VM call's worth of work for a sandbox. */
interface Batch {
  stream: OpStream;
  /** By ordinal: which script ran, at which time (parallel arrays: nothing allocated per run). */
  scripts: LoadedScript[];
  nows: number[];
}

const DEFAULT_SCRIPTS_PER_SANDBOX = 100;

export class Engine {
  readonly catalog = new TagCatalog();
  private readonly scripts = new Map<string, LoadedScript>();
  /** Tag → scripts it triggers on change. */
  private readonly dependents = new Map<string, LoadedScript[]>();
  /** Tag → scripts reading it (for knowing when a script has seen all its inputs). */
  private readonly readers = new Map<string, LoadedScript[]>();
  /** Output tag → the script producing it. */
  private readonly producers = new Map<string, LoadedScript>();
  /** Tag → the sandboxes whose scripts read it, with its index there. */
  private readonly routes = new Map<string, Array<{ group: SandboxGroup; index: number }>>();
  /** Tag → routes and dependents together: one lookup per raw value. */
  private readonly taps = new Map<string, Tap>();
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
  private readonly staleRules = new Map<string, StaleRule>();
  private staleCount = 0;
  private lastStaleCheck = 0;
  /** Stop publications (quarantine, unregister, delete) waiting for the next pass or tick. */
  private pending: Array<{ output: OutputValue; at: number }> = [];

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /**
   * Loads (or hot-swaps) a script and runs its initCode. `lineage`: what its outputs carry as
   * `script` instead of the spec's id, name and version (shadow runs: the candidate's outputs name
   * the script they are a candidate of), the same object on every output.
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
        captured.push({ id: script.spec.id, version: script.spec.version, state: this.staticOf(script) });
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

  private staticOf(script: LoadedScript): CapturedScriptState['state'] {
    if (script.quarantined || script.slot < 0) return { notice: 'the script is quarantined: it starts from its initCode when it runs again' };
    const dumped = script.group.sandbox.dumpState(script.slot);
    if (dumped.ok) return { vars: dumped.vars, undef: dumped.undef };
    return {
      notice: dumped.variable
        ? `its static variable '${dumped.variable}' ${dumped.why}, so its state cannot move to another worker: after a move it starts again from its initCode (keep static state in plain objects, arrays, numbers, strings and booleans)`
        : `its static state could not be read (${dumped.why}): after a move it starts again from its initCode`,
    };
  }

  /** Puts saved static variables into a freshly loaded script; the notice to show when that is not possible. */
  private restoreStatic(sandbox: ScriptSandbox, slot: number, saved: NonNullable<EngineScriptSpec['restoreState']>): string | null {
    if ('notice' in saved) return saved.notice;
    return sandbox.loadState(slot, saved) ? null : 'its saved static state could not be put back (the script changed or the restore failed): it started again from its initCode';
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
    return this.exclusive.run(() => this.ingestNow(values, options.replay ?? false, options.followed ?? null));
  }

  /**
   * Shadow runs: the tags a follower (the candidates' engine) reads. A pass given a `followed` list
   * appends to it the values of these tags it applied: raw values the catalog took (not older ones,
   * nor redeliveries unless replaying), then the outputs it published (as value, ts and quality) —
   * what the follower needs to see the same values, found through the lookup each raw value already
   * makes, so nothing is spent on the values of tags nobody follows. Empty: nothing is followed.
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
    const cycle = findCycle([...this.upstreamOf(candidate).map(graphOf), candidate]);
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

    const stateNotice = spec.restoreState ? this.restoreStatic(group.sandbox, loaded.slot, spec.restoreState) : null;
    const previous = this.scripts.get(spec.id);
    if (previous) this.detach(previous);
    const trigger = spec.definition.trigger ?? { type: 'onChange' as const };
    const aliasToTag = new Map(spec.definition.inputs.map((input) => [input.alias, input.tag]));
    const script: LoadedScript = {
      spec,
      program: compiled.program,
      group,
      slot: loaded.slot,
      inputTags,
      triggerTags:
        trigger.type === 'onChange'
          ? (trigger.inputs ?? spec.definition.inputs.map((input) => input.alias)).map((alias) => aliasToTag.get(alias) ?? alias)
          : [],
      outputTags,
      periodic: trigger.type === 'periodic' ? { intervalMs: trigger.intervalMs, nextDue: alignUp(this.clock(), trigger.intervalMs) } : null,
      rank: 0,
      triggeredStep: -1,
      downstream: [],
      outputCount: outputTags.length,
      rawInputsOnly: true,
      missing: this.countMissing(inputTags),
      quarantined: false,
      retryAt: null,
      retryDelay: 0,
      probation: false,
      lineage: lineage ?? Object.freeze({ id: spec.id, name: spec.name, version: spec.version }),
      followed: false,
      dirty: true,
      stateNotice,
      stats: { evaluations: 0, errors: 0, consecutiveFailures: 0, totalMicros: 0, lastRunAt: null, lastError: null },
    };
    group.scripts.add(script);
    this.scripts.set(spec.id, script);
    this.link(script);
    // A script joining two groups brings them together (their scripts move into the merged sandbox,
    // their static state with them when it serialises).
    for (const other of connectedGroups.slice(1)) await this.moveScripts(other, group);
    if (spec.resumeQuarantine) this.resumeQuarantine(script, spec.resumeQuarantine.lastError);
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

  /** Producers and readers are kept up to date at once (registration needs them); the rest waits for flushIndex. */
  private link(script: LoadedScript): void {
    for (const tag of script.outputTags) this.producers.set(tag, script);
    for (const tag of script.inputTags) push(this.readers, tag, script);
  }

  private unlink(script: LoadedScript): void {
    for (const tag of script.outputTags) if (this.producers.get(tag) === script) this.producers.delete(tag);
    for (const tag of script.inputTags) {
      const list = this.readers.get(tag);
      if (!list) continue;
      const at = list.indexOf(script);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.readers.delete(tag);
    }
  }

  private detach(script: LoadedScript): void {
    this.unlink(script);
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
      this.link(script);
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

  /** The scripts this one would read from, directly or further up (where a cycle would have to pass). */
  private upstreamOf(candidate: GraphScript): LoadedScript[] {
    const found = new Set<LoadedScript>();
    const stack = [...candidate.inputTags];
    while (stack.length > 0) {
      const producer = this.producers.get(stack.pop()!);
      if (!producer || producer.spec.id === candidate.id || found.has(producer)) continue;
      found.add(producer);
      stack.push(...producer.inputTags);
    }
    // A cycle closes through scripts reading the candidate's outputs: those are upstream too if they
    // reach back; findCycle sees them through the producers of the candidate's inputs.
    return [...found];
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
    if (this.indexDirty) this.rebuildIndex();
    else if (this.followDirty) this.applyFollow();
  }

  /** Marks the taps and scripts of followed tags; a followed tag nobody live reads gets a tap of its own. */
  private applyFollow(): void {
    this.followDirty = false;
    const tags = this.followTags;
    for (const [tag, tap] of this.taps) {
      tap.follow = tags !== null && tags.has(tag);
      if (!tap.follow && tap.routes.length === 0 && tap.dependents.length === 0) this.taps.delete(tag);
    }
    if (tags) for (const tag of tags) if (!this.taps.has(tag)) this.taps.set(tag, { routes: [], dependents: [], stale: this.staleRules.get(tag) ?? null, follow: true });
    for (const script of this.scripts.values()) script.followed = tags !== null && script.outputTags.some((tag) => tags.has(tag));
  }

  /** Hands an output of a followed tag to the pass's follower list. */
  private forward(output: OutputValue): void {
    if (this.followed !== null && this.followTags?.has(output.tag)) this.followed.push({ tag: output.tag, value: output.value, ts: output.ts, quality: output.quality });
  }

  private rebuildIndex(): void {
    this.indexDirty = false;
    this.dependents.clear();
    this.routes.clear();
    const active = [...this.scripts.values()].filter((script) => !script.quarantined);
    const ranks = computeRanks(active.map(graphOf));
    for (const script of active) {
      script.rank = ranks.get(script.spec.id) ?? 0;
      script.rawInputsOnly = script.inputTags.every((tag) => !this.producers.has(tag));
      for (const tag of script.triggerTags) push(this.dependents, tag, script);
      if (script.slot >= 0) {
        const indexes = script.group.sandbox.indexesOf(script.slot) ?? [];
        script.inputTags.forEach((tag, i) => {
          const routes = this.routes.get(tag) ?? [];
          if (!routes.some((route) => route.group === script.group)) routes.push({ group: script.group, index: indexes[i] });
          this.routes.set(tag, routes);
        });
      }
    }
    for (const group of this.groups) {
      let light = true;
      for (const script of group.scripts) {
        if (script.quarantined) continue;
        if (script.program.readsInputMeta || !script.rawInputsOnly) light = false;
      }
      // Becoming heavy: the qualities, timestamps and stamps skipped so far must be sent once.
      if (group.light && !light) this.resync = true;
      group.light = light;
    }
    this.rebuildStaleRules(active);
    this.taps.clear();
    for (const [tag, routes] of this.routes) this.taps.set(tag, { routes, dependents: this.dependents.get(tag) ?? [], stale: this.staleRules.get(tag) ?? null, follow: false });
    for (const [tag, dependents] of this.dependents) if (!this.taps.has(tag)) this.taps.set(tag, { routes: [], dependents, stale: this.staleRules.get(tag) ?? null, follow: false });
    this.applyFollow();
    for (const script of active) {
      const seen = new Set<LoadedScript>();
      const visit = (from: LoadedScript) => {
        for (const tag of from.outputTags) {
          for (const next of this.dependents.get(tag) ?? []) {
            if (seen.has(next)) continue;
            seen.add(next);
            visit(next);
          }
        }
      };
      visit(script);
      script.downstream = [...seen].sort((a, b) => a.rank - b.rank);
    }
  }

  /** Rules of the loaded scripts' staleAfterMs; a tag keeps its arrival time and staleness across rebuilds. */
  private rebuildStaleRules(active: readonly LoadedScript[]): void {
    const previous = new Map(this.staleRules);
    this.staleRules.clear();
    for (const script of active) {
      for (const input of script.spec.definition.inputs) {
        if (input.staleAfterMs === undefined) continue;
        let rule = this.staleRules.get(input.tag);
        if (!rule) {
          const before = previous.get(input.tag);
          rule = { tag: input.tag, afterMs: input.staleAfterMs, lastArrival: before?.lastArrival ?? this.clock(), stale: before?.stale ?? false, scripts: [] };
          this.staleRules.set(input.tag, rule);
        }
        rule.afterMs = Math.min(rule.afterMs, input.staleAfterMs);
        rule.scripts.push(script);
      }
    }
    this.staleCount = 0;
    for (const rule of this.staleRules.values()) if (rule.stale) this.staleCount++;
  }

  // ---- evaluation ----

  private async ingestNow(values: readonly TagValue[], replay: boolean, followed: TagValue[] | null): Promise<PassResult> {
    this.flushIndex();
    this.followed = followed;
    const result = emptyResult();
    const sorted = isSortedByTs(values) ? values : [...values].sort((a, b) => a.ts - b.ts);
    const batches = new Map<SandboxGroup, Batch>();
    if (this.resync) this.seedAll(batches);
    let index = 0;
    let lastGroup: SandboxGroup | null = null;
    let lastStream: OpStream | null = null;
    const triggered: LoadedScript[] = [];
    const arrival = this.staleRules.size > 0 ? this.clock() : 0;
    while (index < sorted.length) {
      const ts = sorted[index].ts;
      const step = ++this.step;
      triggered.length = 0;
      for (; index < sorted.length && sorted[index].ts === ts; index++) {
        const value = sorted[index];
        const known = this.catalog.size;
        const applied = this.catalog.apply(value, 'raw');
        if (applied === 'older') {
          result.older++;
          continue;
        }
        if (applied === 'duplicate' && !replay) {
          result.duplicates++;
          continue;
        }
        if (this.catalog.size !== known) this.seen(value.tag);
        const tap = this.taps.get(value.tag);
        if (tap === undefined) continue;
        if (tap.follow && followed !== null) followed.push(value);
        let fresh = false;
        if (tap.stale !== null) {
          tap.stale.lastArrival = arrival;
          if (tap.stale.stale) {
            // The next fresh value clears the staleness: its quality goes to the sandbox as it is.
            tap.stale.stale = false;
            this.staleCount--;
            fresh = true;
          }
        }
        for (const route of tap.routes) {
          // Consecutive values mostly feed the same sandbox: one map lookup per change of sandbox.
          if (route.group !== lastGroup) {
            lastGroup = route.group;
            lastStream = batchOf(batches, route.group).stream;
          }
          const stream = lastStream!;
          if (route.group.light && !fresh && typeof value.value === 'number') stream.value(route.index, value.value);
          else stream.update(route.index, value.value, value.ts, value.quality, step);
        }
        for (const script of tap.dependents) {
          if (script.triggeredStep === step) continue;
          script.triggeredStep = step;
          triggered.push(script);
        }
      }
      if (triggered.length > 0) this.schedule(triggered, ts, step, batches, false);
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
    if (this.resync) this.seedAll(batches);
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
      this.schedule([...due.get(tickTime)!], tickTime, ++this.step, batches, true);
    }
    if (batches.size > 0) await this.runBatches(batches, result);
    this.drainPending(result);
    return result;
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
      this.addRun(script, true, now, step, batches, true);
    }
  }

  /** Inputs with staleAfterMs and no value for that long turn uncertain; their scripts run again. */
  private markStale(now: number, batches: Map<SandboxGroup, Batch>): void {
    const turned: StaleRule[] = [];
    for (const rule of this.staleRules.values()) {
      if (rule.stale || now - rule.lastArrival < rule.afterMs) continue;
      rule.stale = true;
      this.staleCount++;
      turned.push(rule);
    }
    if (turned.length === 0) return;
    const step = ++this.step;
    const scripts = new Set<LoadedScript>();
    for (const rule of turned) {
      const held = this.catalog.get(rule.tag);
      if (!held) continue;
      const quality = QUALITY_RANK[held.quality] >= QUALITY_RANK.uncertain ? held.quality : 'uncertain';
      for (const route of this.routes.get(rule.tag) ?? []) batchOf(batches, route.group).stream.update(route.index, held.value, held.ts, quality, step);
      for (const script of rule.scripts) scripts.add(script);
    }
    for (const script of [...scripts].sort((a, b) => a.rank - b.rank)) this.addRun(script, true, now, step, batches, true);
  }

  private isStale(script: LoadedScript): boolean {
    for (const tag of script.inputTags) if (this.staleRules.get(tag)?.stale) return true;
    return false;
  }

  /**
   * Adds the runs of one step: the triggered scripts (unconditionally) and everything downstream of
   * them (conditionally: a downstream script runs only if an input it triggers on was published in
   * this step), in rank order.
   */
  private schedule(triggered: readonly LoadedScript[], now: number, step: number, batches: Map<SandboxGroup, Batch>, periodic: boolean): void {
    let chained = false;
    for (const script of triggered) {
      if (script.downstream.length > 0) {
        chained = true;
        break;
      }
    }
    if (!chained) {
      // No triggered script feeds another: no order to keep, nothing downstream (the common case).
      for (const script of triggered) this.addRun(script, true, now, step, batches, periodic);
      return;
    }
    const direct = new Set<LoadedScript>(triggered);
    const order = new Set<LoadedScript>(triggered);
    for (const script of triggered) for (const next of script.downstream) order.add(next);
    const runs = [...order].sort((a, b) => a.rank - b.rank);
    for (const script of runs) this.addRun(script, direct.has(script), now, step, batches, periodic);
  }

  private addRun(script: LoadedScript, direct: boolean, now: number, step: number, batches: Map<SandboxGroup, Batch>, periodic: boolean): void {
    if (script.quarantined || script.slot < 0) return;
    // Waiting for an input: only a script fed by another may find it published in this step.
    if (direct && script.missing > 0 && (periodic || script.group.light)) return;
    // Not every input seen yet: the runner decides in the sandbox, where this step's outputs are known.
    const conditional = !direct || script.missing > 0;
    const quality = !conditional && script.rawInputsOnly ? this.worstQuality(script) : -1;
    const batch = batchOf(batches, script.group);
    batch.stream.step(step, now);
    batch.stream.run(script.slot, conditional, quality, script.outputCount);
    batch.scripts.push(script);
    batch.nows.push(now);
  }

  private worstQuality(script: LoadedScript): number {
    // Every tag good (the usual case): nothing to look up.
    if (this.catalog.notGoodCount === 0 && this.staleCount === 0) return 0;
    let worst = 0;
    for (const tag of script.inputTags) {
      const held = this.catalog.get(tag);
      if (held) {
        let rank = QUALITY_RANK[held.quality];
        // A stale input counts as uncertain (scripts.md).
        if (rank < QUALITY_RANK.uncertain && this.staleCount > 0 && this.staleRules.get(tag)?.stale) rank = QUALITY_RANK.uncertain;
        if (rank > worst) worst = rank;
      }
    }
    return worst;
  }

  /** After a restore: every sandbox learns the latest values of the tags it reads and publishes. */
  private seedAll(batches: Map<SandboxGroup, Batch>): void {
    this.resync = false;
    for (const group of this.groups) {
      for (const script of group.scripts) {
        if (script.slot < 0) continue;
        const indexes = group.sandbox.indexesOf(script.slot) ?? [];
        [...script.inputTags, ...script.outputTags].forEach((tag, i) => {
          const held = this.catalog.get(tag);
          if (held) batchOf(batches, group).stream.update(indexes[i], held.value, held.ts, held.quality, 0);
        });
      }
    }
  }

  private seen(tag: string): void {
    const readers = this.readers.get(tag);
    if (readers) for (const script of readers) if (script.missing > 0) script.missing--;
  }

  private async runBatches(batches: Map<SandboxGroup, Batch>, result: PassResult): Promise<void> {
    for (const [group, batch] of batches) {
      if (batch.stream.count === 0) {
        group.spare = batch.stream;
        continue;
      }
      const started = performance.now();
      const report = this.progress;
      const outcome = group.sandbox.runOps(
        batch.stream,
        undefined,
        report ? (slot) => report(slot < 0 ? null : ([...group.scripts].find((script) => script.slot === slot)?.spec.id ?? null)) : undefined,
      );
      this.account(group, batch, outcome, performance.now() - started, result);
      if (outcome.brokenAt === null && !group.sandbox.broken) {
        group.spare = batch.stream;
        continue;
      }
      // The sandbox broke (out of memory): rebuild it and run the rest of the batch there.
      const rest = this.remainder(group, batch, outcome.brokenAt);
      await this.rebuild(group);
      if (rest) {
        const restStarted = performance.now();
        const restOutcome = group.sandbox.runOps(this.translate(rest, group));
        this.account(group, rest.batch, restOutcome, performance.now() - restStarted, result);
      }
    }
  }

  /** Turns what the guest reported into outputs, statistics and failures. */
  private account(group: SandboxGroup, batch: Batch, outcome: OpsResult, elapsedMs: number, result: PassResult): void {
    const total = batch.scripts.length;
    const reached = outcome.brokenAt === null ? total : Math.min(total, batch.stream.firstOrdinalFrom(outcome.brokenAt));
    // 0 evaluated, 1 skipped (a conditional run not triggered), 2 failed
    const fate = new Uint8Array(total);
    for (const ordinal of outcome.skipped) if (ordinal < total) fate[ordinal] = 1;
    let failures: Map<number, Diagnostic> | null = null;
    for (const failure of outcome.failures) {
      if (failure.ordinal < 0 || failure.ordinal >= total) continue;
      fate[failure.ordinal] = 2;
      (failures ??= new Map()).set(failure.ordinal, failure.error);
    }
    let evaluated = 0;
    for (let ordinal = 0; ordinal < reached; ordinal++) if (fate[ordinal] !== 1) evaluated++;
    const micros = evaluated > 0 ? (elapsedMs * 1000) / evaluated : 0;
    const wallClock = this.clock();
    if (failures !== null && group.sandbox.broken) {
      // The sandbox broke in the run (out of memory): it cannot publish the failure itself; the
      // catalog says it (before a quarantine that follows), and the rebuilt sandbox is seeded from it.
      const from = result.outputs.length;
      for (const ordinal of failures.keys()) this.publishStop(batch.scripts[ordinal], 'error', batch.nows[ordinal], result.outputs);
      for (let i = from; i < result.outputs.length; i++) this.forward(result.outputs[i]);
    }
    for (let ordinal = 0; ordinal < reached; ordinal++) {
      if (fate[ordinal] === 1) continue;
      const stats = batch.scripts[ordinal].stats;
      stats.evaluations++;
      stats.totalMicros += micros;
      stats.lastRunAt = wallClock;
      batch.scripts[ordinal].dirty = true;
      if (fate[ordinal] === 2) {
        result.failures++;
        this.markFailure(batch.scripts[ordinal], failures!.get(ordinal)!, result, false);
      } else {
        stats.consecutiveFailures = 0;
        const script = batch.scripts[ordinal];
        if (script.probation) {
          script.probation = false;
          script.retryDelay = 0;
          (result.recovered ??= []).push(script.spec.id);
        }
      }
    }
    result.evaluations += evaluated;
    const sandbox = group.sandbox;

    for (const record of outcome.records) {
      const script = batch.scripts[record.ordinal];
      if (!script) continue;
      const tag = sandbox.tagAt(record.index);
      const output: OutputValue = { tag, value: record.value, ts: batch.nows[record.ordinal], quality: record.quality, script: script.lineage };
      const reason: ValueReason | undefined = record.reason ?? (record.quality === 'uncertain' && this.staleCount > 0 && this.isStale(script) ? 'stale-input' : undefined);
      if (reason !== undefined) output.reason = reason;
      const known = this.catalog.size;
      this.catalog.apply(output, 'script');
      if (this.catalog.size !== known) this.seen(tag);
      result.outputs.push(output);
      if (script.followed) this.forward(output);
    }
  }

  /** The ops of a batch from `from` on (null when nothing is left). */
  private remainder(group: SandboxGroup, batch: Batch, from: number | null): { batch: Batch; ops: DecodedOp[] } | null {
    if (from === null) return null;
    const ops = batch.stream.decode(from, (index) => group.sandbox.tagAt(index));
    return ops.some((op) => op.type === 'run') ? { batch, ops } : null;
  }

  /** Re-encodes the rest of a batch for a rebuilt sandbox (new slots, new table indexes). */
  private translate(rest: { batch: Batch; ops: DecodedOp[] }, group: SandboxGroup): OpStream {
    const stream = new OpStream();
    const scripts: LoadedScript[] = [];
    const nows: number[] = [];
    let now = 0;
    for (const op of rest.ops) {
      if (op.type === 'update') {
        stream.update(group.sandbox.indexOf(op.tag), op.value, op.ts, op.quality, op.step);
      } else if (op.type === 'step') {
        stream.step(op.step, op.now);
        now = op.now;
      } else {
        const script = rest.batch.scripts[op.ordinal];
        if (!script || script.slot < 0 || script.quarantined) continue;
        stream.run(script.slot, op.conditional, op.quality, script.outputCount);
        scripts.push(script);
        nows.push(now);
      }
    }
    rest.batch = { stream, scripts, nows };
    return stream;
  }

  /**
   * A script an earlier engine quarantined (before a restart): quarantined here too, with its last
   * error, and retried QUARANTINE_RETRY_MS from now (never, with 0). Its outputs already say so.
   */
  private resumeQuarantine(script: LoadedScript, lastError: Diagnostic): void {
    const retryMs = this.options.quarantineRetryMs ?? 0;
    script.quarantined = true;
    script.stats.lastError = lastError;
    script.retryDelay = Math.min(retryMs, MAX_QUARANTINE_RETRY_MS);
    script.retryAt = retryMs > 0 ? this.clock() + script.retryDelay : null;
    if (script.slot >= 0 && !script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
    script.slot = -1;
  }

  private markFailure(script: LoadedScript, error: Diagnostic, result: PassResult | null, forceQuarantine: boolean): void {
    script.stats.errors++;
    script.stats.consecutiveFailures++;
    script.stats.lastError = error;
    if (!forceQuarantine && script.stats.consecutiveFailures < this.options.quarantineAfter) return;
    if (script.quarantined) return;
    script.quarantined = true;
    const retryMs = this.options.quarantineRetryMs ?? 0;
    if (retryMs > 0) {
      script.retryDelay = script.probation ? Math.min(Math.max(script.retryDelay, retryMs) * 2, MAX_QUARANTINE_RETRY_MS) : Math.min(retryMs, MAX_QUARANTINE_RETRY_MS);
      script.retryAt = this.clock() + script.retryDelay;
    } else {
      script.retryAt = null;
    }
    script.probation = false;
    if (script.slot >= 0 && !script.group.sandbox.broken) script.group.sandbox.unload(script.slot);
    script.slot = -1;
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
    this.publishStop(script, reason, now, outputs);
    for (const output of outputs) this.pending.push({ output, at: now });
    // Sandboxes learn the new values of these tags (scripts reading them) before their next run.
    if (outputs.length > 0) this.resync = true;
  }

  /** Applies null/bad/reason to the catalog for each output of `script` not already saying so. */
  private publishStop(script: LoadedScript, reason: ValueReason, ts: number, into: OutputValue[]): void {
    for (const tag of script.outputTags) {
      const held = this.catalog.get(tag);
      if (held && held.value === null && held.quality === 'bad' && held.reason === reason) continue;
      const output: OutputValue = { tag, value: null, ts: Math.max(ts, held?.ts ?? ts), quality: 'bad', reason, script: script.lineage };
      const known = this.catalog.size;
      this.catalog.apply(output, 'script');
      if (this.catalog.size !== known) this.seen(tag);
      into.push(output);
    }
  }

  private drainPending(result: PassResult): void {
    if (this.pending.length === 0) return;
    const now = this.clock();
    for (const entry of this.pending) {
      if (now - entry.at > PENDING_TTL_MS) continue;
      result.outputs.push(entry.output);
      this.forward(entry.output);
    }
    this.pending = [];
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
      retryAt: script.quarantined ? script.retryAt : null,
      ...(script.stateNotice ? { stateNotice: script.stateNotice } : {}),
    };
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function batchOf(batches: Map<SandboxGroup, Batch>, group: SandboxGroup): Batch {
  let batch = batches.get(group);
  if (!batch) {
    const stream = group.spare?.reset() ?? new OpStream();
    group.spare = null;
    batch = { stream, scripts: [], nows: [] };
    batches.set(group, batch);
  }
  return batch;
}

function graphOf(script: LoadedScript): GraphScript {
  return { id: script.spec.id, name: script.spec.name, inputTags: script.inputTags, outputTags: script.outputTags };
}

function emptyResult(): PassResult {
  return { outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [], recovered: [] };
}

function isSortedByTs(values: readonly TagValue[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i].ts < values[i - 1].ts) return false;
  return true;
}

function alignUp(time: number, interval: number): number {
  return Math.ceil(time / interval) * interval;
}
