// P9 — export for training: 7 days at 1 s for 4 tags (604 800 rows) from the embedded history, through
// the built app's GET /api/export, as Parquet and as CSV. For each: the time to download the whole
// file, the growth of the app's RSS while it streams (sampled every 50 ms against the RSS just
// before), and the file read back — the Parquet with hyparquet (a reader other than the writer) —
// every row and value compared with what was seeded.
//
// The history (2 419 200 points) is seeded once, with the history store's bulk write, into
//   ${BENCH_CACHE_DIR:-~/.cache/script-server-bench}/export-7d
// and seeded again when db/migrations changes.
//
//   node --import tsx scripts/bench/p9-export.mts [--days 7]      (npm run bench -- --only P9)
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { SqlHistoryStore } from '../../lib/adapters/history/sql-history-store';
import { openDatabase } from '../../lib/adapters/store/open-database';
import type { HistoryRecord } from '../../lib/ports/history-store';
import { silentLogger } from '../../lib/support/logger';
import { authFetch, startApp } from '../../tests/helpers/app-process';
import { plotRange } from '../plot-workload';
import { argValue, log, migrationsFingerprint, procMemory, round, runFigure, thousands, type FigureResult } from './common.mts';

const args = process.argv.slice(2);
const DAYS = Number(argValue(args, 'days', '7'));
const CACHE = process.env.BENCH_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'script-server-bench');
const DATA_DIR = path.join(CACHE, `export-${DAYS}d`);
const MARKER = path.join(DATA_DIR, 'bench-seeded.json');
const MAX_SECONDS = 15;
const MAX_RSS_GROWTH_MB = 150;
const TAGS = ['EXPORT.FLOW', 'EXPORT.TEMP', 'EXPORT.RUNNING', 'EXPORT.LEVEL'];

/** The seeded value of each tag at second `t` of the range (what every exported row must hold). */
const VALUES: Array<(t: number) => number | boolean> = [(t) => 50 + 10 * Math.sin(t / 600), (t) => 80 + 5 * Math.cos(t / 3600), (t) => t % 7200 < 3600, (t) => (t % 1000) / 10];
const qualityAt = (tag: number, t: number) => (tag === 3 && t % 13 === 0 ? 'uncertain' : 'good');

async function seeded(): Promise<{ from: number; to: number }> {
  const fingerprint = migrationsFingerprint();
  if (existsSync(MARKER)) {
    const marker = JSON.parse(readFileSync(MARKER, 'utf8')) as { from: number; to: number; migrations: string };
    if (marker.migrations === fingerprint) {
      log(`P9: reusing the seeded history in ${DATA_DIR}`);
      return marker;
    }
    log('P9: db/migrations changed since the history was seeded: seeding again');
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });
  // Whole seconds, [from, to): one row a second.
  const range = plotRange(DAYS);
  const from = range.from - 1000;
  const to = from + DAYS * 86_400_000;
  log(`P9: seeding ${DAYS} days of 1 s history for ${TAGS.length} tags into ${DATA_DIR} with the bulk write (once)…`);
  const started = performance.now();
  const database = await openDatabase({ kind: 'embedded', dataDir: DATA_DIR, migrationsFolder: path.resolve('db/migrations'), logger: silentLogger });
  const history = new SqlHistoryStore(database.db as never);
  let batch: HistoryRecord[] = [];
  for (let ts = from; ts < to; ts += 1000) {
    const t = (ts - from) / 1000;
    for (let tag = 0; tag < TAGS.length; tag++) batch.push({ tag: TAGS[tag], ts, value: VALUES[tag](t), quality: qualityAt(tag, t), source: 'raw' });
    if (batch.length >= 100_000) {
      await history.writeBulk(batch);
      batch = [];
    }
  }
  await history.writeBulk(batch);
  await database.close();
  writeFileSync(MARKER, JSON.stringify({ from, to, migrations: fingerprint, seededAt: new Date().toISOString() }));
  log(`P9: seeded in ${Math.round((performance.now() - started) / 1000)} s`);
  return { from, to };
}

interface Download {
  seconds: number;
  bytes: number;
  rssGrowthMb: number;
}

