import { endianness } from 'node:os';
import { emptyColumns, KIND_FALSE, KIND_NULL, KIND_NUMBER, KIND_STRING, KIND_TRUE, qualityCode, qualityOf, setValue, valueAt, type HistoryColumns } from '../../history/history-columns';
import type { HistoryColumnBatch, HistoryLineage, HistoryRecord, HistoryRow } from '../../ports/history-store';
import { UnexpectedError } from '../../model/errors';
import { isValueReason, QUALITIES, type TagSource } from '../../model/tag-value';

/**
 * Time buckets of the embedded history (decision 0020): a run of up to BUCKET_POINTS points of one
 * tag, in time order, stored as one row of `history_buckets` with its columns packed: times and values
 * as little-endian Float64Array bytes, kinds and qualities as one byte each, strings and reasons (rare)
 * as JSON; the source and lineage of the first point in columns, and where they change within the
 * bucket (rare: a backfill writes one lineage) as JSON runs. Writing or reading a bucket costs one row
 * instead of one per point. Pure: encoding and decoding only; the SQL is in sql-history-store.ts.
 */

/** Points per bucket at most: 32 KB of times and values; a backfill chunk (2 048 steps) fills one. */
export const BUCKET_POINTS = 4_096;

export const SOURCE_CODES: Record<TagSource, number> = { raw: 0, script: 1 };

/** A bucket as the database holds it (binary columns as base64 text, the way they travel). */
export interface BucketRow {
  tag: string;
  start: number;
  end: number;
  count: number;
  /** Base64 of Float64Array (little-endian) times, values; of Uint8Array kinds, qualities. */
  ts: string;
  values: string;
  kinds: string;
  qualities: string;
  /** JSON array of the strings (a string point's value is its index), or null. */
  texts: string | null;
  /** JSON array of [point index, reason], or null. */
  reasons: string | null;
  /** Source and lineage of the first point. */
  source: number;
  scriptId: string | null;
  scriptName: string | null;
  scriptVersion: number | null;
  /** JSON array of [point index, source, script id, name, version] where they change, or null. */
  lineage: string | null;
}

/** From point `from` on (to the next run), the points' source and lineage. */
export interface LineageRun {
  from: number;
  source: TagSource;
  script: HistoryLineage | null;
}

/** A decoded bucket: its points column-wise, their reasons (sparse) and their lineage runs (the first from 0). */
export interface Bucket {
  tag: string;
  columns: HistoryColumns;
  /** reasons[i] of point i, or undefined. */
  reasons: Map<number, string>;
  runs: LineageRun[];
}

const LITTLE_ENDIAN = endianness() === 'LE';

// PostgreSQL text cannot hold NUL, and unpaired UTF-16 surrogates are refused: such characters (possible
// in a script's string output) become U+FFFD, as the row layout does.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
export const storable = (text: string) => text.replace(UNSTORABLE, '\ufffd');

/** Same source and lineage: one run. */
function sameLineage(a: HistoryRecord, b: HistoryRecord): boolean {
  return a.source === b.source && a.script?.id === b.script?.id && a.script?.name === b.script?.name && a.script?.version === b.script?.version;
}

/**
 * Buckets of one tag's records, which must be in strictly increasing whole-millisecond ts order: cut
 * every BUCKET_POINTS.
 */
export function encodeBuckets(tag: string, records: readonly HistoryRecord[], maxPoints = BUCKET_POINTS): BucketRow[] {
  const buckets: BucketRow[] = [];
  for (let start = 0; start < records.length; start += maxPoints) buckets.push(encodeBucket(tag, records.slice(start, start + maxPoints)));
  return buckets;
}

const lineageOf = (record: Pick<HistoryRecord, 'source' | 'script'>): [number, string | null, string | null, number | null] => {
  const script = record.script;
  return [SOURCE_CODES[record.source], script ? storable(script.id) : null, script ? storable(script.name) : null, script ? script.version : null];
};

