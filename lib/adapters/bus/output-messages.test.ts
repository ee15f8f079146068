import { describe, expect, it } from 'vitest';
import { outputMessagesOf, ValuePacker, ValueUnpacker } from '../../model/packed-values';
import type { OutputValue } from '../../model/tag-value';
import { outputMessage } from './kafka-bus';

/** The bus thread encodes packed outputs itself (ValueUnpacker.outputMessages): the same bytes as outputMessage. */
describe('output messages written from packed lanes', () => {
  const boiler = { id: '6f1c', name: 'boiler "eff"', version: 3 };
  const pump = { id: 'a2', name: '펌프_효율', version: 1 };
  const outputs: OutputValue[] = [
    { tag: 'CALC.EFF', value: 87.125, ts: Date.UTC(2026, 11, 7, 8, 0, 0, 5), quality: 'good', script: boiler },
    { tag: 'CALC.STATE', value: 'open — "A"\n', ts: 1_700_000_000_000, quality: 'uncertain', script: pump },
    { tag: 'CALC.FLAG', value: true, ts: 0, quality: 'good', script: boiler },
    { tag: 'CALC.OFF', value: false, ts: 1.5, quality: 'good', script: pump },
    { tag: 'CALC.EFF', value: null, ts: 1_700_000_000_001, quality: 'bad', reason: 'quarantined', script: boiler },
    { tag: 'CALC.NEG', value: -0, ts: -5, quality: 'bad', reason: 'stale-input', script: { ...boiler, version: 4 } },
    { tag: 'CALC.BIG', value: 1e21, ts: 253_402_300_800_000, quality: 'good', script: pump },
  ];

  it('writes each output as outputMessage does, over several batches of one channel', () => {
    const packer = new ValuePacker();
    const receiver = new ValueUnpacker();
    const first = receiver.outputMessages(packer.pack(outputs.slice(0, 3)));
    const second = receiver.outputMessages(packer.pack(outputs.slice(3)));
    const expected = outputs.map(outputMessage);
    expect([...first, ...second]).toEqual(expected.map(({ key, value }) => ({ key, value })));
    for (const message of [...first, ...second]) expect(() => JSON.parse(message.value)).not.toThrow();
  });

  it('refuses a value that is not an output (no script)', () => {
    const packed = new ValuePacker().pack([{ tag: 'RAW', value: 1, ts: 1, quality: 'good' }]);
    expect(() => new ValueUnpacker().outputMessages(packed)).toThrow(/RAW.*not an output/);
  });

  it('writes the outputs of a pass unpacked on this thread from their lanes, as outputMessage does; nothing for outputs that came as objects', () => {
    const unpacked = new ValueUnpacker().unpack(new ValuePacker().pack(outputs)) as OutputValue[];
    expect(outputMessagesOf(unpacked)).toEqual(outputs.map(outputMessage).map(({ key, value }) => ({ key, value })));
    expect(outputMessagesOf(outputs)).toBeUndefined();
    expect(outputMessagesOf([...unpacked])).toBeUndefined();
  });
});
