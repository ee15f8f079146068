import type { Diagnostic } from '../model/diagnostic';
import type { OutputValue, ValueReason } from '../model/tag-value';
import type { PassResult, ScriptRuntimeStatus } from '../ports/engine';
import { eachRecord, OpStream, type DecodedOp, type OpsResult } from '../sandbox/script-sandbox';
import type { TagCatalog } from '../tags/tag-catalog';
import type { Batch, LoadedScript, SandboxGroup } from './engine-types';

/**
 * Publication: what a sandbox reported for a batch becomes outputs (in the catalog, in the pass's
 * result), statistics and failures (quarantine); a broken sandbox's remaining ops are re-encoded for
 * its replacement.
 */

/** What the engine lends the publication and scheduling code. */
export interface PassContext {
  readonly catalog: TagCatalog;
  clock(): number;
  /** How many tags are stale now. */
  staleCount(): number;
  isStaleTag(tag: string): boolean;
  /** A tag got its first value: scripts waiting for it count one input fewer missing. */
  seen(tag: string): void;
  markFailure(script: LoadedScript, error: Diagnostic, result: PassResult): void;
  /** Hands an output of a followed tag to the pass's follower list (see Engine.follow). */
  forward(output: OutputValue): void;
}

function isStale(context: PassContext, script: LoadedScript): boolean {
  for (const tag of script.inputTags) if (context.isStaleTag(tag)) return true;
  return false;
}

/** Turns what the guest reported into outputs, statistics and failures. */
export function account(context: PassContext, group: SandboxGroup, batch: Batch, outcome: OpsResult, elapsedMs: number, result: PassResult): void {
  const total = batch.scripts.length;
  const reached = outcome.brokenAt === null ? total : Math.min(total, batch.stream.firstOrdinalFrom(outcome.brokenAt));
  if (outcome.skipped.length === 0 && outcome.failures.length === 0) countAllGood(batch, reached, elapsedMs, context.clock(), result);
  else countRuns(context, group, batch, outcome, reached, elapsedMs, result);
  publish(context, group, batch, outcome, result);
}

/** The statistics of a batch whose first `reached` runs all evaluated without failing (the common case: no fate per run). */
function countAllGood(batch: Batch, reached: number, elapsedMs: number, wallClock: number, result: PassResult): void {
  const micros = reached > 0 ? (elapsedMs * 1000) / reached : 0;
  const scripts = batch.scripts;
  for (let ordinal = 0; ordinal < reached; ordinal++) {
    const script = scripts[ordinal];
    const stats = script.stats;
    stats.evaluations++;
    stats.totalMicros += micros;
    stats.lastRunAt = wallClock;
    stats.consecutiveFailures = 0;
    script.dirty = true;
    if (script.probation) {
      script.probation = false;
      script.retryDelay = 0;
      (result.recovered ??= []).push(script.spec.id);
    }
  }
  result.evaluations += reached;
}

