import { MAX_STRING_VALUE_BYTES, MAX_TAG_LENGTH, type Quality, type TagScalar } from './tag-value';

/**
 * Field parsers shared by the Kafka decoder and the API, so that a value means the same whichever way
 * it arrives. Each returns either the parsed value or a reason a person can act on.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (reason: string): Parsed<never> => ({ ok: false, reason });

/** Timestamps before this are refused: they are almost always epoch seconds sent as milliseconds. */
export const EARLIEST_TS = Date.UTC(1990, 0, 1);
/** How far ahead of the server clock an event time may be (clock skew between plant systems). */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/**
 * An unpaired UTF-16 surrogate: it has no UTF-8 form, so PostgreSQL (json, jsonb, text) refuses it,
 * and a single such value would otherwise block every history write queued behind it.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function parseTagName(raw: unknown): Parsed<string> {
  if (typeof raw !== 'string') return fail(`tag must be a string, got ${describeType(raw)}`);
  const tag = raw.trim();
  if (tag.length === 0) return fail('tag must not be empty');
  if (tag.length > MAX_TAG_LENGTH) return fail(`tag is ${tag.length} characters long; the limit is ${MAX_TAG_LENGTH}`);
  if (CONTROL_CHARS.test(tag)) return fail('tag must not contain control characters (newlines, tabs, NUL)');
  if (LONE_SURROGATE.test(tag)) return fail('tag must not contain an unpaired UTF-16 surrogate (it is not valid Unicode text)');
  // Dot-segments: every HTTP client rewrites /api/tags/.. (even /api/tags/%2E%2E) before sending it.
  if (tag === '.' || tag === '..') return fail(`tag '${tag}' cannot be read back through /api/tags/{tag}: use another name`);
  // InfluxDB's line protocol cannot carry a name ending in a backslash; refuse it everywhere alike.
  if (tag.endsWith('\\')) return fail('tag must not end with a backslash');
  return ok(tag);
}

export function parseTagScalar(raw: unknown): Parsed<TagScalar> {
  if (raw === null || typeof raw === 'boolean') return ok(raw);
  if (typeof raw === 'number') {
    return Number.isFinite(raw) ? ok(raw) : fail(`value must be a finite number, got ${raw}`);
  }
  if (typeof raw === 'string') {
    if (/^\s*[-+]?(NaN|Infinity|inf)\s*$/i.test(raw)) return fail(`value '${raw}' is not a finite number`);
    if (Buffer.byteLength(raw, 'utf8') > MAX_STRING_VALUE_BYTES) {
      return fail(`string value is longer than ${MAX_STRING_VALUE_BYTES} bytes`);
    }
    // Neither can be stored (PostgreSQL text and json refuse them): refused here, where a reason can be given.
    if (raw.includes('\u0000')) return fail('string value must not contain a NUL character');
    if (LONE_SURROGATE.test(raw)) return fail('string value must not contain an unpaired UTF-16 surrogate (it is not valid Unicode text)');
    return ok(raw);
  }
  if (raw === undefined) return fail('value is missing');
  return fail(`value must be a number, boolean, string or null, got ${describeType(raw)}`);
}

const ZONELESS_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/i;

/** ISO 8601 text or epoch milliseconds; `fallback` when absent. A time without a zone is UTC. */
export function parseTimestamp(raw: unknown, fallback: number, now: number = Date.now()): Parsed<number> {
  let ts: number;
  if (raw === undefined || raw === null) {
    ts = fallback;
  } else if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return fail(`ts must be a finite number of epoch milliseconds, got ${raw}`);
    ts = Math.round(raw);
  } else if (typeof raw === 'string') {
    const text = raw.trim();
    if (/^\d{1,16}$/.test(text)) {
      ts = Number(text);
    } else {
      if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return fail(`ts '${truncate(text)}' is not an ISO 8601 time or epoch milliseconds`);
      // A time without a zone is UTC: JavaScript would read it in the server's zone, so the same
      // message would mean another instant on another host.
      ts = Date.parse(ZONELESS_DATE_TIME.test(text) ? `${text.replace(' ', 'T')}Z` : text);
      if (Number.isNaN(ts)) return fail(`ts '${truncate(text)}' is not a valid ISO 8601 time`);
    }
  } else {
    return fail(`ts must be an ISO 8601 string or epoch milliseconds, got ${describeType(raw)}`);
  }
  if (ts < EARLIEST_TS) {
    const hint = ts > 0 && ts < 1e11 ? ' (it looks like epoch seconds; send milliseconds)' : '';
    // safeIso: far out of range, toISOString would throw and the message would never be refused.
    return fail(`ts ${safeIso(ts)} is before 1990-01-01${hint}`);
  }
  if (ts > now + MAX_FUTURE_SKEW_MS) {
    return fail(`ts ${safeIso(ts)} is more than 24 h ahead of the server clock`);
  }
  return ok(ts);
}

/** "good" | "uncertain" | "bad" or an OPC UA status code (severity in the top two bits). Absent = good. */
export function parseQuality(raw: unknown): Parsed<Quality> {
  if (raw === undefined || raw === null) return ok('good');
  if (typeof raw === 'string') {
    const word = raw.trim().toLowerCase();
    if (word === 'good' || word === 'uncertain' || word === 'bad') return ok(word);
    return fail(`quality '${truncate(raw)}' must be good, uncertain, bad or an OPC UA status code`);
  }
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw <= 0xffffffff) {
    const severity = raw >>> 30;
    return ok(severity === 0 ? 'good' : severity === 1 ? 'uncertain' : 'bad');
  }
  return fail(`quality must be good, uncertain, bad or an OPC UA status code (0..4294967295), got ${describeType(raw)}`);
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string '${truncate(value)}'`;
  return `${typeof value} ${String(value)}`;
}

function truncate(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function safeIso(ts: number): string {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? String(ts) : date.toISOString();
}
