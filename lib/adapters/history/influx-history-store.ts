import { messageOf, OperationalError } from '../../model/errors';
import type { HistoryPoint, HistoryRecord, HistoryRow, HistoryStore } from '../../ports/history-store';
import { mergeRowStreams } from '../../history/merge-row-streams';
import {
  emptyColumns,
  KIND_FALSE,
  KIND_NULL,
  KIND_NUMBER,
  KIND_TRUE,
  pointChunks,
  setValue,
  type HistoryColumns,
} from '../../history/history-columns';
import { readAhead } from '../../history/read-ahead';
import { decodeMsgpack, PackedRows } from './msgpack';
import { isValueReason, QUALITIES, type Quality, type TagScalar } from '../../model/tag-value';

/**
 * History in InfluxDB through the v1-compatible HTTP API (/write, /query, /ping), which InfluxDB 1.x,
 * 2.x (with a DBRP mapping) and 3.x all serve, so one adapter covers them without a client library.
 *
 * Layout: measurement `tag_values`, one Influx tag `tag` holding the tag name, fields
 *   kind     "number" | "boolean" | "string" | "null" | "nonfinite"  (how to read the point)
 *   value    float: the number, or 0/1 for a boolean
 *   text     the string (or "NaN"/"Infinity"/"-Infinity" for kind "nonfinite")
 *   quality  integer 0 good, 1 uncertain, 2 bad
 *   source   "raw" | "script"
 *   reason   why a computed value reports a failure or a stop (messages.md), only on those points
 *   script_id, script_name, script_version (integer)   the lineage of a computed value, only on those
 * The series key is the measurement and the tag name only, so writing the same (tag, ts) again
 * replaces the point (InfluxDB's rule for an identical series and timestamp). InfluxDB merges the
 * field sets of the two writes, so a field the new point lacks survives from the old one: readers
 * must go by `kind` (a string written over a number keeps the stale `value`, which is ignored), and
 * lineage is read only from points whose `source` is "script".
 */

export interface InfluxHistoryStoreOptions {
  /** Base URL, e.g. http://127.0.0.1:8086 (a path prefix is kept). */
  url: string;
  database: string;
  /** InfluxDB 2.x/3.x token, sent as `Authorization: Token …`. */
  token?: string;
  /** InfluxDB 1.x credentials, sent as HTTP Basic authentication. */
  username?: string;
  password?: string;
  /** Per request; a request without an answer in time counts as InfluxDB unavailable. */
  timeoutMs?: number;
  /** Lines per write request. */
  batchSize?: number;
  /**
   * Ask for gzip-compressed answers. Off by default: InfluxDB is usually near (same host or LAN),
   * where compressing an answer costs InfluxDB more than twice the time of producing it (measured:
   * a page of 50 000 points 0.33 s plain, 0.67 s gzipped) and this process as much again to inflate.
   * Worth it only over a slow link.
   */
  compression?: boolean;
  /**
   * Called for a record that line protocol cannot carry (a tag name ending in a backslash), which is
   * left out rather than failing the whole batch. Defaults to ignoring it.
   */
  onSkipped?: (record: HistoryRecord, reason: string) => void;
}

export const INFLUX_MEASUREMENT = 'tag_values';
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_BATCH_LINES = 5_000;
/** Points per page by default: each page is one HTTP request and one query for InfluxDB to plan. */
const DEFAULT_READ_CHUNK = 50_000;
const QUERY_COLUMNS = ['value', 'text', 'kind', 'quality'] as const;
const MSGPACK = 'application/x-msgpack';
/** The two streams of a long read (see readColumns). */
const VALUE_COLUMNS = ['value', 'quality'] as const;
const KIND_COLUMNS = ['kind', 'text'] as const;
/** Every field, for reads with lineage (readRows). */
const ROW_COLUMNS = ['value', 'text', 'kind', 'quality', 'source', 'reason', 'script_id', 'script_name', 'script_version'] as const;
const BAD_QUALITY = QUALITIES.indexOf('bad');
// Module-local copies for the page loop: under tsx an imported binding is read through a getter on every use.
const QUALITY_NAMES = QUALITIES;
const NUMBER = KIND_NUMBER;
const NULL = KIND_NULL;

/** Rows of a query answer, and the index in a row of `time` and of each column asked for. */
interface RowPage {
  /** As JSON carries them, or packed (MessagePack answers). */
  rows: Rows;
  at: number[];
}

