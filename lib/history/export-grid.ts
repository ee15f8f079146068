import { UserError } from '../model/errors';
import type { HistoryRow } from '../ports/history-store';
import type { Quality, TagScalar } from '../model/tag-value';
import { columnsFromPoints, emptyColumns, qualityOf, valueAt, type HistoryColumns } from './history-columns';

/**
 * The export's time grid (history-ml.md "Export for training"): one row per `step` for row times in
 * [from, to), and per tag the value it had at each row time. Framework-free and streaming: rows are
 * produced in blocks, each tag's history read through as the grid advances, so memory holds one block
 * and one chunk of each tag whatever the period.
 */

export type ExportFill = 'previous' | 'none';

/** One tag's cells over a block of rows: value, quality and lineage version, or null where empty. */
export interface TagCells {
  values: TagScalar[];
  qualities: (Quality | null)[];
  versions: (number | null)[];
}

export interface GridBlock {
  /** Row times (epoch ms). */
  ts: number[];
  /** In the order of the tags asked for. */
  tags: TagCells[];
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `1s`, `500ms`, `1m`, `15m`, `1h`, `1d`, or an ISO 8601 duration of days and time (`PT1S`, `PT15M`,
 * `P1DT12H`, `PT0.5S`, `P1W`): a step in whole milliseconds. Months and years are refused (their
 * length varies). Throws a UserError saying what is accepted.
 */
export function parseStep(text: string): number {
  const trimmed = text.trim();
  const short = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(trimmed);
  let ms: number | null = null;
  if (short) {
    ms = Number(short[1]) * UNITS[short[2].toLowerCase()];
  } else {
    const iso = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(trimmed);
    if (iso && trimmed.length > 1 && !/T$/i.test(trimmed)) {
      const [, weeks, days, hours, minutes, seconds] = iso.map((part) => (part === undefined ? 0 : Number(part))) as number[];
      ms = weeks * 7 * UNITS.d + days * UNITS.d + hours * UNITS.h + minutes * UNITS.m + seconds * UNITS.s;
    } else if (/^P.*\d+(?:\.\d+)?[YM]/i.test(trimmed) && !/T.*M/i.test(trimmed)) {
      throw new UserError('VALIDATION_FAILED', `step '${trimmed.slice(0, 40)}': months and years have no fixed length; use days (e.g. P30D)`);
    }
  }
  if (ms === null || !Number.isFinite(ms)) {
    throw new UserError('VALIDATION_FAILED', `step '${trimmed.slice(0, 40)}' is not a step; use e.g. 1s, 1m, 15m, 1h, 1d or an ISO 8601 duration such as PT15M`);
  }
  if (!Number.isInteger(ms) || ms < 1) {
    throw new UserError('VALIDATION_FAILED', `step '${trimmed.slice(0, 40)}' must be a whole number of milliseconds, at least 1 ms`);
  }
  return ms;
}

/** Rows of the grid: row times from, from + step, … while < to. */
export function gridRowCount(from: number, to: number, step: number): number {
  return to > from ? Math.ceil((to - from) / step) : 0;
}

/**
 * Where a tag's history must start to be read for the first row, and what to seed it with: with
 * `previous`, the point held at `from` may be older than `from` (the caller reads it and passes it as
 * `before`); with `none`, only points in (row − step, row] count, so reading starts after from − step.
 */
export function readStart(from: number, step: number, fill: ExportFill): number {
  return fill === 'none' ? from - step + 1 : from;
}

/** One page of a tag's points, column-wise, with each point's script version (NaN: none) or null when not asked for. */
export interface CursorPage {
  columns: HistoryColumns;
  versions: Float64Array | null;
}

/** Rows (with lineage) as cursor pages: what a computed tag is read as, for its `.version` column. */
export function rowsPage(rows: readonly HistoryRow[]): CursorPage {
  const versions = new Float64Array(rows.length);
  for (let index = 0; index < rows.length; index++) versions[index] = rows[index].script?.version ?? Number.NaN;
  return { columns: columnsFromPoints(rows), versions };
}

export async function* rowPages(chunks: AsyncIterable<HistoryRow[]>): AsyncIterable<CursorPage> {
  for await (const rows of chunks) yield rowsPage(rows);
}

/** Columns without lineage as cursor pages: what a raw tag is read as (no object per point). */
export async function* columnPages(pages: AsyncIterable<HistoryColumns>): AsyncIterable<CursorPage> {
  for await (const columns of pages) yield { columns, versions: null };
}

const NO_PAGE: CursorPage = { columns: emptyColumns(0), versions: null };

/**
 * Reads one tag's points (in time order) as the grid advances, a page at a time, and holds the last
 * point at or before the time asked for (a reference into its page: no object per point).
 */
export class TagCursor {
  private page: CursorPage = NO_PAGE;
  private index = 0;
  private done = false;
  private held: CursorPage | null = null;
  private heldIndex = 0;
  private readonly iterator: AsyncIterator<CursorPage>;

