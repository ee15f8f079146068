import { describe, expect, it } from 'vitest';
import type { RunnableDraft } from '../model/script-schema';
import { runBenchmark } from './run-benchmark';

/** Benchmark: fields present and consistent; no assertion on speed (shared, noisy machines). */

const limits = { cpuMs: 50, initCpuMs: 200, memoryMb: 32 };
const draft: RunnableDraft = {
  inputs: [
    { tag: 'A', alias: 'a' },
    { tag: 'B', alias: 'b' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst ratio = b > 0 ? a / b : null;',
  outputs: [{ tag: 'OUT', variable: 'ratio' }],
};
const inputs = [
  { value: 12.5, ts: 1, quality: 'good' as const },
  { value: 4, ts: 1, quality: 'good' as const },
];

describe('runBenchmark', () => {
  it('runs the script repeatedly and reports consistent figures', async () => {
    const outcome = await runBenchmark(limits, { draft, inputs, previous: [null], now: 1, durationMs: 100 });
    if (!outcome.ok) throw new Error(JSON.stringify(outcome.diagnostics));
    const figures = outcome.figures;
    expect(Object.keys(figures).sort()).toEqual(['avgMicros', 'errors', 'iterations', 'lastError', 'maxMicros', 'p50Micros', 'p99Micros', 'totalMs']);
    expect(figures.lastError).toBeNull();
    expect(figures.iterations).toBeGreaterThan(1);
    expect(figures.errors).toBe(0);
    expect(figures.p50Micros).toBeGreaterThan(0);
    expect(figures.p50Micros).toBeLessThanOrEqual(figures.p99Micros);
    expect(figures.p99Micros).toBeLessThanOrEqual(figures.maxMicros);
    expect(figures.avgMicros).toBeLessThanOrEqual(figures.maxMicros);
    expect(figures.avgMicros).toBeCloseTo((figures.totalMs * 1000) / figures.iterations, 0);
  });

  it('measures time on a clock it is given, stopping after the duration', async () => {
    let now = 0;
    // Every clock reading advances 1 ms: each batch then "takes" 1 ms, and the run ends after 50 ms of readings.
    const outcome = await runBenchmark(limits, { draft, inputs, previous: [null], now: 1, durationMs: 50 }, () => now++);
    if (!outcome.ok) throw new Error('benchmark failed');
    expect(outcome.figures.totalMs).toBeGreaterThan(0);
    expect(outcome.figures.iterations).toBeGreaterThan(0);
    expect(outcome.figures.maxMicros).toBe(1000);
  });

  it('counts failing evaluations without stopping', async () => {
    const outcome = await runBenchmark(limits, {
      draft: { ...draft, calcCode: 'runs++;\nif (runs % 2 === 0) throw new Error("even");\nconst ratio = a / b;' },
      inputs,
      previous: [null],
      now: 1,
      durationMs: 100,
    });
    if (!outcome.ok) throw new Error('benchmark failed');
    expect(outcome.figures.errors).toBeGreaterThan(0);
    expect(outcome.figures.errors).toBeLessThan(outcome.figures.iterations);
  });

  it('gives the diagnostics of a script that does not compile, or whose initCode fails', async () => {
    const broken = await runBenchmark(limits, { draft: { ...draft, calcCode: 'const ratio = a / c;' }, inputs, previous: [null], now: 1, durationMs: 100 });
    expect(broken).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ kind: 'reference' })] });
    const failing = await runBenchmark(limits, { draft: { ...draft, initCode: 'let runs = 0;\nnull.x;' }, inputs, previous: [null], now: 1, durationMs: 100 });
    expect(failing).toMatchObject({ ok: false, diagnostics: [expect.objectContaining({ source: 'init', kind: 'runtime' })] });
  });
});
