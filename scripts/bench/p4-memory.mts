// P4 — memory with 10 000 registered scripts: the resident set size of a process running the real
// Engine (in process, production limits, default scripts per sandbox) with 10 000 scripts of the
// standard mix registered, every input seen and every script evaluated once (so their state and
// outputs exist), after a full garbage collection. The same process before registering anything
// (modules loaded, an empty engine, a garbage collection) is the "without" figure; the per-script
// cost is (RSS with − RSS without) / 10 000. Run with --expose-gc.
//
//   node --expose-gc --import tsx scripts/bench/p4-memory.mts [--scripts 10000]
import { Engine } from '../../lib/engine/engine';
import type { TagValue } from '../../lib/model/tag-value';
import { argValue, log, procMemory, round, runFigure, sleep, thousands, type FigureResult } from './common.mts';
import { definitionOf, inputRounds, standardMix } from './standard-mix.mts';

const args = process.argv.slice(2);
const SCRIPTS = Number(argValue(args, 'scripts', '10000'));
const LIMITS = { cpuMs: 50, initCpuMs: 500, memoryMb: 32 };
const MB = 1024 * 1024;

async function settledRss(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await sleep(100);
  }
  return (await procMemory(process.pid)).rss;
}

async function main(): Promise<FigureResult> {
  if (!(globalThis as { gc?: unknown }).gc) log('P4: warning: run with --expose-gc for a settled figure');
  const mix = standardMix(SCRIPTS);
  const [vector] = inputRounds(mix, 1);
  const engine = new Engine({ limits: LIMITS, quarantineAfter: 5 });
  const without = await settledRss();
  log(`P4: RSS without scripts: ${round(without / MB, 1)} MB; registering ${thousands(SCRIPTS)} scripts…`);

  const started = performance.now();
  let lastLog = started;
  for (const script of mix.scripts) {
    const outcome = await engine.register({ id: `s${script.index}`, name: script.name, version: 1, definition: definitionOf(script) });
    if (!outcome.ok) throw new Error(`registering ${script.name} failed: ${JSON.stringify(outcome)}`);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      log(`P4: … ${thousands(script.index + 1)} registered after ${Math.round((lastLog - started) / 1000)} s`);
    }
  }
  const registerMs = performance.now() - started;
  log(`P4: registered in ${round(registerMs / 1000, 1)} s (${engine.sandboxCount} sandboxes); evaluating every script once`);

  const ts = Date.UTC(2026, 0, 1);
  const values: TagValue[] = mix.tags.map((tag, j) => ({ tag, value: vector[j], ts, quality: 'good' }));
  const pass = await engine.ingest(values);
  if (pass.evaluations !== SCRIPTS) log(`P4: warning: ${pass.evaluations} evaluations, expected ${SCRIPTS}`);
  const withScripts = await settledRss();
  const { peak } = await procMemory(process.pid);
  const heap = process.memoryUsage();
  const perScript = (withScripts - without) / SCRIPTS;
  const sandboxes = engine.sandboxCount;
  engine.dispose();

  const limitMb = 1024;
  const value = round(withScripts / MB, 1);
  return {
    id: 'P4',
    value,
    unit: 'MB RSS',
    baseline: round(without / MB, 1),
    ratio: null,
    bar: `≤ ${limitMb} MB RSS with ${thousands(SCRIPTS)} scripts`,
    holds: SCRIPTS >= 10_000 && value <= limitMb,
    summary: `${value} MB with ${thousands(SCRIPTS)} scripts, ${round(without / MB, 1)} MB without: ${round(perScript / 1024, 1)} KB per script`,
    details: {
      scripts: SCRIPTS,
      sandboxes,
      rssWithoutMb: round(without / MB, 1),
      rssWithMb: value,
      peakRssMb: round(peak / MB, 1),
      perScriptKb: round(perScript / 1024, 2),
      jsHeapUsedMb: round(heap.heapUsed / MB, 1),
      externalMb: round(heap.external / MB, 1),
      arrayBuffersMb: round(heap.arrayBuffers / MB, 1),
      registerSeconds: round(registerMs / 1000, 1),
      registerMsPerScript: round(registerMs / SCRIPTS, 2),
    },
  };
}

runFigure(main);
