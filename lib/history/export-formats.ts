import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { isoTime, type Quality, type TagScalar } from '../model/tag-value';
import type { GridBlock } from './export-grid';

/**
 * The export's two file formats over the grid's blocks: CSV (RFC 4180, header row, CRLF) and Parquet
 * (hyparquet-writer, one row group per block; docs/decisions/0014-parquet-export.md). Both turn each
 * block into bytes as soon as it is aligned, so nothing grows with the number of rows.
 */

export type ExportFormat = 'csv' | 'parquet';
export type QualityMode = 'column' | 'mask';
export type ValueType = 'double' | 'boolean' | 'string';

/** What the file holds for one tag: its value column's type, and whether it has a `.version` column. */
export interface ExportTagColumns {
  tag: string;
  type: ValueType;
  version: boolean;
}

export interface ExportLayout {
  tags: readonly ExportTagColumns[];
  quality: QualityMode;
}

/** The column names, in order: ts, then per tag `<tag>`, `<tag>.quality` and, for computed tags, `<tag>.version`. */
export function columnNames(layout: ExportLayout): string[] {
  const names = ['ts'];
  for (const { tag, version } of layout.tags) {
    names.push(tag, `${tag}.quality`);
    if (version) names.push(`${tag}.version`);
  }
  return names;
}

/** A block's cell in the value column of `type`: a value of another type is converted where it means the same, else empty. */
export function cellValue(value: TagScalar, type: ValueType): number | boolean | string | null {
  if (value === null) return null;
  switch (type) {
    case 'double':
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      return null;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return Number.isNaN(value) ? null : value !== 0;
      return null;
    default:
      return typeof value === 'string' ? value : String(value);
  }
}

/** `quality=column`: the quality's name or empty; `mask`: 1 for good, 0 otherwise (no value included). */
export function qualityCell(quality: Quality | null, mode: QualityMode): string | number | null {
  if (mode === 'mask') return quality === 'good' ? 1 : 0;
  return quality;
}

// ---------------------------------------------------------------------------------------------------
// CSV

const encoder = new TextEncoder();

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvCell(value: number | boolean | string | null): string {
  if (value === null) return '';
  if (typeof value === 'string') return csvField(value);
  return String(value);
}

export function csvHeader(layout: ExportLayout): Uint8Array {
  return encoder.encode(`${columnNames(layout).map(csvField).join(',')}\r\n`);
}

export function csvBlock(layout: ExportLayout, block: GridBlock): Uint8Array {
  const lines: string[] = new Array(block.ts.length);
  for (let row = 0; row < block.ts.length; row++) {
    let line = isoTime(block.ts[row]);
    for (let t = 0; t < layout.tags.length; t++) {
      const columns = layout.tags[t];
      const cells = block.tags[t];
      line += `,${csvCell(cellValue(cells.values[row], columns.type))},${csvCell(qualityCell(cells.qualities[row], layout.quality))}`;
      if (columns.version) line += `,${csvCell(cells.versions[row])}`;
    }
    lines[row] = line;
  }
  return encoder.encode(lines.length === 0 ? '' : `${lines.join('\r\n')}\r\n`);
}

// ---------------------------------------------------------------------------------------------------
// Parquet

type SchemaElement = ConstructorParameters<typeof ParquetWriter>[0]['schema'][number];

const STRING: Pick<SchemaElement, 'type' | 'converted_type' | 'logical_type'> = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } };
const PARQUET_TYPE: Record<ValueType, Pick<SchemaElement, 'type' | 'converted_type' | 'logical_type'>> = {
  double: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  string: STRING,
};

/**
 * The Parquet schema: `ts` timestamp(ms, UTC), values double/boolean/string, the quality a string
 * (`column`) or a double 1/0 (`mask`), the version a double (empty where no script wrote the value).
 */
export function parquetSchema(layout: ExportLayout): SchemaElement[] {
  const schema: SchemaElement[] = [
    { name: 'ts', type: 'INT64', repetition_type: 'REQUIRED', converted_type: 'TIMESTAMP_MILLIS', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' } },
  ];
  for (const { tag, type, version } of layout.tags) {
    schema.push({ name: tag, repetition_type: 'OPTIONAL', ...PARQUET_TYPE[type] });
    schema.push(
      layout.quality === 'mask'
        ? { name: `${tag}.quality`, type: 'DOUBLE', repetition_type: 'REQUIRED' }
        : { name: `${tag}.quality`, repetition_type: 'OPTIONAL', ...STRING },
    );
    if (version) schema.push({ name: `${tag}.version`, type: 'DOUBLE', repetition_type: 'OPTIONAL' });
  }
  return [{ name: 'root', num_children: schema.length }, ...schema];
}

/** A Parquet file written block by block: each block a row group, its bytes handed out at once. */
export class ParquetStream {
  private readonly writer = new ByteWriter(1 << 20);
  private readonly parquet: ParquetWriter;

  constructor(private readonly layout: ExportLayout) {
    this.parquet = new ParquetWriter({ writer: this.writer, schema: parquetSchema(layout), createdBy: 'Script Server export (hyparquet-writer)' });
  }

  /** The magic number, then the row group of `block`: the bytes to send now. */
  async block(block: GridBlock): Promise<Uint8Array> {
    const count = block.ts.length;
    const columnData: { name: string; data: unknown[] }[] = [{ name: 'ts', data: block.ts.map((ts) => BigInt(ts)) }];
    for (let t = 0; t < this.layout.tags.length; t++) {
      const { tag, type, version } = this.layout.tags[t];
      const cells = block.tags[t];
      const values = new Array(count);
      const qualities = new Array(count);
      for (let row = 0; row < count; row++) {
        values[row] = cellValue(cells.values[row], type);
        qualities[row] = qualityCell(cells.qualities[row], this.layout.quality);
      }
      columnData.push({ name: tag, data: values }, { name: `${tag}.quality`, data: qualities });
      if (version) columnData.push({ name: `${tag}.version`, data: cells.versions });
    }
    if (count > 0) await this.parquet.write({ columnData: columnData as never, rowGroupSize: count });
    return this.take();
  }

  /** The footer (metadata): the last bytes of the file. */
  async finish(): Promise<Uint8Array> {
    await this.parquet.finish();
    return this.take();
  }

  /** The bytes written since the last call; the buffer is then reused (as hyparquet-writer's own file writer does). */
  private take(): Uint8Array {
    const bytes = this.writer.getBytes().slice();
    this.writer.index = 0;
    return bytes;
  }
}
