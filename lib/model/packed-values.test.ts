import { describe, expect, it } from 'vitest';
import { ValuePacker, ValueUnpacker } from './packed-values';
import type { OutputValue, TagValue } from './tag-value';

describe('packed values', () => {
  it('round-trips every kind of value, quality, reason and lineage', () => {
    const lineage = { id: 's1', name: 'boiler_eff', version: 4 };
    const values: Array<TagValue | OutputValue> = [
      { tag: 'FT-101.PV', value: 12.5, ts: 1_764_237_600_000, quality: 'good' },
      { tag: 'B', value: true, ts: 2, quality: 'uncertain' },
      { tag: 'C', value: false, ts: 3.5, quality: 'bad' },
      { tag: 'D', value: null, ts: 4, quality: 'good' },
      { tag: 'E', value: 'open — ünïcode', ts: 5, quality: 'good' },
      { tag: 'F', value: -0.000_1, ts: -6, quality: 'good' },
      { tag: 'CALC.X', value: null, ts: 7, quality: 'bad', reason: 'quarantined', script: lineage },
      { tag: 'CALC.Y', value: 3.1, ts: 8, quality: 'good', script: { ...lineage, version: 5 } },
      { tag: 'CALC.Z', value: null, ts: 9, quality: 'uncertain', reason: 'stale-input', script: lineage },
    ];
    const packed = new ValuePacker().pack(values);
    expect(packed.count).toBe(values.length);
    expect(packed.strings).toEqual(['open — ünïcode']);
    expect(packed.newLineages).toHaveLength(2);
    expect(new ValueUnpacker().unpack(packed)).toEqual(values);
  });

  it('sends each tag name and lineage once per channel, and the receiver keeps the table', () => {
    const packer = new ValuePacker();
    const unpacker = new ValueUnpacker();
    const script = { id: 's', name: 'n', version: 1 };
    const first = packer.pack([
      { tag: 'A', value: 1, ts: 1, quality: 'good' },
      { tag: 'B', value: 2, ts: 1, quality: 'good', script },
      { tag: 'A', value: 3, ts: 2, quality: 'good' },
    ]);
    expect(first.newTags).toEqual(['A', 'B']);
    const second = packer.pack([
      { tag: 'B', value: 4, ts: 3, quality: 'good', script },
      { tag: 'C', value: 5, ts: 3, quality: 'bad' },
    ]);
    expect(second.newTags).toEqual(['C']);
    expect(second.newLineages).toEqual([]);
    unpacker.unpack(first);
    expect(unpacker.unpack(second)).toEqual([
      { tag: 'B', value: 4, ts: 3, quality: 'good', script },
      { tag: 'C', value: 5, ts: 3, quality: 'bad' },
    ]);
  });

  it('refuses a batch naming a tag the receiver never got (a batch lost or decoded out of order)', () => {
    const packer = new ValuePacker();
    packer.pack([{ tag: 'A', value: 1, ts: 1, quality: 'good' }]);
    const second = packer.pack([{ tag: 'A', value: 2, ts: 2, quality: 'good' }]);
    expect(() => new ValueUnpacker().unpack(second)).toThrow(/never received/);
  });

  it('packs an empty batch', () => {
    const packed = new ValuePacker().pack([]);
    expect(new ValueUnpacker().unpack(packed)).toEqual([]);
  });
});
