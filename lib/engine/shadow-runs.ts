import type { OutputValue, TagValue } from '../model/tag-value';
import type { PassResult, RegisterOutcome, ShadowPass, ShadowSpec, ShadowStatus } from '../ports/engine';
import { Engine, type EngineOptions } from './engine';

/**
 * Shadow runs (changes.md): a candidate version of a registered script evaluated beside it on the
 * same values and triggers, its outputs kept apart.
 *
 * The candidates live in an engine of their own — their own sandboxes, limits and quarantine — which
 * follows the live engine pass by pass: after the live pass it gets the same values (and the live
 * outputs, for a candidate reading another script's output), only those of tags a candidate reads.
 * The live engine picks them out as it applies them (Engine.follow: the tap lookup each raw value
 * already makes), so a shadow costs its own evaluations and nothing per value of the tags it does not
 * read, and its outputs carry the script's lineage from the start (no copy per output). Its outputs never
 * enter the live engine's catalog nor its result's `outputs`: they travel in `shadow`, which nothing
 * publishes. A candidate starts from the live engine's latest values of its inputs.
 *
 * A candidate is registered in its engine under its shadow id (a stopped candidate's last words —
 * null/bad "unregistered" — are then told apart from a new candidate's and dropped); its outputs name
 * the script (lineage) with the candidate's version. At most one shadow per script exists.
 */

export class ShadowRuns {
  private readonly engine: Engine;
  /** By script id. */
  private readonly runs = new Map<string, ShadowSpec>();
  /** By shadow id (the id in the candidates' engine). */
  private readonly byShadow = new Map<string, ShadowSpec>();
  /**
   * The lineage object each running candidate's outputs carry (a new one per candidate): an output
   * whose lineage is not here comes from a stopped or replaced candidate.
   */
  private readonly lineages = new Set<OutputValue['script']>();
  private readonly lineageOf = new Map<string, OutputValue['script']>();

  constructor(
    options: EngineOptions,
    private readonly live: Engine,
  ) {
    this.engine = new Engine(options);
  }

  get active(): boolean {
    return this.runs.size > 0;
  }

  /** Replaces the script's shadow, if any, with this candidate. */
  async start(spec: ShadowSpec): Promise<RegisterOutcome> {
    await this.stop(spec.scriptId);
    const latest = spec.definition.inputs.map((input) => this.live.catalog.get(input.tag)).filter((state) => state !== undefined);
    this.engine.restore(latest);
    const lineage = Object.freeze({ id: spec.scriptId, name: spec.name, version: spec.version });
    const outcome = await this.engine.register({ id: spec.shadowId, name: spec.name, version: spec.version, definition: spec.definition, program: spec.program }, lineage);
    if (outcome.ok) {
      const kept = { ...spec, program: undefined };
      this.runs.set(spec.scriptId, kept);
      this.byShadow.set(spec.shadowId, kept);
      this.lineages.add(lineage);
      this.lineageOf.set(spec.shadowId, lineage);
      this.reindex();
    }
    return outcome;
  }

  async stop(scriptId: string): Promise<boolean> {
    const run = this.runs.get(scriptId);
    if (!run) return false;
    this.runs.delete(scriptId);
    this.byShadow.delete(run.shadowId);
    this.lineages.delete(this.lineageOf.get(run.shadowId)!);
    this.lineageOf.delete(run.shadowId);
    await this.engine.unregister(run.shadowId);
    this.reindex();
    return true;
  }

  /** The candidates' runtime states, with their shadow ids. */
  statuses(): ShadowStatus[] {
    return this.engine.statuses().flatMap((status) => {
      const run = this.byShadow.get(status.id);
      return run ? [{ ...status, id: run.scriptId, shadowId: run.shadowId }] : [];
    });
  }

  /**
   * The candidates' pass on what the live pass just evaluated: `followed`, the values of the tags
   * they read that it applied (the live pass's `followed` list, see Engine.follow). `replay`: the
   * values are already in the catalogs (a restarted thread), and trigger all the same.
   */
  async follow(followed: readonly TagValue[], replay = false): Promise<ShadowPass> {
    return this.report(await this.engine.ingest(followed, { replay }));
  }

  async tick(now: number): Promise<ShadowPass> {
    return this.report(await this.engine.tick(now));
  }

  setHeartbeat(heartbeat: () => void): void {
    this.engine.setHeartbeat(heartbeat);
  }

  /** Careful mode (see Engine.setProgressReporter): candidates are announced by their shadow id. */
  setProgressReporter(reporter: ((shadowId: string | null) => void) | null): void {
    this.engine.setProgressReporter(reporter);
  }

  dispose(): void {
    this.engine.dispose();
  }

  private report(pass: PassResult): ShadowPass {
    // Named by the script already (the candidate's lineage); a stopped candidate's last words are dropped.
    const outputs: OutputValue[] = [];
    for (const output of pass.outputs) if (this.lineages.has(output.script)) outputs.push(output);
    const scriptOf = <T extends { id: string }>(entry: T): T[] => {
      const run = this.byShadow.get(entry.id);
      return run ? [{ ...entry, id: run.scriptId }] : [];
    };
    return {
      outputs,
      evaluations: pass.evaluations,
      failures: pass.failures,
      quarantined: pass.quarantined.flatMap(scriptOf),
      recovered: (pass.recovered ?? []).flatMap((id) => scriptOf({ id }).map((entry) => entry.id)),
    };
  }

  private reindex(): void {
    this.live.follow(new Set([...this.runs.values()].flatMap((run) => run.definition.inputs.map((input) => input.tag))));
  }
}
