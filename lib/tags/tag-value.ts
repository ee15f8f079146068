/** The value model shared by the bus, the catalog, the engine, history and the API. */

export type Quality = 'good' | 'uncertain' | 'bad';
export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** Worse quality has a higher rank: good < uncertain < bad. */
export const QUALITY_RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

export function worstQuality(a: Quality, b: Quality): Quality {
  return QUALITY_RANK[a] >= QUALITY_RANK[b] ? a : b;
}

export type TagScalar = number | boolean | string | null;

/** A value of a tag at an instant. `ts` is epoch milliseconds (event time). */
export interface TagValue {
  tag: string;
  value: TagScalar;
  ts: number;
  quality: Quality;
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

export function isoTime(ts: number): string {
  return new Date(ts).toISOString();
}

export function sameScalar(a: TagScalar, b: TagScalar): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b));
}
