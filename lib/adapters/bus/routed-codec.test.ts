import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeRawValues } from '../../model/decode-raw-values';
import type { TagValue } from '../../model/tag-value';
import { createLogger } from '../../support/logger';
import { ThrottledWarning } from '../../support/throttled-warning';
import { decodeInputMessages, rawBody, routedMessage } from './kafka-bus';
import { decodeRouted, encodeRouted } from './routed-codec';

const values: TagValue[] = [
  { tag: 'Boiler1.Temp', value: 81.25, ts: 1_733_000_000_123, quality: 'good' },
  { tag: 'Kessel/Ölstand %', value: -0.1, ts: 1_733_000_000_124.5, quality: 'uncertain' },
  { tag: 'Pump.Run', value: true, ts: 0, quality: 'bad' },
  { tag: 'Pump.Fault', value: false, ts: 1, quality: 'good' },
  { tag: 'Line.Mode', value: 'Ständig ✓ "auto"', ts: 2, quality: 'good' },
  { tag: 'Line.Empty', value: '', ts: 3, quality: 'good' },
  { tag: 'Gone', value: null, ts: 4, quality: 'bad' },
  { tag: 'Big', value: Number.MAX_VALUE, ts: 253_402_300_799_999, quality: 'good' },
];

const decoding = () => ({
  totals: { messagesIn: 0, valuesIn: 0, rejectedIn: 0 },
  rejectWarning: new ThrottledWarning(60_000),
  logger: createLogger({ level: 'silent', pretty: false, name: 'test' }),
});
const message = (value: Buffer | string, offset: number) => ({ key: null, value: Buffer.from(value), offset: String(offset), timestamp: '1733000000000', attributes: 0, headers: {} }) as unknown as KafkaMessage;

describe('routed records (scale-out, internal)', () => {
  it('carry every kind of value, quality, Unicode and fractional timestamp back as the router had them', () => {
    expect(decodeRouted(encodeRouted(values))).toEqual(values);
    expect(decodeRouted(encodeRouted([]))).toEqual([]);
  });

  it('are smaller than the JSON array of raw values they replace', () => {
    expect(encodeRouted(values).length).toBeLessThan(Buffer.byteLength(JSON.stringify(values.map(rawBody))));
  });

  it('refuse a record cut short or with bytes left over', () => {
    const encoded = encodeRouted(values);
    for (const cut of [6, 20, encoded.length - 1]) expect(() => decodeRouted(encoded.subarray(0, cut))).toThrow();
    expect(() => decodeRouted(Buffer.concat([encoded, Buffer.from([0])]))).toThrow(/left after/);
  });

  it('are decoded once on the routed topic — binary and the earlier JSON form — and refused, counted, elsewhere', () => {
    const routed = decoding();
    const binary = routedMessage({ partition: 3, key: 'group', values }).value as Buffer;
    const earlier = JSON.stringify(values.slice(0, 2).map(rawBody));
    const decoded = decodeInputMessages({ ...routed, routed: true }, 'x.routed', 3, [message(binary, 7), message(earlier, 8), message(Buffer.from([1, 9, 9]), 9)]);
    expect(decoded.values).toEqual([...values, ...decodeRawValues(earlier, 0).values]);
    expect(decoded.offsets).toEqual([...values.map(() => 7), 8, 8]);
    expect(decoded.rejected).toBe(1);
    expect(routed.totals).toEqual({ messagesIn: 3, valuesIn: values.length + 2, rejectedIn: 1 });

    // On a public input topic (messages.md) the same bytes are not a value.
    const input = decoding();
    expect(decodeInputMessages(input, 'plant.raw', 0, [message(binary, 0)])).toMatchObject({ values: [], rejected: 1 });
  });
});
