import { describe, expect, it } from 'vitest';
import { joinValues, ValuePacker, ValueUnpacker } from './packed-values';
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

describe('packed values passed on (a thread between two others)', () => {
  const script = { id: 's', name: 'n', version: 1 };
  const batch: Array<TagValue | OutputValue> = [
    { tag: 'A', value: 1, ts: 1, quality: 'good' },
    { tag: 'B', value: 'text', ts: 2, quality: 'uncertain', script },
    { tag: 'A', value: null, ts: 3, quality: 'bad', reason: 'stale-input', script: { ...script, version: 2 } },
  ];

  it('re-indexes the lanes it received to the next channel, naming only what that channel has not seen', () => {
    const inbound = new ValuePacker();
    const receiver = new ValueUnpacker();
    receiver.unpack(inbound.pack([{ tag: 'Z', value: 0, ts: 0, quality: 'good' }])); // the inbound table is ahead of the outbound one
    const inboundBatch = inbound.pack(batch);
    const received = receiver.unpack(inboundBatch);
    const outbound = new ValuePacker();
    outbound.pack([{ tag: 'B', value: 9, ts: 9, quality: 'good' }]);
    const forwarded = outbound.pack(received);
    expect(forwarded.newTags).toEqual(['A']);
    expect(forwarded.newLineages).toHaveLength(2);
    expect(forwarded.strings).toBe(inboundBatch.strings); // the received lanes, passed on, not the values packed again
    const far = new ValueUnpacker();
    far.unpack(new ValuePacker().pack([{ tag: 'B', value: 9, ts: 9, quality: 'good' }]));
    expect(far.unpack(forwarded)).toEqual(batch);
    // A fresh packer (one table per batch) gets every name.
    const own = new ValuePacker().pack(received);
    expect(own.newTags).toEqual(['A', 'B']);
    expect(new ValueUnpacker().unpack(own)).toEqual(batch);
    // The received lanes are left as they were: forwarding twice gives the same values.
    expect(new ValueUnpacker().unpack(new ValuePacker().pack(received))).toEqual(batch);
  });

  it('packs the values themselves when the array was changed or its lanes were sent on (transferred)', () => {
    const received = new ValueUnpacker().unpack(new ValuePacker().pack(batch));
    received.push({ tag: 'C', value: 4, ts: 4, quality: 'good' });
    expect(new ValueUnpacker().unpack(new ValuePacker().pack(received))).toEqual([...batch, { tag: 'C', value: 4, ts: 4, quality: 'good' }]);

    const packed = new ValuePacker().pack(batch);
    const unpacked = new ValueUnpacker().unpack(packed);
    structuredClone(packed.buffer, { transfer: [packed.buffer] }); // detaches it, as postMessage with a transfer list does
    expect(new ValueUnpacker().unpack(new ValuePacker().pack(unpacked))).toEqual(batch);
  });
});

describe('batches joined for one pass', () => {
  it('keeps the lanes of batches from one receiver, strings included, and forwards them', () => {
    const inbound = new ValuePacker();
    const receiver = new ValueUnpacker();
    const first: TagValue[] = [
      { tag: 'A', value: 'one', ts: 1, quality: 'good' },
      { tag: 'B', value: 2, ts: 1, quality: 'good' },
    ];
    const second: TagValue[] = [
      { tag: 'C', value: 'three', ts: 2, quality: 'bad' },
      { tag: 'A', value: 'four', ts: 3, quality: 'good' },
    ];
    const joined = joinValues([receiver.unpack(inbound.pack(first)), receiver.unpack(inbound.pack(second))]);
    expect(joined).toEqual([...first, ...second]);
    // The joined lanes are what is forwarded, not the objects packed again (objects that nothing changes;
    // one is changed here only to tell the two apart).
    (joined[1] as { value: number }).value = -1;
    const forwarded = new ValuePacker().pack(joined);
    expect(new ValueUnpacker().unpack(forwarded)).toEqual([...first, ...second]);
  });

  it('joins batches of different receivers, or not unpacked at all, as plain values', () => {
    const a: TagValue[] = [{ tag: 'A', value: 1, ts: 1, quality: 'good' }];
    const b: TagValue[] = [{ tag: 'B', value: 'x', ts: 2, quality: 'good' }];
    const joined = joinValues([new ValueUnpacker().unpack(new ValuePacker().pack(a)), new ValueUnpacker().unpack(new ValuePacker().pack(b))]);
    expect(new ValueUnpacker().unpack(new ValuePacker().pack(joined))).toEqual([...a, ...b]);
    expect(new ValueUnpacker().unpack(new ValuePacker().pack(joinValues([a, b])))).toEqual([...a, ...b]);
  });
});
