// P1 — engine evaluation rate on the standard mix of 1 000 scripts, against two baselines measured in
// the same process, on the same bodies and the same inputs:
//   engine     the real Engine (lib/engine/engine.ts) in process: register every script, then ingest
//              batches in which every input of every script changes (one timestamp per batch), and
//              count result.evaluations;
//   bare loop  quickjs-emscripten directly: every body compiled as a function into one context; one
//              VM call per round — the inputs go in as one ArrayBuffer, a loop inside the VM calls
//              each function with its inputs read from a Float64Array and writes y into another,
//              which comes back in one copy. Bar: engine ≥ 0.5 × this;
//   callFunction  one host→VM call per evaluation: newNumber per input, callFunction, getNumber,
//              dispose. Bar: engine ≥ 2 × this.
// The three run interleaved (engine, bare, callFunction, engine, …) so that a change in the machine's
// load hits all of them; the absolute figures are the medians of the samples after a warm-up, the
// ratios the medians of the per-sample ratios.
//
//   node --import tsx scripts/bench/p1-engine.mts [--scripts 1000] [--samples 9] [--rounds 20]
//        [--timestamps 1] [--engine-only] [--input lanes|objects|packed]
// --input: how the engine is handed its batches (built before the clock starts, like the baselines'
// inputs): `lanes` (default) value lanes by tag id, ids resolved once (catalog.idOf, Engine.ingestLanes);
// `packed` packed lanes with their own tag table, as the engine thread receives them from its host
// (lanesOfPacked resolves each name once per batch); `objects` TagValue objects (Engine.ingest).
// Profile: node --cpu-prof --cpu-prof-dir DIR --import tsx scripts/bench/p1-engine.mts --engine-only,
// then scripts/bench/summarize-profile.mts DIR/*.cpuprofile --focus ingestNow,pass,evaluate
import { newQuickJSWASMModule, RELEASE_SYNC, type QuickJSContext, type QuickJSHandle } from 'quickjs-emscripten';
import { Engine } from '../../lib/engine/engine';
import type { TagValue } from '../../lib/model/tag-value';
import { ValuePacker } from '../../lib/model/packed-values';
import { emptyLanes, lanesOfPacked, setLane, type ValueLanes } from '../../lib/engine/value-lanes';
import { argValue, log, median, round, runFigure, spread, thousands, type FigureResult } from './common.mts';
import { bareFunctionSource, definitionOf, inputRounds, standardMix, type StandardMix } from './standard-mix.mts';

const args = process.argv.slice(2);
const SCRIPTS = Number(argValue(args, 'scripts', '1000'));
const SAMPLES = Number(argValue(args, 'samples', '11'));
const ROUNDS = Number(argValue(args, 'rounds', '20'));
/** Distinct timestamps per ingested batch (each changes every input). 1 = one round per batch. */
const TIMESTAMPS = Number(argValue(args, 'timestamps', '1'));
const WARMUP_ROUNDS = Number(argValue(args, 'warmup', '60'));
const ENGINE_ONLY = args.includes('--engine-only');
const INPUT = argValue(args, 'input', 'lanes');
if (!['lanes', 'objects', 'packed'].includes(INPUT)) throw new Error(`--input ${INPUT}: lanes, objects or packed`);
const INPUT_POOL = 64;

// The engine's production settings (lib/config: SCRIPT_CPU_MS, SCRIPT_INIT_CPU_MS, SCRIPT_MEMORY_MB, QUARANTINE_AFTER).
const LIMITS = { cpuMs: 50, initCpuMs: 500, memoryMb: 32 };

