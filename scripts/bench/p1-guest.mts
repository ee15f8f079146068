// P1's sandbox alone (no engine, no catalog): where a batch's time goes between the op stream's
// values and the runs. One sandbox with the first --scripts scripts of the standard mix (100: the
// engine's scripts per sandbox); op streams built beforehand; each round is one runOps call.
// Timed in CPU time (process.cpuUsage), so the machine's load weighs less than on a wall clock.
//
//   node --import tsx scripts/bench/p1-guest.mts [--scripts 100] [--rounds 400] [--warmup-ms 4000]
//   [--samples 5] [--runs-only] [--raw]
//   prints µs per script for: "call" (a step and a single run, no values: what a VM call costs),
//   "values" (every input's value and a single run — what a call costs before the runs) and
//   "values + runs" (the whole batch, as the engine sends it)
// Each figure is measured after --warmup-ms of the same batches: V8 compiles QuickJS's WebAssembly
// in tiers, and in the first seconds a VM call costs twice what it costs once the optimised code is
// in (a run of a few seconds without the warm-up mostly measures the baseline tier).
// --trivial-bodies: every script's body is `const y = <first alias>;` (no initCode): what the
// sandbox costs around the bodies (the difference with the mix is the bodies' share).
// --host-marks: the fast runs are marked by the host (a marks op and its block, wire.ts Op.Marks, as
// the engine sends a step with many runs) instead of by the guest's op loop.
import { compileScript } from '../../lib/compiler/compile-script';
import { OpStream, ScriptSandbox } from '../../lib/sandbox/script-sandbox';
import { argValue } from './common.mts';
import { definitionOf, inputRounds, standardMix } from './standard-mix.mts';

const args = process.argv.slice(2);
const SCRIPTS = Number(argValue(args, 'scripts', '100'));
const ROUNDS = Number(argValue(args, 'rounds', '400'));
const POOL = 16;
const WARMUP_MS = Number(argValue(args, 'warmup-ms', '4000'));
const TRIVIAL = args.includes('--trivial-bodies');
const HOST_MARKS = args.includes('--host-marks');
// --samples n: samples per figure (median and minimum printed; under load the minimum moves least).
const SAMPLES = Number(argValue(args, 'samples', '5'));
// --runs-only: only the whole batch ("values + runs"), the figure the step code moves.
const RUNS_ONLY = args.includes('--runs-only');
// --raw: the records are kept as the guest wrote them (runOps' raw, as the engine reads them), not
// decoded into an object each.
const RAW = args.includes('--raw');

const mix = standardMix(SCRIPTS);
const pool = inputRounds(mix, POOL);
const sandbox = await ScriptSandbox.create({ cpuMs: 50, initCpuMs: 500, memoryMb: 32 });
const slots: number[] = [];
const indexes: number[][] = [];
const fast: boolean[] = [];
for (const script of mix.scripts) {
  const definition = definitionOf(script);
  const program = compileScript(TRIVIAL ? { ...definition, initCode: undefined, calcCode: `const y = ${script.aliases[0]};` } : definition).program!;
  const loaded = sandbox.load(program, { now: 0 });
  if (!loaded.ok) throw new Error(`loading ${script.name} failed`);
  slots.push(loaded.slot);
  fast.push(program.fast);
  indexes.push(program.inputTags.map((tag) => sandbox.indexOf(tag)));
}

function streams(allRuns: boolean, values = true): OpStream[] {
  const built: OpStream[] = [];
  for (let r = 0; r < POOL; r++) {
    const stream = new OpStream();
    if (HOST_MARKS) stream.markSlots = sandbox.slotCount;
    // Without values, the first batch still brings every input (the runs need them once).
    if (values || r === 0) mix.scripts.forEach((_, i) => indexes[i].forEach((index, k) => stream.value(index, pool[r][mix.offsets[i] + k])));
    stream.step(r + 1, 1000 * r);
    for (let i = 0; i < (allRuns ? SCRIPTS : 1); i++) stream.run(slots[i], false, 0, 1, fast[i]);
    built.push(stream);
  }
  return built;
}

function microsPerScript(batches: OpStream[], rounds: number): number {
  const started = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const outcome = sandbox.runOps(batches[r % POOL], undefined, undefined, RAW);
    if (outcome.failures.length > 0) throw new Error(`a run failed: ${outcome.failures[0].error.message}`);
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / rounds / SCRIPTS;
}

const figures = [['call', streams(false, false)], ['values', streams(false)], ['values + runs', streams(true)]] as const;
for (const [name, batches] of RUNS_ONLY ? figures.slice(2) : figures) {
  const warm = performance.now();
  do microsPerScript(batches, ROUNDS >> 2);
  while (performance.now() - warm < WARMUP_MS);
  const samples = Array.from({ length: SAMPLES }, () => microsPerScript(batches, ROUNDS)).sort((a, b) => a - b);
  const median = samples[samples.length >> 1];
  console.log(`${name}: ${median.toFixed(2)} µs per script (median of ${SAMPLES}, min ${samples[0].toFixed(2)}; ${samples.map((s) => s.toFixed(2)).join(' ')})`);
}
sandbox.dispose();
