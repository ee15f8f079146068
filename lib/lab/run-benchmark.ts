import { compileScript } from '../compiler/compile-script';
import type { Diagnostic } from '../model/diagnostic';
import { ScriptSandbox, type EvaluationJob, type InputSample, type PreviousOutput, type SandboxLimits } from '../sandbox/script-sandbox';
import type { RunnableDraft } from '../model/script-schema';

/**
 * Runs a script over and over on the same inputs for a while, the way the engine runs it: the plain
 * compilation, a sandbox of its own with the engine's limits, its initCode once, then batched
 * evaluations with state carried from one to the next.
 *
 * Timing: the host can only time VM calls, not single evaluations inside one. Each call holds a
 * batch of evaluations of this script, sized so that a call lasts about BATCH_TARGET_MS (the fixed
 * cost of a call then weighs little, as in the engine under load); the per-evaluation time of a
 * batch is its duration divided by its size. Percentiles are over those figures, weighted by batch
 * size, so a single slow evaluation among many fast ones is averaged within its batch. A slow
 * script gets batches of one, where every evaluation is timed alone.
 */

export interface BenchmarkRequest {
  draft: RunnableDraft;
  inputs: Array<InputSample | null>;
  previous: Array<PreviousOutput | null>;
  now: number;
  durationMs: number;
}

export interface BenchmarkFigures {
  iterations: number;
  /** Time spent evaluating, in ms (VM calls only). */
  totalMs: number;
  avgMicros: number;
  p50Micros: number;
  p99Micros: number;
  maxMicros: number;
  /** Evaluations that failed (threw, timed out, invalid output); they are timed like the others. */
  errors: number;
  /** Why the last failed evaluation failed (null when none did). */
  lastError: Diagnostic | null;
}

export type BenchmarkOutcome = { ok: true; figures: BenchmarkFigures } | { ok: false; diagnostics: Diagnostic[] };

const BATCH_TARGET_MS = 0.25;
const MAX_BATCH = 1024;

export async function runBenchmark(limits: SandboxLimits, request: BenchmarkRequest, clock: () => number = () => performance.now()): Promise<BenchmarkOutcome> {
  const compiled = compileScript(request.draft);
  if (!compiled.program) return { ok: false, diagnostics: compiled.diagnostics };
  const sandbox = await ScriptSandbox.create(limits);
  try {
    const loaded = sandbox.load(compiled.program, { now: request.now, previous: request.previous });
    if (!loaded.ok) return { ok: false, diagnostics: [...compiled.diagnostics, loaded.error] };
    const inputs = request.inputs.map((input) => input ?? { value: null, ts: request.now, quality: 'bad' as const });
    const job: EvaluationJob = { slot: loaded.slot, now: request.now, inputs };

    const samples = new SampleSet();
    let batchSize = 1;
    let errors = 0;
    let lastError: Diagnostic | null = null;
    const started = clock();
    while (clock() - started < request.durationMs && !sandbox.broken) {
      const jobs = new Array<EvaluationJob>(batchSize).fill(job);
      const before = clock();
      const batch = sandbox.evaluate(jobs);
      const elapsed = clock() - before;
      for (const result of batch.results) {
        if (result && result.status === 'failed') {
          errors++;
          lastError = result.error;
        }
      }
      samples.add((elapsed * 1000) / batchSize, batchSize);
      // Aim the next batch at the target duration; never more than doubling at once.
      const perEvaluation = elapsed / batchSize;
      const wanted = perEvaluation > 0 ? Math.floor(BATCH_TARGET_MS / perEvaluation) : batchSize * 2;
      batchSize = Math.max(1, Math.min(MAX_BATCH, batchSize * 2, wanted));
    }
    return { ok: true, figures: { ...samples.figures(), errors, lastError } };
  } finally {
    sandbox.dispose();
  }
}

/** Per-evaluation times with weights (batch sizes), and weighted percentiles over them. */
class SampleSet {
  private micros = new Float64Array(1024);
  private weights = new Float64Array(1024);
  private count = 0;

  add(micros: number, weight: number): void {
    if (this.count === this.micros.length) {
      const grownMicros = new Float64Array(this.count * 2);
      grownMicros.set(this.micros);
      this.micros = grownMicros;
      const grownWeights = new Float64Array(this.count * 2);
      grownWeights.set(this.weights);
      this.weights = grownWeights;
    }
    this.micros[this.count] = micros;
    this.weights[this.count] = weight;
    this.count++;
  }

  figures(): Omit<BenchmarkFigures, 'errors' | 'lastError'> {
    let iterations = 0;
    let totalMicros = 0;
    let maxMicros = 0;
    const order = new Uint32Array(this.count);
    for (let index = 0; index < this.count; index++) {
      order[index] = index;
      iterations += this.weights[index];
      totalMicros += this.micros[index] * this.weights[index];
      maxMicros = Math.max(maxMicros, this.micros[index]);
    }
    order.sort((a, b) => this.micros[a] - this.micros[b]);
    const percentile = (fraction: number): number => {
      if (this.count === 0) return 0;
      const threshold = fraction * iterations;
      let cumulative = 0;
      for (const index of order) {
        cumulative += this.weights[index];
        if (cumulative >= threshold) return this.micros[index];
      }
      return this.micros[order[order.length - 1]];
    };
    const round = (value: number) => Math.round(value * 1000) / 1000;
    return {
      iterations,
      totalMs: round(totalMicros / 1000),
      avgMicros: round(iterations > 0 ? totalMicros / iterations : 0),
      p50Micros: round(percentile(0.5)),
      p99Micros: round(percentile(0.99)),
      maxMicros: round(maxMicros),
    };
  }
}
