/** Test helper (like history-store.contract.ts): answers as InfluxDB sends them in MessagePack. */

/** A MessagePack encoder choosing the forms InfluxDB's encoder (tinylib/msgp) uses. */
export function encodeMsgpack(value: unknown): Uint8Array {
  const bytes: number[] = [];
  /** `type`, then `n` in `size` bytes, big-endian. */
  const sized = (type: number, size: number, n: number) => {
    bytes.push(type);
    for (let shift = (size - 1) * 8; shift >= 0; shift -= 8) bytes.push(Math.floor(n / 2 ** shift) & 0xff);
  };
  const writeInteger = (item: number) => {
    if (item >= 0 && item <= 0x7f) bytes.push(item);
    else if (item < 0 && item >= -32) bytes.push(0x100 + item);
    else if (item >= 0 && item <= 0xff) sized(0xcc, 1, item);
    else if (item >= 0 && item <= 0xffff) sized(0xcd, 2, item);
    else if (item >= 0 && item <= 0xffffffff) sized(0xce, 4, item);
    else if (item >= -128 && item < 0) sized(0xd0, 1, item & 0xff);
    else if (item >= -32768 && item < 0) sized(0xd1, 2, item & 0xffff);
    else if (item >= -2147483648 && item < 0) sized(0xd2, 4, item >>> 0);
    else {
      // int64 as two's complement, the way InfluxDB sends timestamps.
      const big = BigInt.asUintN(64, BigInt(item));
      sized(0xd3, 4, Number(big >> 32n));
      for (let shift = 24; shift >= 0; shift -= 8) bytes.push(Number((big >> BigInt(shift)) & 0xffn));
    }
  };
  const write = (item: unknown): void => {
    if (item === null || item === undefined) bytes.push(0xc0);
    else if (item === false) bytes.push(0xc2);
    else if (item === true) bytes.push(0xc3);
    else if (typeof item === 'number') {
      if (Number.isSafeInteger(item) && !Object.is(item, -0)) {
        writeInteger(item);
      } else {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, item);
        bytes.push(0xcb, ...new Uint8Array(view.buffer));
      }
    } else if (typeof item === 'string') {
      const utf8 = new TextEncoder().encode(item);
      if (utf8.length < 32) bytes.push(0xa0 | utf8.length);
      else if (utf8.length <= 0xff) sized(0xd9, 1, utf8.length);
      else sized(0xda, 2, utf8.length);
      bytes.push(...utf8);
    } else if (item instanceof Uint8Array) {
      sized(0xc4, 1, item.length);
      bytes.push(...item);
    } else if (Array.isArray(item)) {
      if (item.length < 16) bytes.push(0x90 | item.length);
      else if (item.length <= 0xffff) sized(0xdc, 2, item.length);
      else sized(0xdd, 4, item.length);
      for (const element of item) write(element);
    } else {
      const entries = Object.entries(item as Record<string, unknown>);
      if (entries.length < 16) bytes.push(0x80 | entries.length);
      else sized(0xde, 2, entries.length);
      for (const [key, element] of entries) {
        write(key);
        write(element);
      }
    }
  };
  write(value);
  return Uint8Array.from(bytes);
}
