import { messageOf, OperationalError } from '../../errors';
import type { HistoryPoint, HistoryRecord, HistoryStore } from '../../ports/history-store';
import { QUALITIES, type Quality, type TagScalar } from '../../tags/tag-value';

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
 * The series key is the measurement and the tag name only, so writing the same (tag, ts) again
 * replaces the point (InfluxDB's rule for an identical series and timestamp). InfluxDB merges the
 * field sets of the two writes, so a field the new point lacks survives from the old one: readers
 * must go by `kind` (a string written over a number keeps the stale `value`, which is ignored).
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
   * Called for a record that line protocol cannot carry (a tag name ending in a backslash), which is
   * left out rather than failing the whole batch. Defaults to ignoring it.
   */
  onSkipped?: (record: HistoryRecord, reason: string) => void;
}

export const INFLUX_MEASUREMENT = 'tag_values';
const DEFAULT_TIMEOUT_MS = 5_000;
const DEFAULT_BATCH_LINES = 5_000;
const DEFAULT_READ_CHUNK = 10_000;
const QUERY_COLUMNS = ['value', 'text', 'kind', 'quality'] as const;

type Kind = 'number' | 'boolean' | 'string' | 'null' | 'nonfinite';

interface QueryResponse {
  results?: {
    statement_id?: number;
    error?: string;
    partial?: boolean;
    series?: { name: string; columns: string[]; values: unknown[][] }[];
  }[];
  error?: string;
}

export class InfluxHistoryStore implements HistoryStore {
  readonly kind = 'influx' as const;
  private readonly baseUrl: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly batchSize: number;

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
    this.headers = headers;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_LINES);
  }

  get database(): string {
    return this.options.database;
  }

  async write(records: readonly HistoryRecord[]): Promise<void> {
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
        lines = [];
      }
    }
    if (lines.length > 0) await this.writeLines(lines);
  }

  async *read(tag: string, from: number, to: number, options: { chunkSize?: number } = {}): AsyncIterable<HistoryPoint[]> {
    const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? DEFAULT_READ_CHUNK));
    // Points are whole milliseconds: fractional bounds are narrowed to the milliseconds inside them.
    const first = Math.ceil(from);
    const last = Math.floor(to);
    if (!(first <= last)) return;
    // Keyset pagination by time (OFFSET makes InfluxDB skip over every earlier point again).
    let lowerBound = `time >= ${first}ms`;
    for (;;) {
      const { rows, partial } = await this.select(
        `${selectFrom(tag)} AND ${lowerBound} AND time <= ${last}ms ORDER BY time ASC LIMIT ${chunkSize}`,
      );
      if (rows.length > 0) yield rows;
      // A server-side row limit (max-row-limit) marks the answer partial: carry on from where it stopped.
      if (rows.length === 0 || (rows.length < chunkSize && !partial)) return;
      lowerBound = `time > ${rows[rows.length - 1].ts}ms`;
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
    const names = (shown.results?.[0]?.series?.[0]?.values ?? []).map((row) => row[0]);
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
    const answer = await this.query('GET', statement);
    const result = firstResult(answer);
    const series = result?.series?.[0];
    if (!series) return { rows: [], partial: Boolean(result?.partial) };
    const column = (name: string) => series.columns.indexOf(name);
    const [timeAt, valueAt, textAt, kindAt, qualityAt] = [column('time'), ...QUERY_COLUMNS.map(column)];
    const rows = series.values.map(
      (row): HistoryPoint => ({
        ts: Number(row[timeAt]),
        value: decodeValue(row[kindAt] as Kind | null, row[valueAt] as number | null, row[textAt] as string | null),
        quality: QUALITIES[Number(row[qualityAt])] ?? 'bad',
      }),
    );
    return { rows, partial: Boolean(result?.partial) };
  }

  private async query(method: 'GET' | 'POST', statement: string): Promise<QueryResponse> {
    const params = new URLSearchParams({ db: this.options.database, epoch: 'ms' });
    let response: Response;
    if (method === 'GET') {
      params.set('q', statement);
      response = await this.request('GET', `/query?${params}`);
    } else {
      response = await this.request('POST', `/query?${params}`, new URLSearchParams({ q: statement }).toString(), 'application/x-www-form-urlencoded');
    }
    try {
      return (await response.json()) as QueryResponse;
    } catch (error) {
      // The timeout also covers reading the body.
      const name = (error as { name?: string } | null)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      throw this.unavailable(timedOut ? `no answer within ${this.timeoutMs} ms` : `the answer to a query was not JSON (${messageOf(error)})`, error);
    }
  }

  /** One HTTP exchange; any failure to get a 2xx answer becomes an OperationalError naming InfluxDB. */
  private async request(method: 'GET' | 'POST', path: string, body?: string, contentType?: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: contentType ? { ...this.headers, 'content-type': contentType } : this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.unavailable(networkReason(error, this.timeoutMs, new URL(this.baseUrl).port), error);
    }
    if (response.ok) return response;
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