async function engineHarness(mix: StandardMix, pool: Float64Array[]) {
  const engine = new Engine({ limits: LIMITS, quarantineAfter: 5 });
  const started = performance.now();
  for (const script of mix.scripts) {
    const outcome = await engine.register({ id: `s${script.index}`, name: script.name, version: 1, definition: definitionOf(script) });
    if (!outcome.ok) throw new Error(`registering ${script.name} failed: ${JSON.stringify(outcome)}`);
  }
  const registerMs = performance.now() - started;
  log(`P1: registered ${mix.scripts.length} scripts in ${Math.round(registerMs)} ms (${engine.sandboxCount} sandboxes)`);
  const baseTs = Date.UTC(2026, 0, 1);
  let failures = 0;
  const batchOf = (first: number, count: number): TagValue[] => {
    const values: TagValue[] = new Array(count * mix.tags.length);
    let n = 0;
    for (let r = first; r < first + count; r++) {
      const vector = pool[r % pool.length];
      const ts = baseTs + r * 1000;
      for (let j = 0; j < mix.tags.length; j++) values[n++] = { tag: mix.tags[j], value: vector[j], ts, quality: 'good' };
    }
    return values;
  };
  const ids = mix.tags.map((tag) => engine.catalog.idOf(tag));
  const lanesOf = (first: number, count: number): ValueLanes => {
    const lanes = emptyLanes(count * mix.tags.length);
    let n = 0;
    for (let r = first; r < first + count; r++) {
      const vector = pool[r % pool.length];
      const ts = baseTs + r * 1000;
      for (let j = 0; j < mix.tags.length; j++) setLane(lanes, n++, ids[j], vector[j], ts, 'good', undefined);
    }
    return lanes;
  };
  type Input = TagValue[] | ValueLanes | ReturnType<ValuePacker['pack']>;
  const inputOf = (first: number, count: number): Input =>
    INPUT === 'objects' ? batchOf(first, count) : INPUT === 'packed' ? new ValuePacker().pack(batchOf(first, count)) : lanesOf(first, count);
  const ingest = (input: Input) =>
    Array.isArray(input) ? engine.ingest(input) : 'buffer' in input ? engine.ingestLanes(lanesOfPacked(engine.catalog, input)) : engine.ingestLanes(input);
  const lastOutputs = new Map<string, number>();
  const harness = {
    name: 'engine',
    registerMs,
    sandboxes: engine.sandboxCount,
    get failures() {
      return failures;
    },
    lastOutputs,
    async run(first: number, rounds: number) {
      // The batches are built before the clock starts: decoding is not the engine's work.
      const batches: Input[] = [];
      for (let r = first; r < first + rounds; r += TIMESTAMPS) batches.push(inputOf(r, Math.min(TIMESTAMPS, first + rounds - r)));
      return { batches };
    },
    async timed(batches: Input[]) {
      let evaluations = 0;
      const begun = performance.now();
      for (const batch of batches) {
        const result = await ingest(batch);
        evaluations += result.evaluations;
        failures += result.failures;
      }
      return { evaluations, ms: performance.now() - begun };
    },
    async outputsOf(round: number) {
      const result = await ingest(inputOf(round, 1));
      const map = new Map<string, number>();
      for (const output of result.outputs) map.set(output.tag, output.value as number);
      return map;
    },
    dispose: () => engine.dispose(),
  };
  return harness;
}

async function bareHarnesses(mix: StandardMix) {
  const quickjs = await newQuickJSWASMModule(RELEASE_SYNC);
  const runtime = quickjs.newRuntime();
  const context = runtime.newContext();
  const unwrap = (result: ReturnType<QuickJSContext['evalCode']>): QuickJSHandle => {
    if (result.error) {
      const detail = JSON.stringify(context.dump(result.error));
      result.error.dispose();
      throw new Error(`bare baseline: ${detail}`);
    }
    return result.value;
  };
  const counts = mix.scripts.map((script) => script.aliases.length);
  const functions = mix.scripts.map(bareFunctionSource).join(',\n');
  // One array of functions and the loop that calls them: the "bare QuickJS loop".
  const program = `(function () {
"use strict";
const fns = [${functions}];
const counts = [${counts.join(',')}];
const n = fns.length;
function loop(input) {
  const x = new Float64Array(input);
  const out = new Float64Array(n);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const f = fns[i];
    switch (counts[i]) {
      case 2: out[i] = f(x[p], x[p + 1]); p += 2; break;
      case 3: out[i] = f(x[p], x[p + 1], x[p + 2]); p += 3; break;
      case 4: out[i] = f(x[p], x[p + 1], x[p + 2], x[p + 3]); p += 4; break;
      default: out[i] = f(x[p], x[p + 1], x[p + 2], x[p + 3], x[p + 4]); p += 5; break;
    }
  }
  return out.buffer;
}
return { loop: loop, fns: fns };
})()`;
  const api = unwrap(context.evalCode(program, 'bare.js', { strict: true }));
  const loop = context.getProp(api, 'loop');

  // The callFunction baseline gets its own functions (same bodies, own state), one handle each.
  const fnArray = unwrap(context.evalCode(`[${functions}]`, 'bare-fns.js', { strict: true }));
  const fnHandles = mix.scripts.map((_, i) => context.getProp(fnArray, i));

  const bareLoop = {
    name: 'bare loop',
    run(vectors: Float64Array[]) {
      let evaluations = 0;
      let last: Float64Array | null = null;
      for (const vector of vectors) {
        const input = context.newArrayBuffer(vector.buffer as ArrayBuffer);
        const result = context.callFunction(loop, context.undefined, input);
        input.dispose();
        const buffer = unwrap(result);
        const bytes = context.getArrayBuffer(buffer);
        last = new Float64Array(bytes.value.slice().buffer);
        bytes.dispose();
        buffer.dispose();
        evaluations += mix.scripts.length;
      }
      return { evaluations, last };
    },
  };
  const perCall = {
    name: 'callFunction',
    run(vectors: Float64Array[]) {
      let evaluations = 0;
      const last = new Float64Array(mix.scripts.length);
      for (const vector of vectors) {
        for (let i = 0; i < fnHandles.length; i++) {
          const offset = mix.offsets[i];
          const handles: QuickJSHandle[] = new Array(counts[i]);
          for (let k = 0; k < counts[i]; k++) handles[k] = context.newNumber(vector[offset + k]);
          const result = context.callFunction(fnHandles[i], context.undefined, ...handles);
          for (const handle of handles) handle.dispose();
          const value = unwrap(result);
          last[i] = context.getNumber(value);
          value.dispose();
          evaluations++;
        }
      }
      return { evaluations, last };
    },
  };
  const dispose = () => {
    for (const handle of fnHandles) handle.dispose();
    fnArray.dispose();
    loop.dispose();
    api.dispose();
    context.dispose();
    runtime.dispose();
  };
  return { bareLoop, perCall, dispose };
}