/** Downloads one export to `file`, sampling the app's RSS meanwhile. */
async function download(url: string, pid: number, file: string): Promise<Download> {
  const before = (await procMemory(pid)).rss;
  let highest = before;
  const sampler = setInterval(() => {
    procMemory(pid).then(
      ({ rss }) => (highest = Math.max(highest, rss)),
      () => undefined,
    );
  }, 50);
  const started = performance.now();
  try {
    const response = await authFetch(url);
    if (response.status !== 200 || !response.body) throw new Error(`export answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
    await pipeline(Readable.fromWeb(response.body as never), createWriteStream(file));
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  highest = Math.max(highest, (await procMemory(pid)).rss);
  return { seconds, bytes: statSync(file).size, rssGrowthMb: round((highest - before) / 1024 / 1024) };
}

/** Rows of a value that differ from the seed: every row, every tag, value and quality. */
function rowMismatch(t: number, ts: number, cells: readonly unknown[], range: { from: number }, parse: (text: unknown, tag: number) => unknown): boolean {
  if (ts !== range.from + t * 1000) return true;
  for (let tag = 0; tag < TAGS.length; tag++) {
    if (parse(cells[tag * 2], tag) !== VALUES[tag](t) || cells[tag * 2 + 1] !== qualityAt(tag, t)) return true;
  }
  return false;
}

/** The Parquet file read back with hyparquet, a row group's worth at a time. */
async function readParquet(file: string, range: { from: number; to: number }): Promise<{ rows: number; wrong: number; seconds: number }> {
  const started = performance.now();
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const total = Number(parquetMetadata(buffer).num_rows);
  let wrong = 0;
  const step = 100_000;
  for (let start = 0; start < total; start += step) {
    const rows = await new Promise<unknown[][]>((resolve) => void parquetRead({ file: buffer, rowStart: start, rowEnd: Math.min(total, start + step), onComplete: (data) => resolve(data as unknown[][]) }));
    rows.forEach((row, index) => {
      const ts = (row[0] as Date).getTime();
      if (rowMismatch(start + index, ts, row.slice(1), range, (value) => value)) wrong++;
    });
  }
  return { rows: total, wrong, seconds: (performance.now() - started) / 1000 };
}

/** The CSV file read back: the header, then every row compared. */
function readCsv(file: string, range: { from: number; to: number }): { rows: number; wrong: number; header: string } {
  const lines = readFileSync(file, 'utf8').split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  let wrong = 0;
  for (let row = 1; row < lines.length; row++) {
    const cells = lines[row].split(',');
    const parse = (text: unknown, tag: number) => (tag === 2 ? text === 'true' : Number(text));
    if (rowMismatch(row - 1, Date.parse(cells[0]), cells.slice(1), range, parse)) wrong++;
  }
  return { rows: lines.length - 1, wrong, header: lines[0] };
}

async function main(): Promise<FigureResult> {
  const range = await seeded();
  const expectedRows = (range.to - range.from) / 1000;
  const app = await startApp({ dataDir: DATA_DIR, env: { HISTORY_RETENTION_DAYS: '36500', LOG_LEVEL: 'error', EXPORT_MAX_ROWS: '5000000' }, timeoutMs: 300_000 });
  const outDir = path.join(os.tmpdir(), 'script-server-bench', `export-${process.pid}`);
  mkdirSync(outDir, { recursive: true });
  const url = (format: string, to = range.to) =>
    `${app.url}/api/export?${new URLSearchParams({ tags: TAGS.join(','), from: new Date(range.from).toISOString(), to: new Date(to).toISOString(), step: '1s', format, fill: 'previous', quality: 'column' })}`;
  const measured: Record<string, Download & { rows: number; wrong: number }> = {};
  let readBackSeconds = 0;
  try {
    // A warm-up hour of each format: code loaded and compiled before the figures.
    for (const format of ['parquet', 'csv']) await download(url(format, range.from + 3_600_000), app.process.pid!, path.join(outDir, `warm.${format}`));
    for (const format of ['parquet', 'csv']) {
      const file = path.join(outDir, `export.${format}`);
      const result = await download(url(format), app.process.pid!, file);
      log(`P9: ${format}: ${round(result.seconds, 2)} s, ${thousands(result.bytes)} bytes, app RSS +${result.rssGrowthMb} MB; reading it back…`);
      if (format === 'parquet') {
        const back = await readParquet(file, range);
        readBackSeconds = back.seconds;
        measured[format] = { ...result, rows: back.rows, wrong: back.wrong };
      } else {
        const back = readCsv(file, range);
        if (back.header !== `ts,${TAGS.flatMap((tag) => [tag, `${tag}.quality`]).join(',')}`) throw new Error(`unexpected CSV header: ${back.header}`);
        measured[format] = { ...result, rows: back.rows, wrong: back.wrong };
      }
      log(`P9: ${format}: ${thousands(measured[format].rows)} rows read back, ${measured[format].wrong} differ from the seed`);
      rmSync(file, { force: true });
    }
  } finally {
    await app.stop();
    rmSync(outDir, { recursive: true, force: true });
  }
  const slowest = Math.max(measured.parquet.seconds, measured.csv.seconds);
  const growth = Math.max(measured.parquet.rssGrowthMb, measured.csv.rssGrowthMb);
  const complete = Object.values(measured).every((m) => m.rows === expectedRows && m.wrong === 0);
  return {
    id: 'P9',
    value: round(slowest, 2),
    unit: 's',
    baseline: null,
    ratio: null,
    bar: `each ≤ ${MAX_SECONDS} s; app RSS growth ≤ ${MAX_RSS_GROWTH_MB} MB; every row read back (Parquet by hyparquet)`,
    holds: slowest <= MAX_SECONDS && growth <= MAX_RSS_GROWTH_MB && complete,
    summary:
      `Parquet ${round(measured.parquet.seconds, 2)} s (${round(measured.parquet.bytes / 1024 / 1024, 1)} MB, RSS +${measured.parquet.rssGrowthMb} MB), ` +
      `CSV ${round(measured.csv.seconds, 2)} s (${round(measured.csv.bytes / 1024 / 1024, 1)} MB, RSS +${measured.csv.rssGrowthMb} MB) for ${thousands(expectedRows)} rows × ${TAGS.length} tags; ` +
      `read back: Parquet (hyparquet, ${round(readBackSeconds, 1)} s) ${thousands(measured.parquet.rows)} rows, CSV ${thousands(measured.csv.rows)} rows, ${measured.parquet.wrong + measured.csv.wrong} values differ`,
    details: { rows: expectedRows, tags: TAGS.length, parquet: measured.parquet, csv: measured.csv, readBackSeconds: round(readBackSeconds, 2), dataDir: DATA_DIR },
  };
}

runFigure(main);