function encodeBucket(tag: string, records: readonly HistoryRecord[]): BucketRow {
  const n = records.length;
  const ts = new Float64Array(n);
  const values = new Float64Array(n);
  const kinds = new Uint8Array(n);
  const qualities = new Uint8Array(n);
  const texts: string[] = [];
  const reasons: Array<[number, string]> = [];
  const runs: Array<[number, ...ReturnType<typeof lineageOf>]> = [];
  for (let index = 0; index < n; index++) {
    const record = records[index];
    if (index > 0 && !sameLineage(records[index - 1], record)) runs.push([index, ...lineageOf(record)]);
    ts[index] = Math.round(record.ts);
    const value = record.value;
    if (typeof value === 'number') {
      kinds[index] = KIND_NUMBER;
      // -0 as 0, as the row layout stores it (its JSON has no -0).
      values[index] = value === 0 ? 0 : value;
    } else if (typeof value === 'boolean') {
      kinds[index] = value ? KIND_TRUE : KIND_FALSE;
    } else if (typeof value === 'string') {
      kinds[index] = KIND_STRING;
      values[index] = texts.length;
      texts.push(storable(value));
    } else {
      kinds[index] = KIND_NULL;
    }
    qualities[index] = qualityCode(record.quality);
    if (record.reason) reasons.push([index, record.reason]);
  }
  return packedBucketRow(tag, { ts, values, kinds, qualities }, texts, reasons, lineageOf(records[0]), runs);
}

/** The row of one bucket's packed columns (`values`: numbers, or indexes into `texts`). */
function packedBucketRow(
  tag: string,
  columns: { ts: Float64Array; values: Float64Array; kinds: Uint8Array; qualities: Uint8Array },
  texts: readonly string[],
  reasons: ReadonlyArray<readonly [number, string]>,
  [source, scriptId, scriptName, scriptVersion]: ReturnType<typeof lineageOf>,
  runs: readonly unknown[],
): BucketRow {
  const { ts, values, kinds, qualities } = columns;
  return {
    tag: storable(tag),
    start: ts[0],
    end: ts[ts.length - 1],
    count: ts.length,
    ts: float64Base64(ts),
    values: float64Base64(values),
    kinds: Buffer.from(kinds.buffer, kinds.byteOffset, kinds.byteLength).toString('base64'),
    qualities: Buffer.from(qualities.buffer, qualities.byteOffset, qualities.byteLength).toString('base64'),
    texts: texts.length > 0 ? JSON.stringify(texts) : null,
    reasons: reasons.length > 0 ? JSON.stringify(reasons) : null,
    source,
    scriptId,
    scriptName,
    scriptVersion,
    lineage: runs.length > 0 ? JSON.stringify(runs) : null,
  };
}

/**
 * Buckets of points [begin, end) of a column batch (strictly increasing whole-millisecond ts, one
 * lineage), cut every `maxPoints`: as encodeBuckets of the same records, without an object per point.
 */
export function encodeColumnBuckets(tag: string, batch: HistoryColumnBatch, begin = 0, end = batch.length, maxPoints = BUCKET_POINTS): BucketRow[] {
  const buckets: BucketRow[] = [];
  const lineage = lineageOf(batch);
  for (let start = begin; start < end; start += maxPoints) {
    const stop = Math.min(end, start + maxPoints);
    const n = stop - start;
    const ts = batch.ts.slice(start, stop);
    const values = batch.num.slice(start, stop);
    const kinds = batch.kind.slice(start, stop);
    const qualities = batch.quality.slice(start, stop);
    const texts: string[] = [];
    for (let index = 0; index < n; index++) {
      if (kinds[index] === KIND_STRING) {
        texts.push(storable(batch.texts[values[index]]));
        values[index] = texts.length - 1;
      } else if (kinds[index] !== KIND_NUMBER || values[index] === 0) {
        // -0 as 0, as the row layout stores it; nothing but numbers and string indexes in `num`.
        values[index] = 0;
      }
    }
    const reasons = batch.reasons.filter(([index]) => index >= start && index < stop).map(([index, reason]) => [index - start, reason] as const);
    buckets.push(packedBucketRow(tag, { ts, values, kinds, qualities }, texts, reasons, lineage, []));
  }
  return buckets;
}

function float64Base64(array: Float64Array): string {
  if (!LITTLE_ENDIAN) {
    const view = new DataView(new ArrayBuffer(array.length * 8));
    array.forEach((value, index) => view.setFloat64(index * 8, value, true));
    return Buffer.from(view.buffer).toString('base64');
  }
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function float64Array(base64: string, n: number): Float64Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== n * 8) throw malformed(`a column holds ${bytes.length} bytes for ${n} points`);
  const array = new Float64Array(n);
  if (LITTLE_ENDIAN) {
    new Uint8Array(array.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let index = 0; index < n; index++) array[index] = view.getFloat64(index * 8, true);
  }
  return array;
}

