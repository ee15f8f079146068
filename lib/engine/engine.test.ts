import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import type { Quality, TagValue } from '../model/tag-value';
import type { EngineScriptSpec } from '../ports/engine';
import { compileScript } from '../compiler/compile-script';
import { Engine } from './engine';

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

function newEngine(options: { quarantineAfter?: number; clock?: () => number } = {}) {
  const engine = new Engine({
    limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 },
    quarantineAfter: options.quarantineAfter ?? 5,
    clock: options.clock,
  });
  engines.push(engine);
  return engine;
}

let nextId = 0;
function spec(definition: Omit<ScriptDraft, 'name'> & { name?: string }, version = 1): EngineScriptSpec {
  const id = `s${++nextId}`;
  return { id, name: definition.name ?? id, version, definition: { name: definition.name ?? id, ...definition } };
}

/** SUM = A + B. */
const SUM_OF_A_AND_B = {
  inputs: [
    { tag: 'A', alias: 'a' },
    { tag: 'B', alias: 'b' },
  ],
  calcCode: 'const total = a + b;',
  outputs: [{ tag: 'SUM', variable: 'total' }],
};
const v = (tag: string, value: TagValue['value'], ts: number, quality: Quality = 'good'): TagValue => ({ tag, value, ts, quality });

async function registered(engine: Engine, definition: Parameters<typeof spec>[0]) {
  const script = spec(definition);
  const outcome = await engine.register(script);
  expect(outcome).toEqual({ ok: true });
  return script;
}

