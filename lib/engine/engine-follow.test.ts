import { afterEach, describe, expect, it } from 'vitest';
import type { TagValue } from '../model/tag-value';
import { Engine } from './engine';

// Engine.follow (shadow runs): the live pass hands over the values of the tags a follower reads, as
// it applies them, instead of the follower filtering every value and output of every pass.

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

function newEngine() {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 5 });
  engines.push(engine);
  return engine;
}

const v = (tag: string, value: TagValue['value'], ts: number): TagValue => ({ tag, value, ts, quality: 'good' });
/** S = A + 1 */
const PLUS_ONE = { name: 'plus', inputs: [{ tag: 'A', alias: 'a' }], calcCode: 'const s = a + 1;', outputs: [{ tag: 'S', variable: 's' }] };
/** T = B * 2 */
const TWICE = { name: 'twice', inputs: [{ tag: 'B', alias: 'b' }], calcCode: 'const t = b * 2;', outputs: [{ tag: 'T', variable: 't' }] };

async function pass(engine: Engine, values: TagValue[], replay = false) {
  const followed: TagValue[] = [];
  const result = await engine.ingest(values, { followed, replay });
  return { result, followed };
}

describe('engine: followed tags', () => {
  it('hands over the raw values of followed tags the pass applied, then the outputs it published, and nothing of the other tags', async () => {
    const engine = newEngine();
    expect(await engine.register({ id: 'plus', name: 'plus', version: 1, definition: PLUS_ONE })).toEqual({ ok: true });
    expect(await engine.register({ id: 'twice', name: 'twice', version: 1, definition: TWICE })).toEqual({ ok: true });
    // Z is read by no live script: followed all the same.
    engine.follow(new Set(['A', 'S', 'Z']));

    const { result, followed } = await pass(engine, [v('Z', 7, 2000), v('A', 1, 1000), v('B', 5, 1000)]);
    expect(result.evaluations).toBe(2);
    // In the order the pass applied them (time order), raw values first, outputs as plain values.
    expect(followed).toEqual([v('A', 1, 1000), v('Z', 7, 2000), v('S', 2, 1000)]);
  });

  it('does not hand over older values nor redeliveries, except when replaying', async () => {
    const engine = newEngine();
    await engine.register({ id: 'plus', name: 'plus', version: 1, definition: PLUS_ONE });
    engine.follow(new Set(['A']));
    await pass(engine, [v('A', 1, 2000)]);

    const again = await pass(engine, [v('A', 1, 2000), v('A', 9, 1000)]);
    expect(again.result).toMatchObject({ duplicates: 1, older: 1 });
    expect(again.followed).toEqual([]);
    const replayed = await pass(engine, [v('A', 1, 2000)], true);
    expect(replayed.followed).toEqual([v('A', 1, 2000)]);
  });

  it('hands over the stop outputs of a followed tag with the pass that publishes them', async () => {
    const engine = newEngine();
    await engine.register({ id: 'plus', name: 'plus', version: 1, definition: PLUS_ONE });
    engine.follow(new Set(['S']));
    await pass(engine, [v('A', 1, 1000)]);
    await engine.unregister('plus');

    const { result, followed } = await pass(engine, [v('B', 1, 3000)]);
    expect(result.outputs).toEqual([expect.objectContaining({ tag: 'S', value: null, quality: 'bad', reason: 'unregistered' })]);
    expect(followed).toEqual([{ tag: 'S', value: null, ts: result.outputs[0].ts, quality: 'bad' }]);
  });

  it('stops handing values over once nothing is followed, and follows a re-registered script’s outputs', async () => {
    const engine = newEngine();
    await engine.register({ id: 'plus', name: 'plus', version: 1, definition: PLUS_ONE });
    engine.follow(new Set(['A', 'S', 'Z']));
    expect((await pass(engine, [v('A', 1, 1000), v('Z', 1, 1000)])).followed).toHaveLength(3);

    engine.follow(new Set());
    const quiet = await pass(engine, [v('A', 2, 2000), v('Z', 2, 2000)]);
    expect(quiet.followed).toEqual([]);
    expect(quiet.result.outputs).toEqual([expect.objectContaining({ tag: 'S', value: 3 })]);

    engine.follow(new Set(['S']));
    await engine.register({ id: 'plus', name: 'plus', version: 2, definition: { ...PLUS_ONE, calcCode: 'const s = a + 10;' } });
    expect((await pass(engine, [v('A', 3, 3000)])).followed).toEqual([v('S', 13, 3000)]);
  });

  it('gives the outputs of a script registered with a lineage that very object', async () => {
    const engine = newEngine();
    const lineage = Object.freeze({ id: 'the-script', name: 'plus', version: 7 });
    await engine.register({ id: 'candidate-1', name: 'plus', version: 7, definition: PLUS_ONE }, lineage);
    const { result } = await pass(engine, [v('A', 1, 1000)]);
    expect(result.outputs).toHaveLength(1);
    expect(result.outputs[0].script).toBe(lineage);
  });
});
