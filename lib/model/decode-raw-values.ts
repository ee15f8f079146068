import { parseQuality, parseTagName, parseTagScalar, parseTimestamp } from './parse-tag-fields';
import type { TagValue } from './tag-value';

/**
 * Decodes one input message of messages.md: a JSON value or an array of them, with field aliases
 * (`tagname`/`name` for `tag`, `timestamp` for `ts`). Bad elements of an array are dropped with a
 * reason; the good ones are kept.
 */

export interface DecodeResult {
  values: TagValue[];
  rejected: Array<{ index: number | null; reason: string }>;
}

export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** One decoder for every message: `decode` without `stream` keeps no state between calls, and making one per message cost more than decoding a small value. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeRawValues(
  payload: Uint8Array | string | null | undefined,
  messageTimestamp: number,
  now: number = Date.now(),
): DecodeResult {
  if (payload === null || payload === undefined || payload.length === 0) {
    return { values: [], rejected: [{ index: null, reason: 'empty message' }] };
  }
  if (payload.length > MAX_MESSAGE_BYTES) {
    return { values: [], rejected: [{ index: null, reason: `message of ${payload.length} bytes exceeds ${MAX_MESSAGE_BYTES}` }] };
  }
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : UTF8.decode(payload);
  } catch {
    return { values: [], rejected: [{ index: null, reason: 'message is not UTF-8 text' }] };
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    return { values: [], rejected: [{ index: null, reason: `message is not JSON: ${(error as Error).message}` }] };
  }
  const result: DecodeResult = { values: [], rejected: [] };
  if (Array.isArray(body)) {
    body.forEach((element, index) => decodeElement(element, index, messageTimestamp, now, result));
  } else {
    decodeElement(body, null, messageTimestamp, now, result);
  }
  return result;
}

function decodeElement(element: unknown, index: number | null, fallbackTs: number, now: number, out: DecodeResult): void {
  const reject = (reason: string): void => {
    out.rejected.push({ index, reason: index === null ? reason : `element ${index}: ${reason}` });
  };
  if (typeof element !== 'object' || element === null || Array.isArray(element)) {
    reject('expected an object with tag and value');
    return;
  }
  const record = element as Record<string, unknown>;
  const tag = parseTagName(record.tag ?? record.tagname ?? record.name);
  if (!tag.ok) return reject(tag.reason);
  if (!('value' in record)) return reject(`tag '${tag.value}': value is missing`);
  const value = parseTagScalar(record.value);
  if (!value.ok) return reject(`tag '${tag.value}': ${value.reason}`);
  const ts = parseTimestamp(record.ts ?? record.timestamp, fallbackTs, now);
  if (!ts.ok) return reject(`tag '${tag.value}': ${ts.reason}`);
  const quality = parseQuality(record.quality);
  if (!quality.ok) return reject(`tag '${tag.value}': ${quality.reason}`);
  out.values.push({ tag: tag.value, value: value.value, ts: ts.value, quality: quality.value });
}