describe('Engine', () => {
  it('keeps its catalog whole when tags are removed or restored between passes (a guard for any cache of catalog entries on the hot path)', async () => {
    const engine = newEngine();
    await registered(engine, SUM_OF_A_AND_B);
    await engine.ingest([v('A', 1, 1000), v('B', 2, 1000)]);
    await engine.ingest([v('A', 2, 2000)]);
    expect(engine.catalog.get('SUM')).toMatchObject({ value: 4, ts: 2000 });
    // An editor removes the tags (tag removal); the next values bring them back.
    engine.catalog.remove('A');
    engine.catalog.remove('SUM');
    const result = await engine.ingest([v('A', 5, 3000)]);
    expect(result.outputs.map((output) => [output.tag, output.value])).toEqual([['SUM', 7]]);
    expect(engine.catalog.get('A')).toMatchObject({ value: 5, ts: 3000 });
    expect(engine.catalog.get('SUM')).toMatchObject({ value: 7, ts: 3000, source: 'script' });
    // A restored snapshot replaces entries: later values land in the catalog's entries, not in old copies.
    engine.catalog.restore([{ tag: 'A', value: 6, ts: 3500, quality: 'good', source: 'raw' }, { tag: 'SUM', value: 8, ts: 3500, quality: 'good', source: 'script' }]);
    await engine.ingest([v('A', 10, 4000)]);
    expect(engine.catalog.get('A')).toMatchObject({ value: 10, ts: 4000 });
    expect(engine.catalog.get('SUM')).toMatchObject({ value: 12, ts: 4000 });
  });

  it('loads the program the caller compiled as it is, and compiles the definition only without one', async () => {
    const engine = newEngine();
    const doubled = { ...SUM_OF_A_AND_B, calcCode: 'const total = (a + b) * 2;' };
    const compiled = compileScript({ name: 'x', ...doubled }).program!;
    // The definition says a + b, the program (a + b) * 2: the engine must run the program it was given.
    const trusted = { ...spec(SUM_OF_A_AND_B), program: compiled };
    expect(await engine.register(trusted)).toEqual({ ok: true });
    const plain = await registered(engine, { ...SUM_OF_A_AND_B, outputs: [{ tag: 'SUM2', variable: 'total' }] });
    const result = await engine.ingest([v('A', 1, 1000), v('B', 2, 1000)]);
    expect(Object.fromEntries(result.outputs.map((output) => [output.tag, output.value]))).toEqual({ SUM: 6, SUM2: 3 });
    expect(engine.status(plain.id)?.state).toBe('running');
  });

  it('evaluates on change with the triggering timestamp and lineage, only once every input is seen', async () => {
    const engine = newEngine();
    const script = await registered(engine, {
      inputs: [
        { tag: 'FT-101.PV', alias: 'steam' },
        { tag: 'FT-102.PV', alias: 'fuel' },
      ],
      calcCode: 'const eff = fuel > 0 ? steam / fuel : null;',
      outputs: [{ tag: 'CALC.EFF', variable: 'eff' }],
    });
    const waiting = await engine.ingest([v('FT-101.PV', 10, 1000)]);
    expect(waiting.evaluations).toBe(0);
    expect(engine.status(script.id)?.state).toBe('waiting');
    expect(engine.status(script.id)?.missingInputs).toEqual(['FT-102.PV']);

    const first = await engine.ingest([v('FT-102.PV', 4, 2000)]);
    expect(first.outputs).toEqual([
      { tag: 'CALC.EFF', value: 2.5, ts: 2000, quality: 'good', script: { id: script.id, name: script.name, version: 1 } },
    ]);
    expect(engine.catalog.get('CALC.EFF')).toMatchObject({ value: 2.5, ts: 2000, source: 'script' });
  });

  it('applies values of one timestamp together and evaluates once per distinct timestamp', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [
        { tag: 'A', alias: 'a' },
        { tag: 'B', alias: 'b' },
      ],
      initCode: 'let runs = 0;',
      calcCode: 'runs++;\nconst total = a + b;',
      outputs: [
        { tag: 'SUM', variable: 'total' },
        { tag: 'RUNS', variable: 'runs' },
      ],
    });
    const result = await engine.ingest([v('A', 1, 1000), v('B', 2, 1000), v('A', 5, 2000), v('B', 7, 2000)]);
    expect(result.evaluations).toBe(2);
    expect(result.outputs.filter((output) => output.tag === 'SUM').map((output) => [output.value, output.ts])).toEqual([
      [3, 1000],
      [12, 2000],
    ]);
    expect(engine.catalog.get('RUNS')?.value).toBe(2);
  });

  it('sorts a batch by event time and does not let older values trigger', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'const copy = a;',
      outputs: [{ tag: 'COPY', variable: 'copy' }],
    });
    const first = await engine.ingest([v('A', 2, 2000), v('A', 1, 1000)]);
    expect(first.outputs.map((output) => output.value)).toEqual([1, 2]);
    const late = await engine.ingest([v('A', 99, 1500)]);
    expect(late.older).toBe(1);
    expect(late.evaluations).toBe(0);
    expect(engine.catalog.get('A')?.value).toBe(2);
    const redelivered = await engine.ingest([v('A', 2, 2000)]);
    expect(redelivered.duplicates).toBe(1);
    expect(redelivered.evaluations).toBe(0);
  });

  it('triggers only on the selected trigger inputs', async () => {
    const engine = newEngine();
    await registered(engine, { ...SUM_OF_A_AND_B, trigger: { type: 'onChange', inputs: ['a'] } });
    await engine.ingest([v('B', 1, 1000)]);
    const fromA = await engine.ingest([v('A', 1, 2000)]);
    expect(fromA.outputs.map((output) => output.value)).toEqual([2]);
    const fromB = await engine.ingest([v('B', 10, 3000)]);
    expect(fromB.evaluations).toBe(0);
    const fromAagain = await engine.ingest([v('A', 1, 4000)]);
    expect(fromAagain.outputs.map((output) => [output.value, output.ts])).toEqual([[11, 4000]]);
  });

  it('runs periodic scripts at their tick time', async () => {
    let wall = 10_050;
    const engine = newEngine({ clock: () => wall });
    await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      initCode: 'let ticks = 0;',
      calcCode: 'ticks++;\nconst at = ctx.now;',
      outputs: [
        { tag: 'TICKS', variable: 'ticks' },
        { tag: 'AT', variable: 'at' },
      ],
      trigger: { type: 'periodic', intervalMs: 1000 },
    });
    await engine.ingest([v('A', 1, 5000)]);
    expect((await engine.tick(10_500)).evaluations).toBe(0);
    wall = 11_020;
    const tick = await engine.tick(11_020);
    expect(tick.outputs.map((output) => [output.tag, output.value, output.ts])).toEqual([
      ['TICKS', 1, 11_000],
      ['AT', 11_000, 11_000],
    ]);
    // A burst of missed ticks runs once, at the latest due time.
    const late = await engine.tick(15_400);
    expect(late.evaluations).toBe(1);
    expect(late.outputs.find((output) => output.tag === 'AT')?.value).toBe(15_000);
  });

  it('runs chained scripts in dependency order within one pass', async () => {
    const engine = newEngine();
    // Registered downstream-first on purpose: order comes from the graph, not from registration.
    await registered(engine, {
      name: 'downstream',
      inputs: [
        { tag: 'MID', alias: 'mid' },
        { tag: 'A', alias: 'a' },
      ],
      calcCode: 'const out = mid * 10 + a;',
      outputs: [{ tag: 'END', variable: 'out' }],
    });
    await registered(engine, {
      name: 'upstream',
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'const mid = a + 1;',
      outputs: [{ tag: 'MID', variable: 'mid' }],
    });
    const result = await engine.ingest([v('A', 1, 1000)]);
    // END = (1 + 1) * 10 + 1, computed from the MID of the same pass
    expect(result.outputs.map((output) => [output.tag, output.value, output.ts])).toEqual([
      ['MID', 2, 1000],
      ['END', 21, 1000],
    ]);
    expect(result.evaluations).toBe(2);
  });

  it('rejects a cycle naming the scripts', async () => {
    const engine = newEngine();
    await registered(engine, { name: 'first', inputs: [{ tag: 'Y', alias: 'y' }], calcCode: 'const x = y;', outputs: [{ tag: 'X', variable: 'x' }] });
    const outcome = await engine.register(
      spec({ name: 'second', inputs: [{ tag: 'X', alias: 'x' }], calcCode: 'const y = x;', outputs: [{ tag: 'Y', variable: 'y' }] }),
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok || outcome.reason !== 'cycle') throw new Error('expected a cycle');
    expect(new Set(outcome.cycle)).toEqual(new Set(['first', 'second']));
  });

  it('publishes only changes beyond the deadband, and quality changes', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'const copy = a;',
      outputs: [{ tag: 'COPY', variable: 'copy', deadband: 0.5 }],
    });
    const published: unknown[] = [];
    for (const [value, ts, quality] of [
      [10, 1, 'good'],
      [10.3, 2, 'good'],
      [10.6, 3, 'good'],
      [10.6, 4, 'bad'],
      [11.0, 5, 'bad'],
    ] as const) {
      const result = await engine.ingest([v('A', value, ts, quality)]);
      published.push(...result.outputs.map((output) => [output.value, output.quality]));
    }
    expect(published).toEqual([
      [10, 'good'],
      [10.6, 'good'],
      [10.6, 'bad'],
    ]);
  });

  it('gives outputs the worst input quality unless the script sets it', async () => {
    const engine = newEngine();
    await registered(engine, {
      inputs: [
        { tag: 'A', alias: 'a' },
        { tag: 'B', alias: 'b' },
      ],
      calcCode: 'const total = a + b;\nconst flag = isGood(b);\nctx.setQuality("flag", "good");',
      outputs: [
        { tag: 'SUM', variable: 'total' },
        { tag: 'FLAG', variable: 'flag' },
      ],
    });
    const result = await engine.ingest([v('A', 1, 1000, 'uncertain'), v('B', 2, 1000, 'bad')]);
    expect(result.outputs.map((output) => [output.tag, output.value, output.quality])).toEqual([
      ['SUM', 3, 'bad'],
      ['FLAG', false, 'good'],
    ]);
  });

  it('follows input qualities as they go bad and good again, also after a restore', async () => {
    const engine = newEngine();
    await registered(engine, SUM_OF_A_AND_B);
    const qualities: string[] = [];
    for (const [value, ts, quality] of [
      [1, 1, 'good'],
      [2, 2, 'bad'],
      [3, 3, 'uncertain'],
      [4, 4, 'good'],
    ] as const) {
      const result = await engine.ingest([v('A', 10, ts), v('B', value, ts, quality)]);
      qualities.push(...result.outputs.map((output) => output.quality));
    }
    expect(qualities).toEqual(['good', 'bad', 'uncertain', 'good']);
    expect(engine.catalog.notGoodCount).toBe(0);
    // A restored bad value of B counts until a good one replaces it.
    engine.restore([{ tag: 'B', value: 7, ts: 5, quality: 'bad', source: 'raw' }]);
    expect(engine.catalog.notGoodCount).toBe(1);
    const afterRestore = await engine.ingest([v('A', 11, 6)]);
    expect(afterRestore.outputs.map((output) => [output.value, output.quality])).toEqual([[18, 'bad']]);
    await engine.ingest([v('B', 8, 7)]);
    expect(engine.catalog.notGoodCount).toBe(0);
  });

  it('quarantines a script after consecutive failures and leaves the others running', async () => {
    const engine = newEngine({ quarantineAfter: 3 });
    const failing = await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'if (a > 0) throw new Error("negative pressure");\nconst x = a;',
      outputs: [{ tag: 'BAD', variable: 'x' }],
    });
    const healthy = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a * 2;', outputs: [{ tag: 'GOOD', variable: 'y' }] });
    for (let ts = 1; ts <= 2; ts++) await engine.ingest([v('A', ts, ts)]);
    expect(engine.status(failing.id)?.state).toBe('running');
    const third = await engine.ingest([v('A', 3, 3)]);
    expect(third.quarantined.map((entry) => entry.id)).toEqual([failing.id]);
    const status = engine.status(failing.id);
    expect(status?.state).toBe('quarantined');
    expect(status?.lastError?.message).toContain('negative pressure');
    expect(status?.lastError?.line).toBe(1);
    const after = await engine.ingest([v('A', 4, 4)]);
    expect(after.outputs).toEqual([expect.objectContaining({ tag: 'GOOD', value: 8 })]);
    expect(engine.status(healthy.id)?.errors).toBe(0);
  });

  it('keeps other scripts going when one runs out of memory, rebuilding the sandbox', async () => {
    const engine = newEngine({ quarantineAfter: 1 });
    const healthy = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], initCode: 'let n = 0;', calcCode: 'n++;\nconst y = a + n;', outputs: [{ tag: 'GOOD', variable: 'y' }] });
    const bomb = await registered(engine, {
      inputs: [{ tag: 'A', alias: 'a' }],
      calcCode: 'const parts = [];\nwhile (true) parts.push("x".repeat(1 << 20) + a);\nconst z = 1;',
      outputs: [{ tag: 'BOMB', variable: 'z' }],
    });
    const result = await engine.ingest([v('A', 1, 1)]);
    expect(engine.status(bomb.id)?.state).toBe('quarantined');
    expect(engine.status(bomb.id)?.lastError?.kind).toBe('memory');
    // Its output says so: the failed run (at the triggering time), then the quarantine.
    expect(result.outputs.filter((output) => output.tag === 'GOOD')).toEqual([expect.objectContaining({ value: 2 })]);
    expect(result.outputs.filter((output) => output.tag === 'BOMB')).toEqual([
      expect.objectContaining({ value: null, quality: 'bad', reason: 'error', ts: 1 }),
      expect.objectContaining({ value: null, quality: 'bad', reason: 'quarantined' }),
    ]);
    const next = await engine.ingest([v('A', 5, 2)]);
    expect(next.outputs).toEqual([expect.objectContaining({ tag: 'GOOD' })]);
    expect(engine.status(healthy.id)?.state).toBe('running');
  });

  it('hot-swaps a script on re-registration, re-running initCode and keeping the last outputs', async () => {
    const engine = newEngine();
    const script = await registered(engine, { inputs: [{ tag: 'A', alias: 'a' }], initCode: 'let k = 1;', calcCode: 'const y = a * k;', outputs: [{ tag: 'Y', variable: 'y' }] });
    await engine.ingest([v('A', 2, 1)]);
    const updated = { ...script, version: 2, definition: { ...script.definition, initCode: 'let k = 1;' } };
    expect(await engine.register(updated)).toEqual({ ok: true });
    // Same result as before the swap: not republished (the last published value carries over).
    expect((await engine.ingest([v('A', 2, 2)])).outputs).toEqual([]);
    const changed = await engine.ingest([v('A', 3, 3)]);
    expect(changed.outputs[0]).toMatchObject({ value: 3, script: { version: 2 } });
  });
});