type Kind = 'number' | 'boolean' | 'string' | 'null' | 'nonfinite';

interface QueryResponse {
  results?: {
    statement_id?: number;
    error?: string;
    partial?: boolean;
    series?: { name: string; columns: string[]; values: Rows }[];
  }[];
  error?: string;
}

export class InfluxHistoryStore implements HistoryStore {
  readonly kind = 'influx' as const;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly batchSize: number;
  /** Whether to ask for MessagePack answers to reads (until the server refuses it). */
  private msgpack = true;

  constructor(private readonly options: InfluxHistoryStoreOptions) {
    const parsed = new URL(options.url);
    const headers: Record<string, string> = {};
    if (options.token) {
      headers.authorization = `Token ${options.token}`;
    } else if (options.username || parsed.username) {
      const username = options.username ?? decodeURIComponent(parsed.username);
      const password = options.password ?? decodeURIComponent(parsed.password);
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    // Credentials travel in the header, never in URLs that could end up in a log or a message.
    parsed.username = '';
    parsed.password = '';
    this.baseUrl = parsed.toString().replace(/\/+$/, '');
    // fetch asks for gzip by default.
    if (!options.compression) headers['accept-encoding'] = 'identity';
    this.headers = headers;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_LINES);
  }

  get database(): string {
    return this.options.database;
  }

  async write(records: readonly HistoryRecord[]): Promise<void> {
    await this.writeBulk(records);
  }

  /** Lines go in requests of `batchSize`; records line protocol cannot carry are left out (onSkipped) and not counted. */
  async writeBulk(records: readonly HistoryRecord[]): Promise<number> {
    let written = 0;
    let lines: string[] = [];
    for (const record of records) {
      const line = toLine(record);
      if (typeof line !== 'string') {
        this.options.onSkipped?.(record, line.skipped);
        continue;
      }
      lines.push(line);
      if (lines.length >= this.batchSize) {
        await this.writeLines(lines);
        written += lines.length;
        lines = [];
      }
    }
    if (lines.length > 0) await this.writeLines(lines);
    return written + lines.length;
  }