function bytesArray(base64: string, n: number): Uint8Array {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length !== n) throw malformed(`a column holds ${bytes.length} bytes for ${n} points`);
  return bytes;
}

/** Decodes a bucket row; throws when its columns disagree (a bucket is all or nothing). */
export function decodeBucket(row: BucketRow): Bucket {
  const n = Number(row.count);
  const columns = emptyColumns(0);
  columns.ts = float64Array(row.ts, n);
  columns.num = float64Array(row.values, n);
  columns.kind = bytesArray(row.kinds, n);
  columns.quality = bytesArray(row.qualities, n);
  columns.texts = row.texts ? (JSON.parse(row.texts) as string[]) : [];
  columns.length = n;
  for (let index = 0; index < n; index++) {
    if (index > 0 && !(columns.ts[index] > columns.ts[index - 1])) throw malformed('its times are not in ascending order');
    if (columns.quality[index] >= QUALITIES.length) columns.quality[index] = QUALITIES.indexOf('bad');
    if (columns.kind[index] === KIND_STRING && columns.texts[columns.num[index]] === undefined) throw malformed('a string point has no text');
  }
  const reasons = new Map<number, string>();
  if (row.reasons) for (const [index, reason] of JSON.parse(row.reasons) as Array<[number, string]>) reasons.set(index, reason);
  const runs = [lineageRun(0, row.source, row.scriptId, row.scriptName, row.scriptVersion)];
  if (row.lineage) {
    for (const [from, source, id, name, version] of JSON.parse(row.lineage) as Array<[number, number, string | null, string | null, number | null]>) {
      if (!(from > runs[runs.length - 1].from && from < n)) throw malformed('its lineage runs are out of order');
      runs.push(lineageRun(from, source, id, name, version));
    }
  }
  return { tag: row.tag, columns, reasons, runs };
}

function lineageRun(from: number, source: number | string, id: string | null, name: string | null, version: number | string | null): LineageRun {
  return { from, source: Number(source) === SOURCE_CODES.script ? 'script' : 'raw', script: id === null ? null : { id, name: name ?? '', version: Number(version ?? 0) } };
}

/** Point `index` of a bucket as a stored row, `run` its lineage run. */
export function bucketRow(bucket: Bucket, index: number, run: LineageRun): HistoryRow {
  const row: HistoryRow = { tag: bucket.tag, ts: bucket.columns.ts[index], value: valueAt(bucket.columns, index), quality: qualityOf(bucket.columns.quality[index]), source: run.source };
  const reason = bucket.reasons.get(index);
  if (isValueReason(reason)) row.reason = reason;
  if (run.script) row.script = { ...run.script };
  return row;
}

/** The lineage run of each point of `bucket` from `begin` to `end`, in order: calls `each(index, run)`. */
export function forEachRun(bucket: Bucket, begin: number, end: number, each: (index: number, run: LineageRun) => void): void {
  let at = 0;
  while (at + 1 < bucket.runs.length && bucket.runs[at + 1].from <= begin) at++;
  for (let index = begin; index < end; index++) {
    while (at + 1 < bucket.runs.length && bucket.runs[at + 1].from <= index) at++;
    each(index, bucket.runs[at]);
  }
}

/** Every point of a bucket as records (to merge with new ones, or to keep what a delete leaves). */
export function bucketRecords(bucket: Bucket): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  forEachRun(bucket, 0, bucket.columns.length, (index, run) => records.push(bucketRow(bucket, index, run)));
  return records;
}

/** Copies point `index` of `from` as point `at` of `to` (a string gets a new entry of `to.texts`). */
export function copyPoint(from: HistoryColumns, index: number, to: HistoryColumns, at: number): void {
  to.ts[at] = from.ts[index];
  to.quality[at] = from.quality[index];
  const kind = from.kind[index];
  if (kind === KIND_STRING) {
    setValue(to, at, from.texts[from.num[index]]);
  } else {
    to.kind[at] = kind;
    to.num[at] = kind === KIND_NUMBER ? from.num[index] : 0;
  }
}

/** The first index of a bucket's points with ts >= `ts` (binary search). */
export function firstIndexAtOrAfter(columns: HistoryColumns, ts: number): number {
  let low = 0;
  let high = columns.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (columns.ts[middle] < ts) low = middle + 1;
    else high = middle;
  }
  return low;
}

function malformed(what: string): UnexpectedError {
  return new UnexpectedError(`a bucket of history read from the database is malformed: ${what}`);
}
