import { UnexpectedError } from '../model/errors';
import {
  columnsFromPoints,
  emptyColumns,
  KIND_ABSENT,
  KIND_STRING,
  pointsFromColumns,
  type HistoryColumns,
} from './history-columns';
import type { HistoryPoint } from '../ports/history-store';

/**
 * Merges the histories of several tags (each as the store reads it: pages in time order) into one
 * time-ordered stream of instants, all points sharing a timestamp together. The plot replays a
 * script over it: the values of one instant are applied together before one evaluation.
 *
 * The merge works column-wise (`mergeColumns`): a batch of instants is one array of timestamps and,
 * per series, one column aligned with it (KIND_ABSENT where the series has no point at that
 * instant), so a week of 1 s data for three tags costs no object per point or per instant.
 * `mergeSeries` / `mergeSeriesBatches` are the same merge over points, one group object per instant.
 *
 * Memory is bounded: one page per tag plus one batch, whatever the length of the range.
 */

/** A batch of instants: `ts[i]` and, for series s, its point at that instant in `series[s]` (index i). */
export interface MergedColumns {
  length: number;
  ts: Float64Array;
  /** One column per series, in the order given; kind KIND_ABSENT where the series has no point. */
  series: HistoryColumns[];
}

export type ColumnPages = AsyncIterable<HistoryColumns>;

export interface SeriesGroup {
  ts: number;
  /** The points of the tags that have one at `ts`, by tag. */
  values: Map<string, HistoryPoint>;
}

export type SeriesChunks = AsyncIterable<readonly HistoryPoint[]>;

// Module-local copies of the kind codes: under tsx (tests, tools, `npm run dev`) an imported
// binding is read through a getter on every use, which shows in loops over millions of points.
const ABSENT = KIND_ABSENT;
const STRING = KIND_STRING;

/** Instants per batch by default: large enough that awaiting a batch costs nothing next to using it. */
const DEFAULT_BATCH_INSTANTS = 8_192;
/** Groups per batch of `mergeSeriesBatches` by default. */
const DEFAULT_BATCH_GROUPS = 1_000;

/**
 * Batches of at most `maxInstants` instants, in time order. A batch belongs to the consumer: the
 * merge never writes to it again.
 */
export async function* mergeColumns(
  series: Iterable<readonly [string, ColumnPages]>,
  options: { maxInstants?: number } = {},
): AsyncIterable<MergedColumns> {
  const maxInstants = Math.max(1, Math.floor(options.maxInstants ?? DEFAULT_BATCH_INSTANTS));
  const cursors = [...series].map(([tag, pages]) => new Cursor(tag, pages));
  const width = cursors.length;
  try {
    await Promise.all(cursors.map((cursor) => cursor.fill()));
    let remaining = cursors.filter((cursor) => !cursor.done).length;
    let previousTs = -Infinity;
    while (remaining > 0) {
      const batch = newBatch(width, maxInstants);
      let count = 0;
      while (remaining > 0 && count < maxInstants) {
        let ts = Infinity;
        for (let s = 0; s < width; s++) {
          const cursor = cursors[s];
          if (!cursor.done && cursor.headTs < ts) ts = cursor.headTs;
        }
        if (!(ts > previousTs)) {
          const late = cursors.find((cursor) => !cursor.done && cursor.headTs === ts);
          throw new UnexpectedError(`history of '${late?.tag}' is not in time order: ${ts} follows ${previousTs}`);
        }
        previousTs = ts;
        batch.ts[count] = ts;
        let exhausted = false;
        for (let s = 0; s < width; s++) {
          const cursor = cursors[s];
          const column = batch.series[s];
          if (cursor.done || cursor.headTs !== ts) {
            column.kind[count] = ABSENT;
            continue;
          }
          const page = cursor.page;
          const at = cursor.index;
          column.ts[count] = ts;
          column.quality[count] = page.quality[at];
          const kind = page.kind[at];
          column.kind[count] = kind;
          if (kind === STRING) {
            column.num[count] = column.texts.length;
            column.texts.push(page.texts[page.num[at]]);
          } else {
            column.num[count] = page.num[at];
          }
          if (cursor.advance()) exhausted = true;
        }
        count++;
        // A series whose page ran out is refilled before the next instant: the next page may hold it.
        if (exhausted) {
          await Promise.all(cursors.filter((cursor) => cursor.needsPage).map((cursor) => cursor.fill()));
          remaining = cursors.filter((cursor) => !cursor.done).length;
        }
      }
      batch.length = count;
      for (const column of batch.series) column.length = count;
      yield batch;
    }
  } finally {
    // Stopping early (or failing) must release the readers still open (their database pages, HTTP requests).
    await Promise.allSettled(cursors.filter((cursor) => !cursor.done).map((cursor) => cursor.close()));
  }
}

/** One group at a time. */
export async function* mergeSeries(series: Iterable<readonly [string, SeriesChunks]>): AsyncIterable<SeriesGroup> {
  for await (const batch of mergeSeriesBatches(series)) yield* batch;
}

/**
 * Batches of at most `maxGroups` groups (one object per instant, one per point), in time order:
 * `mergeColumns` over points.
 */
export async function* mergeSeriesBatches(
  series: Iterable<readonly [string, SeriesChunks]>,
  options: { maxGroups?: number } = {},
): AsyncIterable<SeriesGroup[]> {
  const named = [...series];
  const tags = named.map(([tag]) => tag);
  const merged = mergeColumns(
    named.map(([tag, chunks]) => [tag, columnPages(chunks)] as const),
    { maxInstants: Math.max(1, Math.floor(options.maxGroups ?? DEFAULT_BATCH_GROUPS)) },
  );
  for await (const batch of merged) {
    const groups: SeriesGroup[] = new Array(batch.length);
    const points = batch.series.map((column) => pointsFromColumns(column));
    for (let i = 0; i < batch.length; i++) {
      const values = new Map<string, HistoryPoint>();
      for (let s = 0; s < tags.length; s++) if (batch.series[s].kind[i] !== ABSENT) values.set(tags[s], points[s][i]);
      groups[i] = { ts: batch.ts[i], values };
    }
    yield groups;
  }
}

async function* columnPages(chunks: SeriesChunks): ColumnPages {
  for await (const chunk of chunks) yield columnsFromPoints(chunk);
}

function newBatch(width: number, capacity: number): MergedColumns {
  return { length: 0, ts: new Float64Array(capacity), series: Array.from({ length: width }, () => emptyColumns(capacity)) };
}

class Cursor {
  page: HistoryColumns = emptyColumns(0);
  index = 0;
  /** ts of the current point (valid while not done). */
  headTs = Infinity;
  done = false;
  private readonly iterator: AsyncIterator<HistoryColumns>;

  constructor(
    readonly tag: string,
    pages: ColumnPages,
  ) {
    this.iterator = pages[Symbol.asyncIterator]();
  }

  get needsPage(): boolean {
    return !this.done && this.index >= this.page.length;
  }

  /** Moves past the current point; true when the page ran out. */
  advance(): boolean {
    this.index++;
    if (this.index >= this.page.length) return true;
    this.headTs = this.page.ts[this.index];
    return false;
  }

  /** Moves to the next non-empty page, or marks the series done. */
  async fill(): Promise<void> {
    while (!this.done && this.index >= this.page.length) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.page = emptyColumns(0);
      } else {
        this.page = next.value;
      }
      this.index = 0;
    }
    if (!this.done) this.headTs = this.page.ts[0];
  }

  async close(): Promise<void> {
    this.done = true;
    await this.iterator.return?.();
  }
}
