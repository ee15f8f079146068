import type { Quality, TagValue } from '../../model/tag-value';

/**
 * The routed topic's record (scale-out.md; internal to the workers, not a public topic of
 * messages.md): a script group's values in a compact binary form, written by a router and read by
 * the engines. The router has decoded and checked every value already (messages.md), so the engine
 * side decodes each value once, with no JSON, no ISO timestamps and no checks to repeat.
 *
 *   byte 0        format version: 1
 *   bytes 1–4     number of values (uint32, little-endian)
 *   per value     tag length in bytes (uint16) and the tag (UTF-8);
 *                 one byte: quality (bits 0–1: 0 good, 1 uncertain, 2 bad) and kind (bits 2–4:
 *                 0 null, 1 false, 2 true, 3 number, 4 string);
 *                 ts (float64, epoch milliseconds);
 *                 a number: float64; a string: its length in bytes (uint32) and UTF-8.
 *
 * A record whose first byte is `[` is the earlier form (a JSON array of raw values, messages.md),
 * still read so records routed by an older worker are computed after an upgrade.
 */

export const ROUTED_FORMAT_VERSION = 1;

const QUALITY_CODES: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };
const QUALITY_OF: readonly Quality[] = ['good', 'uncertain', 'bad'];
const NULL = 0;
const FALSE = 1;
const TRUE = 2;
const NUMBER = 3;
const STRING = 4;
const HEADER_BYTES = 5;
/** Tag length, flags, ts. */
const FIXED_BYTES = 2 + 1 + 8;

export function encodeRouted(values: readonly TagValue[]): Buffer {
  let size = HEADER_BYTES;
  for (const value of values) {
    size += FIXED_BYTES + Buffer.byteLength(value.tag);
    if (typeof value.value === 'number') size += 8;
    else if (typeof value.value === 'string') size += 4 + Buffer.byteLength(value.value);
  }
  const buffer = Buffer.allocUnsafe(size);
  buffer[0] = ROUTED_FORMAT_VERSION;
  buffer.writeUInt32LE(values.length, 1);
  let at = HEADER_BYTES;
  for (const value of values) {
    const tagBytes = buffer.write(value.tag, at + 2, 'utf8');
    buffer.writeUInt16LE(tagBytes, at);
    at += 2 + tagBytes;
    const scalar = value.value;
    const kind = scalar === null ? NULL : scalar === false ? FALSE : scalar === true ? TRUE : typeof scalar === 'number' ? NUMBER : STRING;
    buffer[at] = QUALITY_CODES[value.quality] | (kind << 2);
    buffer.writeDoubleLE(value.ts, at + 1);
    at += 9;
    if (kind === NUMBER) {
      buffer.writeDoubleLE(scalar as number, at);
      at += 8;
    } else if (kind === STRING) {
      const bytes = buffer.write(scalar as string, at + 4, 'utf8');
      buffer.writeUInt32LE(bytes, at);
      at += 4 + bytes;
    }
  }
  return buffer;
}

/** Whether a routed record is in the binary form (else it is the earlier JSON array). */
export function isBinaryRouted(payload: Uint8Array): boolean {
  return payload.length >= HEADER_BYTES && payload[0] === ROUTED_FORMAT_VERSION;
}

/** Reads a binary routed record; throws on a record that is cut short or malformed. */
export function decodeRouted(payload: Uint8Array): TagValue[] {
  const buffer = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (!isBinaryRouted(buffer)) throw new Error(`not a routed record of format ${ROUTED_FORMAT_VERSION}`);
  const count = buffer.readUInt32LE(1);
  const values: TagValue[] = new Array(count);
  let at = HEADER_BYTES;
  for (let index = 0; index < count; index++) {
    const tagBytes = buffer.readUInt16LE(at);
    const tag = buffer.toString('utf8', at + 2, at + 2 + tagBytes);
    at += 2 + tagBytes;
    const flags = buffer[at];
    const quality = QUALITY_OF[flags & 3];
    const kind = flags >> 2;
    const ts = buffer.readDoubleLE(at + 1);
    at += 9;
    let value: TagValue['value'];
    if (kind === NUMBER) {
      value = buffer.readDoubleLE(at);
      at += 8;
    } else if (kind === STRING) {
      const bytes = buffer.readUInt32LE(at);
      if (at + 4 + bytes > buffer.length) throw new RangeError('a string runs past the end of the record');
      value = buffer.toString('utf8', at + 4, at + 4 + bytes);
      at += 4 + bytes;
    } else if (kind <= TRUE) {
      value = kind === NULL ? null : kind === TRUE;
    } else {
      throw new Error(`unknown value kind ${kind}`);
    }
    if (quality === undefined || at > buffer.length || tagBytes === 0) throw new RangeError(`value ${index} is malformed or cut short`);
    values[index] = { tag, value, ts, quality };
  }
  if (at !== buffer.length) throw new Error(`${buffer.length - at} bytes left after the ${count} values`);
  return values;
}
