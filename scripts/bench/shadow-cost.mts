// Shadow runs' cost (changes.md; issue 15: "a shadow costs at most its own evaluations"): the engine
// evaluating the standard mix of 1 000 scripts, alone and with 100 shadow runs beside it (candidates
// of the first 100 scripts: the same bodies, so a shadow evaluation costs what a live one does), in
// the same process, timed in CPU time of the process (the engine runs in process here: no thread
// hides work). The figure is the time of the passes with shadows over the time without; the bar,
// that the extra time per shadow evaluation is at most 1.5 × a live evaluation's time (a shadow
// costs its own evaluations, not a share of everyone else's).
//
// One engine, served two ways: as the engine thread serves it (its passes followed by the
// candidates' pass) and without its shadow runs (the same engine, no candidates' pass), alternating
// pass by pass (with then without, then without then with) on batches of the same kind (every input
// changes: 1 000 live evaluations, 100 shadow ones). Two engines instead (one with candidates, one
// without) differ by a few per cent in CPU time per pass with no shadow at all (where their sandboxes'
// memories lie), which is ±0.3–0.5 in the figure; whole samples of one then the other (100 passes
// each) left it to the machine's load: a shadow evaluation from −1 to 4 × a live one in one run.
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
  const engine = new Engine(options);
  const runs = new ShadowRuns(options, engine);
  const beside = engineMethods(engine, undefined, runs);
  const alone = engineMethods(engine);
  for (const script of mix.scripts) {
    const outcome = await engine.register({ id: `s${script.index}`, name: script.name, version: 1, definition: definitionOf(script) });
    if (!outcome.ok) throw new Error(`registering ${script.name} failed`);
  }
  for (const script of mix.scripts.slice(0, SHADOWS)) {
    const outcome = await beside.startShadow({ shadowId: `sh${script.index}`, scriptId: `s${script.index}`, name: script.name, version: 2, definition: definitionOf(script) });
    if (!outcome.ok) throw new Error(`starting the shadow of ${script.name} failed`);
  }
  const baseTs = Date.UTC(2026, 0, 1);
  const batch = (round: number): TagValue[] => {
    const vector = pool[round % pool.length];
    return mix.tags.map((tag, j) => ({ tag, value: vector[j], ts: baseTs + round * 1000, quality: 'good' as const }));
  };
  // CPU time of this process, not wall time: the machine's other work (a second core shared with
  // builds and tests) must not decide a ratio of two runs a few hundred milliseconds long.
  const cpuMs = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  // For the details only: the candidates' pass's own CPU time (two clock reads per pass with shadows).
  let candidatesMs = 0;
  const follow = runs.follow.bind(runs);
  runs.follow = async (...args: Parameters<typeof follow>) => {
    const begun = cpuMs();
    try {
      return await follow(...args);
    } finally {
      candidatesMs += cpuMs() - begun;
    }
  };
  /** `rounds` passes of each (on batches first, first + 1, …), alternating pass by pass. */
  const run = async (first: number, rounds: number) => {
    candidatesMs = 0;
    const sides = [alone, beside].map((methods) => ({ methods, ms: 0, live: 0, shadow: 0, candidatesMs: 0 }));
    for (let i = 0; i < rounds; i++) {
      const pair = i % 2 === 0 ? sides : [sides[1], sides[0]];
      for (let k = 0; k < 2; k++) {
        const side = pair[k];
        // Built outside the timing, as it would come from the bus.
        const values = batch(first + 2 * i + k);
        const begun = cpuMs();
        const result = await side.methods.ingest(values);
        side.ms += cpuMs() - begun;
        side.live += result.evaluations;
        side.shadow += result.shadow?.evaluations ?? 0;
      }
    }
    sides[1].candidatesMs = candidatesMs;
    return sides;
  };
  await run(0, WARMUP_ROUNDS);
  let next = 2 * WARMUP_ROUNDS;
  const ratios: number[] = [];
  const perShadowVsLive: number[] = [];
  const liveRates: number[] = [];
  const candidatesVsLive: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    const [a, b] = await run(next, ROUNDS);
    next += 2 * ROUNDS;
    const liveMicros = (a.ms * 1000) / a.live;
    const extraPerShadow = ((b.ms - a.ms) * 1000) / Math.max(1, b.shadow);
    ratios.push(b.ms / a.ms);
    perShadowVsLive.push(extraPerShadow / liveMicros);
    liveRates.push(a.live / (a.ms / 1000));
    candidatesVsLive.push((b.candidatesMs * 1000) / Math.max(1, b.shadow) / liveMicros);
    log(`shadows: sample ${sample + 1}/${SAMPLES}: ${thousands(a.live / (a.ms / 1000))} eval/s alone; with ${SHADOWS} shadows ${round(b.ms / a.ms, 3)}× the time (${b.shadow} shadow evaluations)`);
  }
  engine.dispose();
  runs.dispose();
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
    details: { scripts: SCRIPTS, shadows: SHADOWS, samples: SAMPLES, roundsPerSample: ROUNDS, ratios: ratios.map((value) => round(value, 3)), perShadowVsLive: perShadowVsLive.map((value) => round(value, 2)),
      // The candidates' pass alone (Engine ingest of the followed values and the report), per shadow evaluation, over a live evaluation.
      candidatesPassVsLive: round(median(candidatesVsLive), 2) },
  };
}

runFigure(main);
