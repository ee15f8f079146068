import { describe, expect, it } from 'vitest';
import type { PassResult } from '../ports/engine';
import { recordingEngine } from './recording-engine';
import { IdleTicks } from './idle-ticks';

/** A recording engine whose ticks are counted and say `idleUntil` (as the engine's do). */
function countingEngine(idleUntil: () => number | undefined) {
  const engine = recordingEngine();
  const calls = { ticks: 0 };
  let release: (() => void) | null = null;
  const held = { hold: false };
  engine.tick = async () => {
    calls.ticks++;
    if (held.hold) await new Promise<void>((resolve) => (release = resolve));
    const result: PassResult = { outputs: [], evaluations: 1, failures: 0, older: 0, duplicates: 0, quarantined: [] };
    const until = idleUntil();
    if (until !== undefined) result.idleUntil = until;
    return result;
  };
  return { engine, calls, held, release: () => release?.() };
}

const spec = { id: 'a', name: 'a', version: 1, definition: { name: 'a', inputs: [], calcCode: 'const x = 1;', outputs: [{ tag: 'X', variable: 'x' }] } };

describe('IdleTicks', () => {
  it('answers ticks before idleUntil itself (an empty pass) and sends the first one due to the engine', async () => {
    const { engine, calls } = countingEngine(() => 1_000);
    const host = new IdleTicks().wrap(engine);
    expect((await host.tick(100)).evaluations).toBe(1);
    expect(await host.tick(200)).toEqual({ outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [], recovered: [] });
    expect(await host.tick(999)).toMatchObject({ evaluations: 0 });
    expect(calls.ticks).toBe(1);
    expect((await host.tick(1_000)).evaluations).toBe(1);
    expect(calls.ticks).toBe(2);
  });

  it('sends the next tick after anything that may give it work: a script loaded or stopped, values, restored state, a touch (restarted thread)', async () => {
    const { engine, calls } = countingEngine(() => Infinity);
    const idle = new IdleTicks();
    const host = idle.wrap(engine);
    const steps: Array<() => Promise<unknown>> = [
      () => host.register(spec),
      () => host.unregister('a'),
      () => host.ingest([]),
      () => host.restore([]),
      () => host.stopShadow('a'),
      async () => idle.touch(),
    ];
    await host.tick(1);
    for (const [n, step] of steps.entries()) {
      await host.tick(2);
      expect(calls.ticks).toBe(n + 1);
      await step();
      await host.tick(3);
      expect(calls.ticks).toBe(n + 2);
    }
    await host.statuses();
    await host.tick(4);
    expect(calls.ticks).toBe(steps.length + 1);
  });

  it('does not trust a tick that was under way when something else reached the engine, nor a result without idleUntil', async () => {
    const counting = countingEngine(() => Infinity);
    const host = new IdleTicks().wrap(counting.engine);
    counting.held.hold = true;
    const inFlight = host.tick(1);
    await Promise.resolve();
    await host.register(spec);
    counting.held.hold = false;
    counting.release();
    await inFlight;
    await host.tick(2);
    expect(counting.calls.ticks).toBe(2);

    const unknown = countingEngine(() => undefined);
    const plain = new IdleTicks().wrap(unknown.engine);
    await plain.tick(1);
    await plain.tick(2);
    expect(unknown.calls.ticks).toBe(2);
  });
});
