import type { HistoryColumnPoints, HistoryPoint, HistoryStore } from '../ports/history-store';
import { QUALITIES, type Quality, type TagScalar } from '../model/tag-value';

/**
 * History points column-wise: one typed array per field instead of one object per point. Long reads
 * (a plot over a week of 1 s data is 1.8 million points) go from the store through the merge to the
 * replay without allocating an object per point.
 *
 * The kind codes are those of the replay chunks sent to the lab (plot-replay.ts `ReplayChunk`).
 */

export const KIND_NULL = 0;
export const KIND_NUMBER = 1;
export const KIND_FALSE = 2;
export const KIND_TRUE = 3;
export const KIND_STRING = 4;
/** In a merged batch: the series has no point at this instant. */
export const KIND_ABSENT = 255;

/** One series' points column-wise (the layout is declared with the history port). */
export type HistoryColumns = HistoryColumnPoints;

/** A store that can read column-wise (both stores here can; a plain HistoryStore is adapted). */
/** How a read is paged; `bulk`: a background job's read, served after requests' statements where the store can. */
export interface HistoryReadOptions {
  chunkSize?: number;
  bulk?: boolean;
}

export interface ColumnarHistoryReader {
  readColumns(tag: string, from: number, to: number, options?: HistoryReadOptions): AsyncIterable<HistoryColumns>;
}

export const QUALITY_CODES: ReadonlyMap<Quality, number> = new Map(QUALITIES.map((quality, index) => [quality, index]));
const BAD = QUALITIES.indexOf('bad');
/** A module-local copy: under tsx an imported binding is read through a getter on every use. */
const QUALITY_NAMES = QUALITIES;

export function emptyColumns(capacity: number): HistoryColumns {
  return {
    length: 0,
    ts: new Float64Array(capacity),
    kind: new Uint8Array(capacity),
    num: new Float64Array(capacity),
    quality: new Uint8Array(capacity),
    texts: [],
  };
}

/** The value of point `index`. */
export function valueAt(columns: HistoryColumns, index: number): TagScalar {
  switch (columns.kind[index]) {
    case KIND_NUMBER:
      return columns.num[index];
    case KIND_FALSE:
      return false;
    case KIND_TRUE:
      return true;
    case KIND_STRING:
      return columns.texts[columns.num[index]];
    default:
      return null;
  }
}

export function qualityOf(code: number): Quality {
  return QUALITY_NAMES[code] ?? 'bad';
}

export function qualityCode(quality: Quality): number {
  return QUALITY_CODES.get(quality) ?? BAD;
}

/** Writes `value` as point `index` (kind, and num or a new entry of `texts`). */
export function setValue(columns: HistoryColumns, index: number, value: TagScalar): void {
  if (typeof value === 'number') {
    columns.kind[index] = KIND_NUMBER;
    columns.num[index] = value;
  } else if (value === null || value === undefined) {
    columns.kind[index] = KIND_NULL;
    columns.num[index] = 0;
  } else if (typeof value === 'boolean') {
    columns.kind[index] = value ? KIND_TRUE : KIND_FALSE;
    columns.num[index] = 0;
  } else {
    columns.kind[index] = KIND_STRING;
    columns.num[index] = columns.texts.length;
    columns.texts.push(value);
  }
}

export function columnsFromPoints(points: readonly HistoryPoint[]): HistoryColumns {
  const columns = emptyColumns(points.length);
  for (let index = 0; index < points.length; index++) {
    const point = points[index];
    columns.ts[index] = point.ts;
    setValue(columns, index, point.value);
    columns.quality[index] = qualityCode(point.quality);
  }
  columns.length = points.length;
  return columns;
}

export function pointsFromColumns(columns: HistoryColumns): HistoryPoint[] {
  const points: HistoryPoint[] = new Array(columns.length);
  for (let index = 0; index < columns.length; index++) {
    points[index] = { ts: columns.ts[index], value: valueAt(columns, index), quality: QUALITY_NAMES[columns.quality[index]] ?? 'bad' };
  }
  return points;
}

export function isColumnarReader(store: unknown): store is ColumnarHistoryReader {
  return typeof (store as Partial<ColumnarHistoryReader> | null)?.readColumns === 'function';
}

/** `store.readColumns` when the store has it, otherwise its `read` turned into columns. */
export function readHistoryColumns(
  store: Pick<HistoryStore, 'read'>,
  tag: string,
  from: number,
  to: number,
  options: HistoryReadOptions = {},
): AsyncIterable<HistoryColumns> {
  if (isColumnarReader(store)) return store.readColumns(tag, from, to, options);
  return mapChunks(store.read(tag, from, to, { chunkSize: options.chunkSize }), columnsFromPoints);
}

/** `read` of a columnar store: the same pages as points. */
export async function* pointChunks(pages: AsyncIterable<HistoryColumns>): AsyncIterable<HistoryPoint[]> {
  for await (const page of pages) if (page.length > 0) yield pointsFromColumns(page);
}

async function* mapChunks<A, B>(source: AsyncIterable<A>, map: (chunk: A) => B): AsyncIterable<B> {
  for await (const chunk of source) yield map(chunk);
}
