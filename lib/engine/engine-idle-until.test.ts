import { afterEach, describe, expect, it } from 'vitest';
import type { ScriptDraft } from '../model/script-schema';
import type { TagValue } from '../model/tag-value';
import { Engine } from './engine';

// A tick's result says until when the next tick would do nothing (PassResult.idleUntil): the host
// sends no tick to the engine thread before then (lib/engine-host/idle-ticks.ts).

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

let wall = 10_050;
function newEngine(quarantineRetryMs = 0) {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 1, quarantineRetryMs, clock: () => wall });
  engines.push(engine);
  return engine;
}

let nextId = 0;
async function register(engine: Engine, definition: Omit<ScriptDraft, 'name'>) {
  const id = `idle${++nextId}`;
  expect(await engine.register({ id, name: id, version: 1, definition: { name: id, ...definition } })).toEqual({ ok: true });
  return id;
}

const v = (tag: string, value: number, ts: number): TagValue => ({ tag, value, ts, quality: 'good' });
const DOUBLE = { inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const y = a * 2;', outputs: [{ tag: 'Y', variable: 'y' }] };

describe('Engine tick: idleUntil', () => {
  it('is Infinity when only scripts triggered by their inputs are loaded (a tick has nothing to do until something else reaches the engine)', async () => {
    wall = 10_050;
    const engine = newEngine();
    await register(engine, DOUBLE);
    await engine.ingest([v('A', 1, 5000)]);
    expect((await engine.tick(10_100)).idleUntil).toBe(Infinity);
    expect((await newEngine().tick(10_100)).idleUntil).toBe(Infinity);
  });

  it("is a periodic script's next due time, moving on with each tick that ran it", async () => {
    wall = 10_050;
    const engine = newEngine();
    await register(engine, { inputs: [{ tag: 'A', alias: 'a' }], initCode: 'let n = 0;', calcCode: 'n++;', outputs: [{ tag: 'N', variable: 'n' }], trigger: { type: 'periodic', intervalMs: 1000 } });
    await register(engine, DOUBLE);
    await engine.ingest([v('A', 1, 5000)]);
    expect((await engine.tick(10_500)).idleUntil).toBe(11_000);
    wall = 11_020;
    const ran = await engine.tick(11_020);
    expect(ran.evaluations).toBe(1);
    expect(ran.idleUntil).toBe(12_000);
  });

  it("is a quarantined script's retry time, and the staleness check's next second when an input has staleAfterMs", async () => {
    wall = 20_000;
    const engine = newEngine(5_000);
    await register(engine, { inputs: [{ tag: 'B', alias: 'b' }], calcCode: 'const z = b;\nthrow new Error("no");', outputs: [{ tag: 'Z', variable: 'z' }] });
    const failed = await engine.ingest([v('B', 1, 19_000)]);
    expect(failed.quarantined).toHaveLength(1);
    expect((await engine.tick(20_100)).idleUntil).toBe(25_000);

    const stale = newEngine();
    await register(stale, { inputs: [{ tag: 'C', alias: 'c', staleAfterMs: 3000 }], calcCode: 'const y = c;', outputs: [{ tag: 'CY', variable: 'y' }] });
    const first = await stale.tick(21_000);
    expect(first.idleUntil).toBe(22_000);
  });

  it('is now while stop publications wait (an unregistered script): the next tick publishes them', async () => {
    wall = 30_000;
    const engine = newEngine();
    const id = await register(engine, DOUBLE);
    await engine.ingest([v('A', 1, 29_000)]);
    expect((await engine.tick(30_000)).idleUntil).toBe(Infinity);
    await engine.unregister(id);
    const stopped = await engine.tick(30_050);
    expect(stopped.outputs).toEqual([expect.objectContaining({ tag: 'Y', value: null, reason: 'unregistered' })]);
    expect(stopped.idleUntil).toBe(Infinity);
  });
});
