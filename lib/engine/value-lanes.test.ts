import { afterEach, describe, expect, it } from 'vitest';
import { outputMessagesOf, ValuePacker, ValueUnpacker } from '../model/packed-values';
import type { Quality, TagValue } from '../model/tag-value';
import { TagCatalog } from '../tags/tag-catalog';
import { Engine } from './engine';
import { engineMethods, unpackPassResult } from './engine-methods';
import { outputMessage } from '../adapters/bus/kafka-bus';
import { emptyLanes, lanesOf, lanesOfPacked, setLane, valueAt } from './value-lanes';

const engines: Engine[] = [];
afterEach(() => engines.splice(0).forEach((engine) => engine.dispose()));

async function engineWithScripts(): Promise<Engine> {
  const engine = new Engine({ limits: { cpuMs: 50, initCpuMs: 200, memoryMb: 32 }, quarantineAfter: 5 });
  engines.push(engine);
  const scripts = [
    // Light (numbers only) and heavy (reads qualities) sandboxes, a chain, and a string input.
    { name: 'sum', inputs: [{ tag: 'A', alias: 'a' }, { tag: 'B', alias: 'b' }], calcCode: 'const y = a + b;', outputs: [{ tag: 'SUM', variable: 'y' }] },
    { name: 'twice', inputs: [{ tag: 'SUM', alias: 's' }], calcCode: 'const y = s * 2;', outputs: [{ tag: 'TWICE', variable: 'y' }] },
    { name: 'label', inputs: [{ tag: 'L', alias: 'l' }, { tag: 'A', alias: 'a' }], calcCode: 'const y = String(l) + ":" + a + ":" + isGood(a);', outputs: [{ tag: 'LABEL', variable: 'y' }] },
  ];
  for (const [i, definition] of scripts.entries()) {
    expect(await engine.register({ id: `s${i}`, name: definition.name, version: 1, definition })).toEqual({ ok: true });
  }
  return engine;
}

const v = (tag: string, value: TagValue['value'], ts: number, quality: Quality = 'good'): TagValue => ({ tag, value, ts, quality });

/** Batches with every kind of scalar, qualities, a reason, timestamps out of order, older values and redeliveries. */
const BATCHES: TagValue[][] = [
  [v('A', 1, 1000), v('B', 2, 1000), v('L', 'x', 1000), v('OTHER', true, 1000)],
  [v('A', 3, 3000), v('B', 4, 2000), v('L', null, 2000, 'uncertain'), v('A', 2, 2000)],
  [v('A', 3, 3000), v('B', 1, 2500), { ...v('B', 9, 4000, 'bad'), reason: 'stale-input' }, v('L', false, 4000)],
  [v('A', Number.NaN, 5000), v('B', 5, 5000), v('L', 'y', 5000, 'bad'), v('OTHER', 7, 5000)],
];

