import { UserError } from '../model/errors';
import { isoTime, type TagScalar } from '../model/tag-value';
import type { HistoryRow, HistoryStore } from '../ports/history-store';
import type { TagCatalog } from '../tags/tag-catalog';
import type { TagDirectory } from '../tags/tag-directory';
import { alignBlock, columnPages, gridRowCount, parseStep, readStart, rowPages, rowsPage, TagCursor, type CursorPage, type ExportFill } from './export-grid';
import { readHistoryColumns } from './history-columns';
import { csvBlock, csvHeader, ParquetStream, type ExportFormat, type ExportLayout, type ExportTagColumns, type QualityMode, type ValueType } from './export-formats';
import { parseRange } from './get-tag-history';

/**
 * GET /api/export (history-ml.md "Export for training"): several tags aligned on a time grid, streamed
 * as CSV or Parquet. Everything that can be refused is checked before the first byte is sent; then
 * the file is produced block by block as the tags' history is read through.
 */

export const MAX_EXPORT_TAGS = 200;
/** Grid rows per block (one CSV piece or one Parquet row group), fewer with many tags: cells per block stay bounded. */
const BLOCK_ROWS = 8_192;
const CELLS_PER_BLOCK = 2_000_000;
/** Points held per tag while reading (fewer when many tags are exported together). */
const POINTS_IN_MEMORY = 400_000;
/**
 * From this step on, a store that can (readLastPerStep) is asked for the last point of each row's
 * interval instead of every point: a row needs no other (docs/performance.md, "Export on a coarse grid").
 */
export const COARSE_STEP_MS = 10_000;

export interface ExportPorts {
  history: Pick<HistoryStore, 'read' | 'readRows' | 'readLatestBefore' | 'readLastPerStep'>;
  catalog: Pick<TagCatalog, 'get'>;
  tagDirectory: Pick<TagDirectory, 'refresh' | 'producerOf'>;
  config: { EXPORT_MAX_ROWS: number };
}

export interface ExportQuery {
  tags: string;
  from?: string;
  to?: string;
  step?: string;
  format?: ExportFormat;
  fill?: ExportFill;
  quality?: QualityMode;
}

export interface ExportFile {
  filename: string;
  contentType: string;
  rows: number;
  layout: ExportLayout;
  body: AsyncIterable<Uint8Array>;
}

export const CONTENT_TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', parquet: 'application/vnd.apache.parquet' };