  readRows(tags: readonly string[], from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryRow[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    return mergeRowStreams(
      tags.map((tag) => this.readTagRows(tag, from, to, chunkSize)),
      chunkSize,
    );
  }

  async *readTimestamps(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<number[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    for await (const page of this.pages(tag, ['quality'], '', Math.ceil(from), Math.ceil(to) - 1, chunkSize)) {
      yield Array.from({ length: page.rows.length }, (_, row) => Number(cell(page.rows, row, page.at[0])));
    }
  }

  /** Counts the points first (InfluxDB's DELETE does not say how many it removed). */
  async deleteRange(tag: string, from: number, to: number): Promise<number> {
    const where = `WHERE "tag" = ${quoteString(tag)} AND time >= ${Math.ceil(from)}ms AND time < ${Math.ceil(to)}ms`;
    if (!(Math.ceil(from) < Math.ceil(to))) return 0;
    const counted = await this.selectRows(`SELECT COUNT("quality") FROM ${quoteIdentifier(INFLUX_MEASUREMENT)} ${where}`, ['count']);
    const count = counted.rows.length > 0 ? Number(cell(counted.rows, 0, counted.at[1])) : 0;
    if (count === 0) return 0;
    firstResult(await this.query('POST', `DELETE FROM ${quoteIdentifier(INFLUX_MEASUREMENT)} ${where}`));
    return count;
  }

  /** One tag's points in [from, to) with every field, in pages of `chunkSize`. */
  private async *readTagRows(tag: string, from: number, to: number, chunkSize: number): AsyncIterable<HistoryRow[]> {
    for await (const page of this.pages(tag, ROW_COLUMNS, '', Math.ceil(from), Math.ceil(to) - 1, chunkSize)) {
      const [timeAt, valueAt, textAt, kindAt, qualityAt, sourceAt, reasonAt, idAt, nameAt, versionAt] = page.at;
      const rows: HistoryRow[] = new Array(page.rows.length);
      for (let index = 0; index < rows.length; index++) {
        const get = (at: number) => cell(page.rows, index, at);
        const row: HistoryRow = {
          tag,
          ts: Number(get(timeAt)),
          value: decodeValue(get(kindAt) as Kind | null, get(valueAt) as number | null, get(textAt) as string | null),
          quality: QUALITIES[Number(get(qualityAt))] ?? 'bad',
          source: get(sourceAt) === 'script' ? 'script' : 'raw',
        };
        const reason = get(reasonAt);
        if (isValueReason(reason)) row.reason = reason;
        const id = get(idAt);
        if (row.source === 'script' && typeof id === 'string') row.script = { id, name: String(get(nameAt) ?? ''), version: Number(get(versionAt) ?? 0) };
        rows[index] = row;
      }
      yield rows;
    }
  }

  async *read(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryPoint[]> {
    yield* pointChunks(this.readColumns(tag, from, to, options));
  }

  /**
   * The points of `tag` with from <= ts <= to, column-wise, in pages of at most `chunkSize` points.
   *
   * Two streams are read side by side: every point's value and quality (most points are numbers),
   * and the kind and text of the points that are not numbers. InfluxDB 1.x joins the fields of a
   * query by time, at a cost that grows with each field: two narrow queries cost about 30 % less
   * than one with four fields (and the second one returns next to nothing for numeric tags).
   * A point without a kind field (never written by this adapter) reads as a number.
   */
  async *readColumns(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryColumns> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    // Points are whole milliseconds: fractional bounds are narrowed to the milliseconds inside them.
    const first = Math.ceil(from);
    const last = Math.floor(to);
    if (!(first <= last)) return;
    const values = readAhead(this.pages(tag, VALUE_COLUMNS, '', first, last, chunkSize))[Symbol.asyncIterator]();
    const others = readAhead(this.pages(tag, KIND_COLUMNS, ` AND "kind" != 'number'`, first, last, chunkSize))[Symbol.asyncIterator]();
    let other: RowPage = { rows: [], at: [] };
    let otherIndex = 0;
    let othersDone = false;
    try {
      for (;;) {
        const next = await values.next();
        if (next.done) return;
        const page = next.value;
        const [timeAt, valueAt, qualityAt] = page.at;
        const rows = page.rows;
        const n = rows.length;
        const columns = emptyColumns(n);
        for (let index = 0; index < n; index++) {
          columns.ts[index] = Number(cell(rows, index, timeAt));
          const value = cell(rows, index, valueAt);
          if (typeof value === 'number') {
            columns.kind[index] = NUMBER;
            columns.num[index] = value;
          } else {
            columns.kind[index] = NULL;
          }
          const quality = Number(cell(rows, index, qualityAt));
          columns.quality[index] = QUALITY_NAMES[quality] === undefined ? BAD_QUALITY : quality;
        }
        columns.length = n;
        // The points of this page that are not numbers: every one of them is in the page (all points have a quality).
        const lastTs = columns.ts[n - 1];
        for (let index = 0; ; ) {
          if (otherIndex >= other.rows.length) {
            if (othersDone) break;
            const more = await others.next();
            if (more.done) {
              othersDone = true;
              break;
            }
            other = more.value;
            otherIndex = 0;
            continue;
          }
          const ts = Number(cell(other.rows, otherIndex, other.at[0]));
          if (ts > lastTs) break;
          const kind = cell(other.rows, otherIndex, other.at[1]) as Kind | null;
          const text = cell(other.rows, otherIndex, other.at[2]) as string | null;
          otherIndex++;
          while (index < n && columns.ts[index] < ts) index++;
          if (index < n && columns.ts[index] === ts) applyKind(columns, index, kind, text);
        }
        yield columns;
      }
    } finally {
      // Stopped early or failed: release both streams (their pending requests).
      await Promise.allSettled([values.return?.(), others.return?.()]);
    }
  }

  async readLatestBefore(tag: string, ts: number): Promise<HistoryPoint | null> {
    const { rows } = await this.select(`${selectFrom(tag)} AND time <= ${Math.floor(ts)}ms ORDER BY time DESC LIMIT 1`);
    return rows[0] ?? null;
  }

  /**
   * Retention belongs to InfluxDB (a retention policy in 1.x, the bucket's retention in 2.x/3.x);
   * deleting points from here would fight it. Nothing is deleted and 0 is returned.
   */
  async prune(_before: number): Promise<number> {
    return 0;
  }

  async ping(): Promise<void> {
    const response = await this.request('GET', '/ping');
    await response.body?.cancel();
  }

  async close(): Promise<void> {}

  /**
   * Creates the database when it is not there (InfluxDB 1.x). Returns what it found or did.
   * InfluxDB 2.x answers CREATE DATABASE with an error (a bucket and its DBRP mapping are created
   * with the influx CLI); the error says so.
   */
  async createDatabaseIfMissing(): Promise<'exists' | 'created'> {
    const shown = await this.query('GET', 'SHOW DATABASES');
    const values = shown.results?.[0]?.series?.[0]?.values ?? [];
    const names = Array.from({ length: values.length }, (_, row) => cell(values, row, 0));
    if (names.includes(this.options.database)) return 'exists';
    try {
      const created = await this.query('POST', `CREATE DATABASE ${quoteIdentifier(this.options.database)}`);
      firstResult(created);
    } catch (error) {
      if (error instanceof OperationalError) {
        throw new OperationalError(
          'InfluxDB',
          `InfluxDB database '${this.options.database}' does not exist and could not be created: ${error.message} ` +
            '(create it yourself: for InfluxDB 2.x a bucket and a DBRP mapping, see INFLUX_DB)',
          { cause: error },
        );
      }
      throw error;
    }
    return 'created';
  }

  /** Drops the database: for tests that create a fresh one per run. */
  async dropDatabase(): Promise<void> {
    const dropped = await this.query('POST', `DROP DATABASE ${quoteIdentifier(this.options.database)}`);
    firstResult(dropped);
  }

  private async writeLines(lines: readonly string[]): Promise<void> {
    const params = new URLSearchParams({ db: this.options.database, precision: 'ms' });
    const response = await this.request('POST', `/write?${params}`, lines.join('\n'), 'text/plain; charset=utf-8');
    await response.body?.cancel();
  }

  private async select(statement: string): Promise<{ rows: HistoryPoint[]; partial: boolean }> {
    const { rows: values, at, partial } = await this.selectRows(statement, QUERY_COLUMNS);
    const [timeAt, valueAt, textAt, kindAt, qualityAt] = at;
    const rows: HistoryPoint[] = [];
    for (let row = 0; row < values.length; row++) {
      rows.push({
        ts: Number(cell(values, row, timeAt)),
        value: decodeValue(cell(values, row, kindAt) as Kind | null, cell(values, row, valueAt) as number | null, cell(values, row, textAt) as string | null),
        quality: QUALITIES[Number(cell(values, row, qualityAt))] ?? 'bad',
      });
    }
    return { rows, partial };
  }

  /** The rows of a SELECT of `columns`, and where `time` and each column are in a row. */
  private async selectRows(statement: string, columns: readonly string[]): Promise<RowPage & { partial: boolean }> {
    const answer = await this.query('GET', statement, { msgpack: true });
    const result = firstResult(answer);
    const series = result?.series?.[0];
    const partial = Boolean(result?.partial);
    if (!series) return { rows: [], at: [], partial };
    return { rows: series.values, at: ['time', ...columns].map((name) => series.columns.indexOf(name)), partial };
  }

  /**
   * Keyset pagination by time over SELECT `columns` (OFFSET makes InfluxDB skip over every earlier
   * point again); `condition` narrows the points further.
   */
  private async *pages(tag: string, columns: readonly string[], condition: string, first: number, last: number, chunkSize: number): AsyncIterable<RowPage> {
    const select = `SELECT ${columns.map(quoteIdentifier).join(',')} FROM ${quoteIdentifier(INFLUX_MEASUREMENT)} WHERE "tag" = ${quoteString(tag)}${condition}`;
    let lowerBound = `time >= ${first}ms`;
    for (;;) {
      const page = await this.selectRows(`${select} AND ${lowerBound} AND time <= ${last}ms ORDER BY time ASC LIMIT ${chunkSize}`, columns);
      const count = page.rows.length;
      if (count > 0) yield page;
      // A server-side row limit (max-row-limit) marks the answer partial: carry on from where it stopped.
      if (count === 0 || (count < chunkSize && !page.partial)) return;
      lowerBound = `time > ${Number(cell(page.rows, count - 1, page.at[0]))}ms`;
    }
  }

  /**
   * One InfluxQL statement. With `msgpack`, the answer is asked for in MessagePack, which InfluxDB
   * 1.x encodes in about half the time of JSON (the same structure, errors included); a server that
   * answers in JSON anyway is read as JSON, and one that refuses it (406) is asked in JSON from then on.
   */
  private async query(method: 'GET' | 'POST', statement: string, options: { msgpack?: boolean } = {}): Promise<QueryResponse> {
    const params = new URLSearchParams({ db: this.options.database, epoch: 'ms' });
    const accept = options.msgpack && this.msgpack ? MSGPACK : undefined;
    let response: Response;
    if (method === 'GET') {
      params.set('q', statement);
      response = await this.request('GET', `/query?${params}`, undefined, undefined, accept);
    } else {
      response = await this.request('POST', `/query?${params}`, new URLSearchParams({ q: statement }).toString(), 'application/x-www-form-urlencoded', accept);
    }
    if (accept && response.status === 406) {
      await response.body?.cancel();
      this.msgpack = false;
      return this.query(method, statement);
    }
    const inMsgpack = (response.headers.get('content-type') ?? '').includes(MSGPACK);
    try {
      if (inMsgpack) return decodeMsgpack(new Uint8Array(await response.arrayBuffer()), { packRowsOf: 'values' }) as QueryResponse;
      return (await response.json()) as QueryResponse;
    } catch (error) {
      // The timeout also covers reading the body.
      const name = (error as { name?: string } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const format = inMsgpack ? 'MessagePack' : 'JSON';
      throw this.unavailable(timedOut ? `no answer within ${this.timeoutMs} ms` : `the answer to a query was not ${format} (${messageOf(error)})`, error);
    }
  }

  /** One HTTP exchange; any failure to get a 2xx answer becomes an OperationalError naming InfluxDB. */
  private async request(method: 'GET' | 'POST', path: string, body?: string, contentType?: string, accept?: string): Promise<Response> {
    let response: Response;
    const headers = contentType || accept ? { ...this.headers } : this.headers;
    if (contentType) headers['content-type'] = contentType;
    if (accept) headers.accept = accept;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.unavailable(networkReason(error, this.timeoutMs, new URL(this.baseUrl).port), error);
    }
    if (response.ok || (accept && response.status === 406)) return response;
    const detail = await errorDetail(response);
    if (response.status === 401 || response.status === 403) {
      throw new OperationalError(
        'InfluxDB',
        `InfluxDB at ${this.baseUrl} refused the credentials (HTTP ${response.status}${detail ? `: ${detail}` : ''}); check INFLUX_TOKEN or INFLUX_USERNAME/INFLUX_PASSWORD`,
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new OperationalError('InfluxDB', `InfluxDB at ${this.baseUrl} rejected the request: ${detail || `HTTP ${response.status}`}`);
    }
    throw this.unavailable(`HTTP ${response.status}${detail ? ` ${detail}` : ''}`);
  }

  private unavailable(reason: string, cause?: unknown): OperationalError {
    return new OperationalError('InfluxDB', `InfluxDB at ${this.baseUrl} is unavailable: ${reason}`, { cause });
  }
}

/** The result of the single statement sent, after checking for an error InfluxDB reports inside a 200. */
function firstResult(answer: QueryResponse): NonNullable<QueryResponse['results']>[number] | undefined {
  const message = answer.error ?? answer.results?.find((result) => result.error)?.error;
  if (message) throw new OperationalError('InfluxDB', `InfluxDB answered with an error: ${message}`);
  return answer.results?.[0];
}

function selectFrom(tag: string): string {
  return `SELECT ${QUERY_COLUMNS.map(quoteIdentifier).join(',')} FROM ${quoteIdentifier(INFLUX_MEASUREMENT)} WHERE "tag" = ${quoteString(tag)}`;
}

/** An InfluxQL string literal: backslashes and single quotes escaped. */
export function quoteString(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An InfluxQL identifier in double quotes. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A tag value in line protocol: commas, spaces and equals signs take a backslash. A backslash
 * itself is written as is: InfluxDB 1.x and 2.x never unescape `\\` (they would store both), and
 * treat a backslash before any other character as literal. The one name line protocol cannot carry
 * is one ending in a backslash (it would escape the separator that follows).
 *
 * InfluxDB 3.x reads `\\` as one backslash, so there a name containing two backslashes in a row, or
 * a backslash before a comma, space or equals sign, is stored differently from how 1.x/2.x store it.
 */
export function escapeTagValue(name: string): string {
  return name.replace(/[, =]/g, '\\$&');
}

/** A string field value: double quotes and backslashes take a backslash. */
export function escapeStringField(text: string): string {
  return text.replace(/[\\"]/g, '\\$&');
}

/** The line for one record, or why it cannot be written. */
export function toLine(record: HistoryRecord): string | { skipped: string } {
  if (record.tag.length === 0) return { skipped: 'the tag name is empty' };
  if (record.tag.endsWith('\\')) return { skipped: 'line protocol cannot carry a tag name that ends in a backslash' };
  if (/[\r\n]/.test(record.tag)) return { skipped: 'line protocol cannot carry a tag name with a line break' };
  const fields = [`kind="${kindOf(record.value)}"`, ...valueFields(record.value), `quality=${qualityCode(record.quality)}i`, `source="${record.source}"`];
  if (record.reason !== undefined) fields.push(`reason="${record.reason}"`);
  if (record.script) {
    fields.push(`script_id="${escapeStringField(record.script.id)}"`, `script_name="${escapeStringField(record.script.name)}"`, `script_version=${Math.trunc(record.script.version)}i`);
  }
  return `${INFLUX_MEASUREMENT},tag=${escapeTagValue(record.tag)} ${fields.join(',')} ${integerMs(record.ts)}`;
}

function kindOf(value: TagScalar): Kind {
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : 'nonfinite';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

function valueFields(value: TagScalar): string[] {
  if (value === null) return [];
  // A float field keeps one type whatever the number: an integer must not be written with `i`.
  if (typeof value === 'number') return Number.isFinite(value) ? [`value=${value}`] : [`text="${String(value)}"`];
  if (typeof value === 'boolean') return [`value=${value ? 1 : 0}`];
  return [`text="${escapeStringField(value)}"`];
}

type Rows = unknown[][] | PackedRows;

/** Cell `column` of row `row`; a missing cell reads as null. */
function cell(rows: Rows, row: number, column: number): unknown {
  if (rows instanceof PackedRows) return column >= 0 && column < rows.width ? rows.get(row, column) : null;
  return rows[row][column] ?? null;
}

/** Point `index` is not a number: its value from its kind and text (a boolean's 0/1 is in `num`). */
function applyKind(columns: HistoryColumns, index: number, kind: Kind | null, text: string | null): void {
  const numeric = columns.kind[index] === KIND_NUMBER ? columns.num[index] : null;
  columns.num[index] = 0;
  columns.kind[index] = KIND_NULL;
  switch (kind) {
    case 'number':
      // Not asked for; kept as read.
      if (numeric !== null) {
        columns.kind[index] = KIND_NUMBER;
        columns.num[index] = numeric;
      }
      return;
    case 'boolean':
      if (numeric !== null) columns.kind[index] = numeric !== 0 ? KIND_TRUE : KIND_FALSE;
      return;
    case 'string':
      setValue(columns, index, text ?? '');
      return;
    case 'nonfinite':
      setValue(columns, index, Number(text));
      return;
    default:
      return;
  }
}

function decodeValue(kind: Kind | null, value: number | null, text: string | null): TagScalar {
  switch (kind) {
    case 'number':
      return value;
    case 'boolean':
      return value === null ? null : value !== 0;
    case 'string':
      return text ?? '';
    case 'nonfinite':
      return Number(text);
    default:
      return null;
  }
}

function qualityCode(quality: Quality): number {
  const code = QUALITIES.indexOf(quality);
  return code < 0 ? QUALITIES.indexOf('bad') : code;
}

/** Line protocol takes whole milliseconds here (precision=ms). */
function integerMs(ts: number): string {
  return String(Math.round(ts));
}

function networkReason(error: unknown, timeoutMs: number, port: string): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  // fetch reports "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, ...) is in its cause.
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    const cause = (current as { cause?: unknown } | null)?.cause;
    if (!cause) break;
    current = cause;
  }
  if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
  const code = (current as { code?: unknown } | null)?.code;
  const message = messageOf(current);
  if (message === 'bad port' && port) return `fetch refuses to connect to port ${port} (a port browsers block); use another port`;
  return typeof code === 'string' && !message.includes(code) ? `${code} ${message}` : message;
}

async function errorDetail(response: Response): Promise<string> {
  let text = '';
  try {
    text = await response.text();
  } catch {
    return '';
  }
  try {
    const parsed = JSON.parse(text) as { error?: unknown; message?: unknown };
    const message = parsed.error ?? parsed.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: fall back to the text itself
  }
  return text.trim().slice(0, 300);
}
