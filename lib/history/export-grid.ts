import { UserError } from '../model/errors';
import type { HistoryRow } from '../ports/history-store';
import type { Quality, TagScalar } from '../model/tag-value';

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

/** Reads one tag's rows (in time order) as the grid advances, keeping one chunk at a time. */
export class TagCursor {
  private chunk: HistoryRow[] = [];
  private index = 0;
  private done = false;
  private readonly iterator: AsyncIterator<HistoryRow[]>;

  /** `before`: the last point before the stream (fill=previous), or null. */
  constructor(
    rows: AsyncIterable<HistoryRow[]>,
    private last: HistoryRow | null,
  ) {
    this.iterator = rows[Symbol.asyncIterator]();
  }

  /** `at` without waiting, or undefined when the next chunk must be read first (the common case is synchronous). */
  atNow(ts: number): HistoryRow | null | undefined {
    while (this.index < this.chunk.length) {
      const next = this.chunk[this.index];
      if (next.ts > ts) return this.last;
      this.last = next;
      this.index++;
    }
    return this.done ? this.last : undefined;
  }

  /** The last point at or before `ts` (the stream must only be asked for ascending times). */
  async at(ts: number): Promise<HistoryRow | null> {
    for (;;) {
      if (this.index < this.chunk.length) {
        const next = this.chunk[this.index];
        if (next.ts > ts) return this.last;
        this.last = next;
        this.index++;
        continue;
      }
      if (this.done) return this.last;
      const more = await this.iterator.next();
      if (more.done) this.done = true;
      else {
        this.chunk = more.value;
        this.index = 0;
      }
    }
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
      const point = cursor.atNow(ts[i]) ?? (await cursor.at(ts[i]));
      if (point === null || (grid.fill === 'none' && point.ts <= ts[i] - grid.step)) {
        cells.values[i] = null;
        cells.qualities[i] = null;
        cells.versions[i] = null;
      } else {
        cells.values[i] = point.value;
        cells.qualities[i] = point.quality;
        cells.versions[i] = point.script?.version ?? null;
      }
    }
    tags.push(cells);
  }
  return { ts, tags };
}