export async function exportHistory(services: ExportPorts, query: ExportQuery, now = Date.now()): Promise<ExportFile> {
  const tags = parseTags(query.tags);
  const { from, to } = parseRange(query.from, query.to, now);
  const step = parseStep(query.step ?? '1m');
  const fill = query.fill ?? 'previous';
  const format = query.format ?? 'csv';
  const rows = gridRowCount(from, to, step);
  const max = services.config.EXPORT_MAX_ROWS;
  if (rows > max) {
    throw new UserError(
      'VALIDATION_FAILED',
      `the export would have ${rows} rows, more than EXPORT_MAX_ROWS (${max}); choose a larger step or a shorter period, or export it in parts`,
      { limit: 'EXPORT_MAX_ROWS', max, rows },
    );
  }
  await services.tagDirectory.refresh();
  const columns: ExportTagColumns[] = [];
  const seeds: (CursorPage | null)[] = [];
  const unknown: string[] = [];
  for (const tag of tags) {
    const computed = services.tagDirectory.producerOf(tag) !== null || services.catalog.get(tag)?.source === 'script';
    // The point held at the first row (fill=previous), and the tag's type when the catalog has no value.
    const held = await services.history.readLatestBefore(tag, fill === 'previous' ? from : to);
    if (held === null && !services.catalog.get(tag) && services.tagDirectory.producerOf(tag) === null) unknown.push(tag);
    const seed = fill === 'previous' && held !== null && held.ts < from ? await fullRow(services, tag, held.ts) : null;
    seeds.push(seed === null ? null : rowsPage([seed]));
    columns.push({ tag, type: valueType(services.catalog.get(tag)?.value ?? held?.value ?? null), version: computed });
  }
  if (unknown.length > 0) {
    throw new UserError('NOT_FOUND', `no tag ${unknown.map((tag) => `'${tag}'`).join(', ')}: not in the tag list and no history; check the names (GET /api/tags)`, {
      tags: unknown,
    });
  }
  const layout: ExportLayout = { tags: columns, quality: query.quality ?? 'column' };
  const blockRows = Math.max(1024, Math.min(BLOCK_ROWS, Math.floor(CELLS_PER_BLOCK / (tags.length * 3))));
  const chunkSize = Math.max(500, Math.min(10_000, Math.floor(POINTS_IN_MEMORY / tags.length)));
  const start = readStart(from, step, fill);
  const end = from + rows * step - step + 1;
  const filename = `history-${compactTime(from)}-${compactTime(to)}.${format}`;

  async function* body(): AsyncIterable<Uint8Array> {
    // On a coarse grid only the last point of each row's interval (with its lineage); else raw tags
    // column-wise (no object per point), computed tags with their lineage, for `.version`.
    const lastPerStep = step >= COARSE_STEP_MS ? services.history.readLastPerStep?.bind(services.history) : undefined;
    const pages = (index: number): AsyncIterable<CursorPage> =>
      lastPerStep
        ? rowPages(lastPerStep(tags[index], start, end, { first: from, step }, { chunkSize }))
        : columns[index].version
        ? rowPages(services.history.readRows([tags[index]], start, end, { chunkSize }))
        : columnPages(readHistoryColumns(services.history, tags[index], start, end - 1, { chunkSize }));
    const cursors = tags.map((_, index) => new TagCursor(pages(index), seeds[index]));
    const parquet = format === 'parquet' ? new ParquetStream(layout) : null;
    try {
      if (!parquet) yield csvHeader(layout);
      for (let first = 0; first < rows; first += blockRows) {
        const block = await alignBlock(cursors, { from, step, fill }, first, Math.min(blockRows, rows - first));
        yield parquet ? await parquet.block(block) : csvBlock(layout, block);
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (parquet) yield await parquet.finish();
    } finally {
      await Promise.allSettled(cursors.map((cursor) => cursor.close()));
    }
  }

  return { filename, contentType: CONTENT_TYPES[format], rows, layout, body: body() };
}

/** The comma-separated tag names: at least one, at most MAX_EXPORT_TAGS, each once. */
function parseTags(text: string): string[] {
  const tags = [...new Set(text.split(',').map((tag) => tag.trim()).filter((tag) => tag !== ''))];
  if (tags.length === 0) throw new UserError('VALIDATION_FAILED', 'tags: name at least one tag, e.g. tags=FT-101.PV,TT-201.PV');
  if (tags.length > MAX_EXPORT_TAGS) {
    throw new UserError('VALIDATION_FAILED', `tags: at most ${MAX_EXPORT_TAGS} tags per export, got ${tags.length}; export them in several files`, {
      limit: 'tags',
      max: MAX_EXPORT_TAGS,
      tags: tags.length,
    });
  }
  return tags;
}

/** The stored point of `tag` at `ts` with its lineage (readLatestBefore has none). */
async function fullRow(services: ExportPorts, tag: string, ts: number): Promise<HistoryRow | null> {
  for await (const chunk of services.history.readRows([tag], ts, ts + 1)) if (chunk.length > 0) return chunk[0];
  return null;
}

/** A tag's column type, from a value it holds: numbers (and unknown) double. */
function valueType(value: TagScalar): ValueType {
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'string') return 'string';
  return 'double';
}

/** 2026-01-02T03:04:05.000Z → 20260102T030405Z, for file names. */
function compactTime(ts: number): string {
  return isoTime(ts).replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}