  /** `before`: the point held before the first page (fill=previous), or null. */
  constructor(pages: AsyncIterable<CursorPage>, before: CursorPage | null) {
    this.iterator = pages[Symbol.asyncIterator]();
    if (before !== null && before.columns.length > 0) {
      this.held = before;
      this.heldIndex = before.columns.length - 1;
    }
  }

  /** Moves to the last point at or before `ts` (ascending times only): whether there is one; undefined when a page must be read first. */
  atNow(ts: number): boolean | undefined {
    const columns = this.page.columns;
    while (this.index < columns.length) {
      if (columns.ts[this.index] > ts) return this.held !== null;
      this.held = this.page;
      this.heldIndex = this.index++;
    }
    return this.done ? this.held !== null : undefined;
  }

  async at(ts: number): Promise<boolean> {
    for (;;) {
      const found = this.atNow(ts);
      if (found !== undefined) return found;
      const next = await this.iterator.next();
      if (next.done) this.done = true;
      else {
        this.page = next.value;
        this.index = 0;
        // The embedded store answers without a turn of the event loop: give requests and the bus one.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  /** The held point (after `at` answered true). */
  get ts(): number {
    return this.held!.columns.ts[this.heldIndex];
  }
  get value(): TagScalar {
    return valueAt(this.held!.columns, this.heldIndex);
  }
  get quality(): Quality {
    return qualityOf(this.held!.columns.quality[this.heldIndex]);
  }
  get version(): number | null {
    const version = this.held!.versions?.[this.heldIndex];
    return version === undefined || Number.isNaN(version) ? null : version;
  }

  async close(): Promise<void> {
    await this.iterator.return?.();
  }
}

/**
 * The cells of rows `firstRow` … `firstRow + count − 1` for each cursor: with `previous`, the last
 * point at or before the row time; with `none`, that point only when it is in (row − step, row].
 * A point whose value is null gives an empty value with its quality; no point gives all empty.
 */
export async function alignBlock(
  cursors: readonly TagCursor[],
  grid: { from: number; step: number; fill: ExportFill },
  firstRow: number,
  count: number,
): Promise<GridBlock> {
  const ts: number[] = new Array(count);
  for (let i = 0; i < count; i++) ts[i] = grid.from + (firstRow + i) * grid.step;
  const tags: TagCells[] = [];
  for (const cursor of cursors) {
    const cells: TagCells = { values: new Array(count), qualities: new Array(count), versions: new Array(count) };
    for (let i = 0; i < count; i++) {
      const found = cursor.atNow(ts[i]) ?? (await cursor.at(ts[i]));
      if (!found || (grid.fill === 'none' && cursor.ts <= ts[i] - grid.step)) {
        cells.values[i] = null;
        cells.qualities[i] = null;
        cells.versions[i] = null;
      } else {
        cells.values[i] = cursor.value;
        cells.qualities[i] = cursor.quality;
        cells.versions[i] = cursor.version;
      }
    }
    tags.push(cells);
  }
  return { ts, tags };
}
