import { describe, expect, it } from 'vitest';
import { decodeRawValues } from './decode-raw-values';

const NOW = Date.parse('2026-11-27T12:00:00.000Z');
const KAFKA_TS = Date.parse('2026-11-27T11:59:59.000Z');
const decode = (text: string | Uint8Array | null) => decodeRawValues(typeof text === 'string' ? Buffer.from(text) : text, KAFKA_TS, NOW);

describe('decodeRawValues (messages.md)', () => {
  it('reads one value or an array, with field aliases, ISO or epoch ms, word or OPC UA quality', () => {
    expect(decode('{"tag":"FT-101.PV","value":12.5,"ts":"2026-11-27T10:00:00.000Z","quality":"good"}').values).toEqual([
      { tag: 'FT-101.PV', value: 12.5, ts: Date.parse('2026-11-27T10:00:00.000Z'), quality: 'good' },
    ]);
    const many = decode(
      JSON.stringify([
        { tagname: 'A', value: true, timestamp: 1764237600000, quality: 0 },
        { name: 'B', value: 'AUTO', quality: 0x40000000 },
        { tag: 'C', value: null, quality: 0x80350000 },
      ]),
    );
    expect(many.rejected).toEqual([]);
    expect(many.values).toEqual([
      { tag: 'A', value: true, ts: 1764237600000, quality: 'good' },
      { tag: 'B', value: 'AUTO', ts: KAFKA_TS, quality: 'uncertain' },
      { tag: 'C', value: null, ts: KAFKA_TS, quality: 'bad' },
    ]);
  });

  it('rejects what cannot be used, with a reason, keeping the good elements of an array', () => {
    const mixed = decode(
      JSON.stringify([
        { tag: 'OK', value: 1 },
        { value: 2 },
        { tag: 'NOVALUE' },
        { tag: 'OBJ', value: { a: 1 } },
        { tag: 'NAN', value: 'NaN' },
        { tag: 'FUTURE', value: 1, ts: '2099-01-01T00:00:00Z' },
        { tag: 'SECONDS', value: 1, ts: 1764237600 },
        { tag: 'Q', value: 1, quality: 'excellent' },
        'string element',
      ]),
    );
    expect(mixed.values.map((value) => value.tag)).toEqual(['OK']);
    expect(mixed.rejected.map((entry) => entry.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(mixed.rejected[4].reason).toContain('24 h ahead');
    expect(mixed.rejected[5].reason).toContain('epoch seconds');
  });

  it('rejects whole messages that are empty, not UTF-8 or not JSON', () => {
    expect(decode(null).rejected[0].reason).toBe('empty message');
    expect(decode('').rejected[0].reason).toBe('empty message');
    expect(decode(new Uint8Array([0xff, 0xfe, 0x81])).rejected[0].reason).toBe('message is not UTF-8 text');
    expect(decode('{"tag": ').rejected[0].reason).toMatch(/^message is not JSON/);
  });

  it('reads an ISO time without a zone as UTC', () => {
    expect(decode('{"tag":"A","value":1,"ts":"2026-11-27T10:00:00"}').values[0].ts).toBe(Date.parse('2026-11-27T10:00:00Z'));
  });
});
