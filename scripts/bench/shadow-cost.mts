// Shadow runs' cost (changes.md; issue 15: "a shadow costs at most its own evaluations"): the engine
// evaluating the standard mix of 1 000 scripts, alone and with 100 shadow runs beside it (candidates
// of the first 100 scripts: the same bodies, so a shadow evaluation costs what a live one does), on
// the same batches, in the same process, interleaved sample by sample, timed in CPU time of the
// process (the engine runs in process here: no thread hides work). The figure is the time of
// the passes with shadows over the time without; the bar, that the extra time per shadow evaluation
// is at most 1.5 × a live evaluation's time (a shadow costs its own evaluations, not a share of
// everyone else's).
//
//   node --import tsx scripts/bench/shadow-cost.mts [--scripts 1000] [--shadows 100] [--samples 11] [--rounds 100]
import { Engine } from '../../lib/engine/engine';
import { engineMethods } from '../../lib/engine/engine-methods';
import { ShadowRuns } from '../../lib/engine/shadow-runs';
import type { TagValue } from '../../lib/model/tag-value';
import { argValue, log, median, round, runFigure, thousands, type FigureResult } from './common.mts';
import { definitionOf, inputRounds, standardMix } from './standard-mix.mts';

const args = process.argv.slice(2);
const SCRIPTS = Number(argValue(args, 'scripts', '1000'));
const SHADOWS = Number(argValue(args, 'shadows', '100'));
const SAMPLES = Number(argValue(args, 'samples', '11'));
const ROUNDS = Number(argValue(args, 'rounds', '100'));
const WARMUP_ROUNDS = 40;
const LIMITS = { cpuMs: 50, initCpuMs: 500, memoryMb: 32 };
const BAR = 'extra time per shadow evaluation ≤ 1.5 × a live evaluation (100 shadows beside 1 000 scripts)';

async function main(): Promise<FigureResult> {
  const mix = standardMix(SCRIPTS);
  const pool = inputRounds(mix, 64);
  const options = { limits: LIMITS, quarantineAfter: 5 };
  const harness = async (shadows: number) => {
    const engine = new Engine(options);
    const runs = new ShadowRuns(options, engine);
    const methods = engineMethods(engine, undefined, runs);
    for (const script of mix.scripts) {
      const outcome = await engine.register({ id: `s${script.index}`, name: script.name, version: 1, definition: definitionOf(script) });
      if (!outcome.ok) throw new Error(`registering ${script.name} failed`);
    }
    for (const script of mix.scripts.slice(0, shadows)) {
      const outcome = await methods.startShadow({ shadowId: `sh${script.index}`, scriptId: `s${script.index}`, name: script.name, version: 2, definition: definitionOf(script) });
      if (!outcome.ok) throw new Error(`starting the shadow of ${script.name} failed`);
    }
    return { methods, dispose: () => (engine.dispose(), runs.dispose()) };
  };
  const alone = await harness(0);
  const beside = await harness(SHADOWS);
  const baseTs = Date.UTC(2026, 0, 1);
  const batch = (round: number): TagValue[] => {
    const vector = pool[round % pool.length];
    return mix.tags.map((tag, j) => ({ tag, value: vector[j], ts: baseTs + round * 1000, quality: 'good' as const }));
  };
  const run = async (subject: typeof alone, first: number, rounds: number) => {
    const batches = Array.from({ length: rounds }, (_, i) => batch(first + i));
    let live = 0;
    let shadow = 0;
    // CPU time of this process, not wall time: the machine's other work (a second core shared with
    // builds and tests) must not decide a ratio of two runs a few hundred milliseconds long.
    const begun = process.cpuUsage();
    for (const values of batches) {
      const result = await subject.methods.ingest(values);
      live += result.evaluations;
      shadow += result.shadow?.evaluations ?? 0;
    }
    const used = process.cpuUsage(begun);
    return { ms: (used.user + used.system) / 1000, live, shadow };
  };
  await run(alone, 0, WARMUP_ROUNDS);
  await run(beside, 0, WARMUP_ROUNDS);
  let next = WARMUP_ROUNDS;
  const ratios: number[] = [];
  const perShadowVsLive: number[] = [];
  const liveRates: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    const a = await run(alone, next, ROUNDS);
    const b = await run(beside, next, ROUNDS);
    next += ROUNDS;
    const liveMicros = (a.ms * 1000) / a.live;
    const extraPerShadow = ((b.ms - a.ms) * 1000) / Math.max(1, b.shadow);
    ratios.push(b.ms / a.ms);
    perShadowVsLive.push(extraPerShadow / liveMicros);
    liveRates.push(a.live / (a.ms / 1000));
    log(`shadows: sample ${sample + 1}/${SAMPLES}: ${thousands(a.live / (a.ms / 1000))} eval/s alone; with ${SHADOWS} shadows ${round(b.ms / a.ms, 3)}× the time (${b.shadow} shadow evaluations)`);
  }
  alone.dispose();
  beside.dispose();
  const ratio = median(ratios);
  const perShadow = median(perShadowVsLive);
  return {
    id: 'SHADOW',
    value: round(ratio, 3),
    unit: '× time',
    baseline: Math.round(median(liveRates)),
    ratio: round(perShadow, 2),
    bar: BAR,
    holds: perShadow <= 1.5,
    summary: `${thousands(median(liveRates))} eval/s alone; with ${SHADOWS} shadows ${round(ratio, 3)}× the time (expected about ${round(1 + SHADOWS / SCRIPTS, 2)}×); a shadow evaluation costs ${round(perShadow, 2)}× a live one`,
    details: { scripts: SCRIPTS, shadows: SHADOWS, samples: SAMPLES, roundsPerSample: ROUNDS, ratios: ratios.map((value) => round(value, 3)), perShadowVsLive: perShadowVsLive.map((value) => round(value, 2)) },
  };
}

runFigure(main);