describe('a pass by tag ids (value lanes)', () => {
  it('publishes, counts and catalogs exactly what a pass of the same values as objects does, from packed lanes and from objects', async () => {
    const byObjects = await engineWithScripts();
    const byPacked = await engineWithScripts();
    const methods = engineMethods(byPacked);
    let published = 0;
    for (const batch of BATCHES) {
      const expected = await byObjects.ingest(batch);
      const packed = await methods.ingestPacked(new ValuePacker().pack(batch));
      const { packedOutputs, ...counts } = packed;
      const { outputs, ...expectedCounts } = expected;
      expect(counts).toEqual(expectedCounts);
      expect(new ValueUnpacker().unpack(packedOutputs)).toEqual(outputs);
      published += outputs.length;
    }
    const states = (engine: Engine) => [...engine.catalog.values()].sort((a, b) => a.tag.localeCompare(b.tag));
    expect(states(byPacked)).toEqual(states(byObjects));
    expect(byObjects.catalog.get('LABEL')?.value).toBe('y:NaN:true');
    expect(byObjects.catalog.get('TWICE')).toMatchObject({ ts: 5000, source: 'script' });
    expect(published).toBeGreaterThan(6);
    expect(byObjects.catalog.get('B')).toMatchObject({ value: 5, ts: 5000 });
  });

  it('through a channel (names once, indices after), publishes what a pass of objects does; a table out of step fails the pass, a fresh one recovers', async () => {
    const byObjects = await engineWithScripts();
    const byChannel = await engineWithScripts();
    const methods = engineMethods(byChannel);
    let packer = new ValuePacker();
    let unpacker = new ValueUnpacker();
    let fresh = true;
    const newNames: number[] = [];
    for (const batch of [...BATCHES, ...BATCHES.map((values) => values.map((value) => ({ ...value, ts: value.ts + 10_000 })))]) {
      const expected = await byObjects.ingest(batch);
      const known = packer.known[0];
      const packed = packer.pack(batch);
      newNames.push(packed.newTags.length);
      const result = await methods.ingestPacked(packed, undefined, { fresh, known });
      fresh = false;
      const { outputs, ...counts } = unpackPassResult(result, unpacker);
      const { outputs: expectedOutputs, ...expectedCounts } = expected;
      expect(counts).toEqual(expectedCounts);
      expect(outputs).toEqual(expectedOutputs);
      // The outputs' messages written from the channel's lanes are outputMessage's.
      expect(outputMessagesOf(outputs)).toEqual(expectedOutputs.map(outputMessage));
    }
    // Every name crossed once: the second round of the same tags sent none.
    expect(newNames.slice(BATCHES.length)).toEqual(BATCHES.map(() => 0));
    expect(newNames.reduce((a, b) => a + b, 0)).toBe(4);

    // A host whose tables were lost (a sender started afresh without saying so) is refused, not misread.
    packer = new ValuePacker();
    await expect(methods.ingestPacked(packer.pack(BATCHES[0]), undefined, { fresh: false, known: 0 })).rejects.toThrow(/knows 4 of the host's tag names, the host counts 0/);
    // Outputs the host's unpacker has not the names for are refused too.
    const again = await methods.ingestPacked(new ValuePacker().pack([v('A', 50, 90_000)]), undefined, { fresh: true, known: 0 });
    unpacker = new ValueUnpacker();
    unpacker.unpack(new ValuePacker().pack([v('X', 1, 1)]));
    expect(() => unpackPassResult(again, unpacker)).toThrow(/the host knows 1 tag names and 0 lineages/);
    // Fresh on both sides: in step again.
    packer = new ValuePacker();
    unpacker = new ValueUnpacker();
    const batch = [v('A', 60, 91_000), v('B', 1, 91_000)];
    const recovered = unpackPassResult(await methods.ingestPacked(packer.pack(batch), undefined, { fresh: true, known: 0 }), unpacker);
    expect(recovered.outputs.map((output) => [output.tag, output.value])).toEqual([
      ['SUM', 61],
      ['LABEL', 'y:60:true'],
      ['TWICE', 122],
    ]);
  });

  it('takes lanes written by tag id (catalog.idOf) as a pass of objects takes values', async () => {
    const byObjects = await engineWithScripts();
    const byIds = await engineWithScripts();
    const ids = { A: byIds.catalog.idOf('A'), B: byIds.catalog.idOf('B'), L: byIds.catalog.idOf('L') };
    for (let round = 0; round < 5; round++) {
      const ts = 1000 * (round + 1);
      const lanes = emptyLanes(3);
      setLane(lanes, 0, ids.A, round, ts, 'good', undefined);
      setLane(lanes, 1, ids.B, round * 10, ts, round === 3 ? 'uncertain' : 'good', undefined);
      setLane(lanes, 2, ids.L, `r${round}`, ts, 'good', undefined);
      const got = await byIds.ingestLanes(lanes);
      const expected = await byObjects.ingest([v('A', round, ts), v('B', round * 10, ts, round === 3 ? 'uncertain' : 'good'), v('L', `r${round}`, ts)]);
      expect(got).toEqual(expected);
    }
    expect(byIds.catalog.get('TWICE')).toMatchObject({ value: 88, ts: 5000 });
  });

  it('rebuilds the values of a followed tag from the lanes, and keeps objects that came as objects', () => {
    const catalog = new TagCatalog();
    const objects = [v('B', 2, 2000), { ...v('A', 'text', 1000, 'bad'), reason: 'error' as const }];
    const lanes = lanesOf(catalog, objects);
    expect(valueAt(lanes, catalog, 0)).toBe(objects[1]);
    const packed = lanesOfPacked(catalog, new ValuePacker().pack(objects));
    expect([valueAt(packed, catalog, 0), valueAt(packed, catalog, 1)]).toEqual([objects[1], objects[0]]);
    expect(packed.tag[0]).toBe(catalog.idOf('A'));
  });

  it('keeps the catalog by id in step with the catalog by name through removal and restore', () => {
    const catalog = new TagCatalog();
    const a = catalog.idOf('A');
    expect(catalog.getById(a)).toBeUndefined();
    catalog.apply(v('A', 1, 1000), 'raw');
    expect(catalog.getById(a)).toBe(catalog.get('A'));
    catalog.remove('A');
    expect(catalog.getById(a)).toBeUndefined();
    expect(catalog.applyById(a, 2, 2000, 'uncertain', undefined, 'raw')).toBe('applied');
    expect(catalog.get('A')).toMatchObject({ tag: 'A', value: 2, ts: 2000, quality: 'uncertain' });
    expect(catalog.notGoodCount).toBe(1);
    catalog.restore([{ tag: 'A', value: 3, ts: 3000, quality: 'good', source: 'raw' }]);
    expect(catalog.getById(a)).toBe(catalog.get('A'));
    expect(catalog.applyById(a, 3, 3000, 'good', undefined, 'raw')).toBe('duplicate');
    expect(catalog.applyById(a, 4, 2500, 'good', undefined, 'raw')).toBe('older');
    expect(catalog.idOf('A')).toBe(a);
    expect(catalog.nameOf(catalog.idOf('NEW'))).toBe('NEW');
  });
});