async function main(): Promise<FigureResult> {
  const mix = standardMix(SCRIPTS);
  const pool = inputRounds(mix, INPUT_POOL);
  const stateful = mix.scripts.filter((script) => script.stateful).length;
  log(`P1: standard mix of ${SCRIPTS} scripts (${mix.tags.length} input tags, ${stateful} with state), ${SAMPLES} samples × ${ROUNDS} rounds, ${TIMESTAMPS} timestamp(s) per batch`);

  const engine = await engineHarness(mix, pool);
  const bare = ENGINE_ONLY ? null : await bareHarnesses(mix);

  // Cross-check on round 0: same bodies, same inputs, same state → same y (before any warm-up).
  let mismatches = 0;
  if (bare) {
    const fromEngine = await engine.outputsOf(0);
    const fromLoop = bare.bareLoop.run([pool[0]]).last!;
    const fromCalls = bare.perCall.run([pool[0]]).last;
    for (const script of mix.scripts) {
      const e = fromEngine.get(script.outputTag);
      const a = fromLoop[script.index];
      const b = fromCalls[script.index];
      if (e === undefined || Math.abs(e - a) > 1e-9 * Math.max(1, Math.abs(a)) || Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) mismatches++;
    }
    log(`P1: cross-check of round 0: ${mismatches === 0 ? 'engine, bare loop and callFunction agree on every output' : `${mismatches} outputs differ`}`);
  }
  let nextRound = 1;

  // Warm-up: JIT of the host code, the sandboxes' memory, the interpreter's inline caches.
  const warm = await engine.run(nextRound, WARMUP_ROUNDS);
  await engine.timed(warm.batches);
  if (bare) {
    bare.bareLoop.run(roundsOf(pool, nextRound, WARMUP_ROUNDS));
    bare.perCall.run(roundsOf(pool, nextRound, Math.max(1, WARMUP_ROUNDS >> 2)));
  }
  nextRound += WARMUP_ROUNDS;

  const rates = { engine: [] as number[], bare: [] as number[], calls: [] as number[] };
  // The engine's CPU time per evaluation (process.cpuUsage around the timed passes, the engine runs
  // in this thread): steadier than the wall clock on a loaded machine.
  const engineCpuMicros: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    const prepared = await engine.run(nextRound, ROUNDS);
    const cpuBefore = process.cpuUsage();
    const measured = await engine.timed(prepared.batches);
    const cpu = process.cpuUsage(cpuBefore);
    engineCpuMicros.push((cpu.user + cpu.system) / measured.evaluations);
    const expected = ROUNDS * mix.scripts.length;
    if (measured.evaluations !== expected) log(`P1: warning: ${measured.evaluations} evaluations, expected ${expected}`);
    rates.engine.push(measured.evaluations / (measured.ms / 1000));
    if (bare) {
      // Rates are per evaluation; the round counts only keep each harness running for a similar
      // time (the bare loop is the fastest by far), so that a blip of the machine weighs alike.
      let begun = performance.now();
      const loop = bare.bareLoop.run(roundsOf(pool, nextRound, ROUNDS * 4));
      rates.bare.push(loop.evaluations / ((performance.now() - begun) / 1000));
      begun = performance.now();
      const calls = bare.perCall.run(roundsOf(pool, nextRound, Math.max(2, Math.ceil(ROUNDS / 2))));
      rates.calls.push(calls.evaluations / ((performance.now() - begun) / 1000));
    }
    nextRound += ROUNDS;
    log(
      `P1: sample ${sample + 1}/${SAMPLES}: engine ${thousands(rates.engine[sample])}/s (CPU ${engineCpuMicros[sample].toFixed(2)} µs an evaluation)` +
        (bare ? `, bare loop ${thousands(rates.bare[sample])}/s, callFunction ${thousands(rates.calls[sample])}/s` : ''),
    );
  }
  const failures = engine.failures;
  engine.dispose();
  bare?.dispose();

  const engineRate = median(rates.engine);
  const details: Record<string, unknown> = {
    scripts: SCRIPTS,
    inputTags: mix.tags.length,
    statefulScripts: stateful,
    sandboxes: engine.sandboxes,
    registerMs: Math.round(engine.registerMs),
    timestampsPerBatch: TIMESTAMPS,
    samples: SAMPLES,
    roundsPerSample: ROUNDS,
    engineCpuMicrosPerEvaluation: round(median(engineCpuMicros), 3),
    engineMicrosPerEvaluation: round(1e6 / engineRate, 3),
    engineSpread: round(spread(rates.engine), 3),
    engineRates: rates.engine.map(Math.round),
    failures,
    mismatches,
  };
  if (!bare) {
    return {
      id: 'P1',
      value: Math.round(engineRate),
      unit: 'evaluations/s',
      baseline: null,
      ratio: null,
      bar: '≥ 0.5 × bare QuickJS loop, ≥ 2 × one callFunction per evaluation',
      holds: false,
      skipped: 'engine only (--engine-only): no baselines measured',
      summary: `${thousands(engineRate)} eval/s (${round(1e6 / engineRate, 2)} µs each)`,
      details,
    };
  }
  const bareRate = median(rates.bare);
  const callsRate = median(rates.calls);
  // Ratios: the median of the per-sample ratios — each sample's three harnesses ran back to back, so
  // a change of the machine's load between samples cancels out.
  const vsBare = median(rates.engine.map((rate, i) => rate / rates.bare[i]));
  const vsCalls = median(rates.engine.map((rate, i) => rate / rates.calls[i]));
  const checks = [
    { name: 'bare QuickJS loop', baseline: Math.round(bareRate), ratio: round(vsBare, 3), bar: '≥ 0.5×', holds: vsBare >= 0.5 },
    { name: 'callFunction per evaluation', baseline: Math.round(callsRate), ratio: round(vsCalls, 2), bar: '≥ 2×', holds: vsCalls >= 2 },
  ];
  Object.assign(details, {
    bareMicrosPerEvaluation: round(1e6 / bareRate, 3),
    callFunctionMicrosPerEvaluation: round(1e6 / callsRate, 3),
    bareSpread: round(spread(rates.bare), 3),
    callFunctionSpread: round(spread(rates.calls), 3),
    // The engine runs the same bodies as the bare loop plus its own work, so its ratio to
    // callFunction cannot exceed the bare loop's: this is the ceiling of the second check.
    ceilingVsCallFunction: round(median(rates.bare.map((rate, i) => rate / rates.calls[i])), 2),
    // Time per evaluation beyond running the body (the bare loop's time): the engine's dispatch,
    // checks and bookkeeping against one host call's marshalling.
    engineOverheadMicros: round(1e6 / engineRate - 1e6 / bareRate, 2),
    callFunctionOverheadMicros: round(1e6 / callsRate - 1e6 / bareRate, 2),
    bareRates: rates.bare.map(Math.round),
    callFunctionRates: rates.calls.map(Math.round),
  });
  return {
    id: 'P1',
    value: Math.round(engineRate),
    unit: 'evaluations/s',
    baseline: checks[0].baseline,
    ratio: checks[0].ratio,
    bar: '≥ 0.5 × bare QuickJS loop and ≥ 2 × callFunction per evaluation',
    holds: mismatches === 0 && failures === 0 && checks.every((check) => check.holds),
    summary:
      `engine ${thousands(engineRate)}/s (${round(1e6 / engineRate, 2)} µs); bare loop ${thousands(bareRate)}/s (${round(1e6 / bareRate, 2)} µs); ` +
      `callFunction ${thousands(callsRate)}/s (${round(1e6 / callsRate, 2)} µs); ceiling of the 2nd ratio (bare/callFunction) ${round(median(rates.bare.map((rate, i) => rate / rates.calls[i])), 1)}×`,
    checks,
    details,
  };
}

function roundsOf(pool: Float64Array[], first: number, count: number): Float64Array[] {
  const vectors: Float64Array[] = [];
  for (let r = first; r < first + count; r++) vectors.push(pool[r % pool.length]);
  return vectors;
}

runFigure(main);
