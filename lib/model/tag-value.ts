/** The value model shared by the bus, the catalog, the engine, history and the API. */

export type Quality = 'good' | 'uncertain' | 'bad';
export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** Worse quality has a higher rank: good < uncertain < bad. */
export const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export function worstQuality(a: Quality, b: Quality): Quality {
  return QUALITY_RANK[a] >= QUALITY_RANK[b] ? a : b;
}

export type TagScalar = number | boolean | string | null;

/**
 * Why a value reports a failure or a stop (messages.md): a failed evaluation, a quarantined,
 * unregistered or deleted script (value null, quality bad), or a stale input (quality uncertain).
 */
export const VALUE_REASONS = ['error', 'quarantined', 'unregistered', 'deleted', 'stale-input'] as const;
export type ValueReason = (typeof VALUE_REASONS)[number];

export function isValueReason(value: unknown): value is ValueReason {
  return typeof value === 'string' && (VALUE_REASONS as readonly string[]).includes(value);
}

/** A value of a tag at an instant. `ts` is epoch milliseconds (event time). */
export interface TagValue {
  tag: string;
  value: TagScalar;
  ts: number;
  quality: Quality;
  /** Present only on a value that reports a failure or a stop. */
  reason?: ValueReason;
}

export type TagSource = 'raw' | 'script';

/** What the catalog holds for a tag. */
export interface TagState extends TagValue {
  source: TagSource;
}

/** A computed value as published on the output topic, with its lineage. */
export interface OutputValue extends TagValue {
  script: { id: string; name: string; version: number };
}

export const MAX_TAG_LENGTH = 256;
export const MAX_STRING_VALUE_BYTES = 4096;

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: beyond it toISOString writes a six-digit year. */
const YEAR_10000_MS = 253_402_300_800_000;
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/**
 * `new Date(ts).toISOString()`, by arithmetic: every output message carries one, and in the web
 * process Next.js wraps the global Date constructor, which makes `new Date` several times slower.
 * The civil date from a day count is Howard Hinnant's algorithm; times outside 1970–9999 or with a
 * fraction of a millisecond go through Date.
 */
export function isoTime(ts: number): string {
  if (!(ts >= 0 && ts < YEAR_10000_MS) || !Number.isInteger(ts)) return new Date(ts).toISOString();
  const days = Math.floor(ts / DAY_MS);
  let rest = ts - days * DAY_MS;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const ms = rest - seconds * 1000;
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

export function sameScalar(a: TagScalar, b: TagScalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}
