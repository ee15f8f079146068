import { describe, expect, it } from 'vitest';
import { decodeMsgpack, PackedRows } from './msgpack';
import { encodeMsgpack } from './msgpack.fixture';

const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

describe('decodeMsgpack', () => {
  it('decodes every type InfluxDB sends', () => {
    const value = {
      results: [
        {
          statement_id: 0,
          partial: true,
          series: [{ name: 'tag_values', columns: ['time', 'value', 'text', 'kind', 'quality'], values: [[1_795_219_200_000, 12.5, null, 'number', 0]] }],
        },
      ],
      numbers: [0, 1, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1, -1_795_219_200_000, 0.1 + 0.2, -1e300],
      text: ['', 'a', '유량 정상 ✓', 'x'.repeat(31), 'y'.repeat(32), 'z'.repeat(300)],
      flags: [true, false, null],
      long: Array.from({ length: 20 }, (_, i) => i),
    };
    expect(plain(decodeMsgpack(encodeMsgpack(value)))).toEqual(value);
  });

  it('decodes an error answer', () => {
    expect(plain(decodeMsgpack(encodeMsgpack({ results: [{ error: 'database not found: nope' }] })))).toEqual({ results: [{ error: 'database not found: nope' }] });
  });

  it('packs rows of equal width into typed arrays when asked', () => {
    const values = [
      [1000, 1.5, 0],
      [2000, null, 2],
      [3000, 'on', 1],
    ];
    const decoded = decodeMsgpack(encodeMsgpack({ series: [{ columns: ['time', 'value', 'quality'], values }] }), { packRowsOf: 'values' }) as {
      series: { values: PackedRows }[];
    };
    const rows = decoded.series[0].values;
    expect(rows).toBeInstanceOf(PackedRows);
    expect([rows.length, rows.width]).toEqual([3, 3]);
    expect(Array.from({ length: 3 }, (_, row) => [0, 1, 2].map((column) => rows.get(row, column)))).toEqual(values);
    expect(rows.number(2, 1)).toBeNull();
    expect(rows.number(0, 1)).toBe(1.5);
  });

  it('leaves rows of unequal width, and values that are not rows, as they are', () => {
    const ragged = { values: [[1, 2], [3]] };
    expect(plain(decodeMsgpack(encodeMsgpack(ragged), { packRowsOf: 'values' }))).toEqual(ragged);
    const notRows = { values: [1, 2], other: { values: 'x' }, empty: { values: [] } };
    expect(plain(decodeMsgpack(encodeMsgpack(notRows), { packRowsOf: 'values' }))).toEqual(notRows);
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const bytes = encodeMsgpack({ ['__proto__']: { polluted: true } });
    const decoded = decodeMsgpack(bytes) as Record<string, unknown>;
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a truncated answer, trailing bytes and extension types', () => {
    const bytes = encodeMsgpack({ results: [{ series: [{ values: [[1, 2.5, 'abc']] }] }] });
    for (let length = 0; length < bytes.length; length++) expect(() => decodeMsgpack(bytes.subarray(0, length))).toThrow(/MessagePack/);
    expect(() => decodeMsgpack(Uint8Array.from([...bytes, 0]))).toThrow(/after the value/);
    expect(() => decodeMsgpack(Uint8Array.from([0xd4, 0x01, 0x00]))).toThrow(/unsupported type 0xd4/);
  });
});