/** The statistics and failures of a batch with skipped or failed runs. */
function countRuns(context: PassContext, group: SandboxGroup, batch: Batch, outcome: OpsResult, reached: number, elapsedMs: number, result: PassResult): void {
  const total = batch.scripts.length;
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
  const wallClock = context.clock();
  if (failures !== null && group.sandbox.broken) {
    // The sandbox broke in the run (out of memory): it cannot publish the failure itself; the
    // catalog says it (before a quarantine that follows), and the rebuilt sandbox is seeded from it.
    const from = result.outputs.length;
    for (const ordinal of failures.keys()) publishStop(context, batch.scripts[ordinal], 'error', batch.nows[ordinal], result.outputs);
    for (let i = from; i < result.outputs.length; i++) context.forward(result.outputs[i]);
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
      context.markFailure(batch.scripts[ordinal], failures!.get(ordinal)!, result);
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
}

/** What the guest published (its out buffer as it came back): one object per output, into the catalog and the result. */
function publish(context: PassContext, group: SandboxGroup, batch: Batch, outcome: OpsResult, result: PassResult): void {
  const sandbox = group.sandbox;
  const outputs = result.outputs;
  const catalog = context.catalog;
  // The catalog id of each of the sandbox's table indexes, found once per sandbox (not a lookup by name per output).
  if (group.catalogIds?.sandbox !== sandbox) group.catalogIds = { sandbox, byIndex: [] };
  const ids = group.catalogIds.byIndex;
  eachRecord(outcome, (ordinal, index, value, quality, failed) => {
    const script = batch.scripts[ordinal];
    if (!script) return;
    const tag = sandbox.tagAt(index);
    const output: OutputValue = { tag, value, ts: batch.nows[ordinal], quality, script: script.lineage };
    const reason: ValueReason | undefined = failed ?? (quality === 'uncertain' && context.staleCount() > 0 && isStale(context, script) ? 'stale-input' : undefined);
    if (reason !== undefined) output.reason = reason;
    const known = catalog.size;
    catalog.applyById((ids[index] ??= catalog.idOf(tag)), value, output.ts, quality, reason, 'script');
    if (catalog.size !== known) context.seen(tag);
    outputs.push(output);
    if (script.followed) context.forward(output);
  });
}

/** Applies null/bad/reason to the catalog for each output of `script` not already saying so. */
export function publishStop(context: PassContext, script: LoadedScript, reason: ValueReason, ts: number, into: OutputValue[]): void {
  for (const tag of script.outputTags) {
    const held = context.catalog.get(tag);
    if (held && held.value === null && held.quality === 'bad' && held.reason === reason) continue;
    const output: OutputValue = { tag, value: null, ts: Math.max(ts, held?.ts ?? ts), quality: 'bad', reason, script: script.lineage };
    const known = context.catalog.size;
    context.catalog.apply(output, 'script');
    if (context.catalog.size !== known) context.seen(tag);
    into.push(output);
  }
}

/**
 * Runs each group's batch in its sandbox (one VM call) and accounts for what it reported; a sandbox
 * that broke (out of memory) is rebuilt and runs the rest of its batch there.
 */
export async function runBatches(
  context: PassContext,
  batches: Map<SandboxGroup, Batch>,
  result: PassResult,
  report: ((scriptId: string | null) => void) | null,
  rebuild: (group: SandboxGroup) => Promise<void>,
): Promise<void> {
  for (const [group, batch] of batches) {
    if (batch.stream.count === 0) {
      group.spare = batch.stream;
      continue;
    }
    const started = performance.now();
    const outcome = group.sandbox.runOps(
      batch.stream,
      undefined,
      report ? (slot) => report(slot < 0 ? null : ([...group.scripts].find((script) => script.slot === slot)?.spec.id ?? null)) : undefined,
      true,
    );
    account(context, group, batch, outcome, performance.now() - started, result);
    if (outcome.brokenAt === null && !group.sandbox.broken) {
      group.spare = batch.stream;
      continue;
    }
    const rest = remainder(group, batch, outcome.brokenAt);
    await rebuild(group);
    if (rest) {
      const restStarted = performance.now();
      const restOutcome = group.sandbox.runOps(translate(rest, group));
      account(context, group, rest.batch, restOutcome, performance.now() - restStarted, result);
    }
  }
}

/** The ops of a batch from `from` on (null when nothing is left). */
export function remainder(group: SandboxGroup, batch: Batch, from: number | null): { batch: Batch; ops: DecodedOp[] } | null {
  if (from === null) return null;
  const ops = batch.stream.decode(from, (index) => group.sandbox.tagAt(index));
  return ops.some((op) => op.type === 'run') ? { batch, ops } : null;
}

/** Re-encodes the rest of a batch for a rebuilt sandbox (new slots, new table indexes). */
export function translate(rest: { batch: Batch; ops: DecodedOp[] }, group: SandboxGroup): OpStream {
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

/** A script's status (GET …/status): state, counts, last error, inputs it waits for. */
export function describeScript(catalog: TagCatalog, script: LoadedScript): ScriptRuntimeStatus {
  const missing = script.inputTags.filter((tag) => !catalog.get(tag));
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
