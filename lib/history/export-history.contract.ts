import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../model/errors';
import { isoTime, type TagScalar } from '../model/tag-value';
import type { HistoryRecord, HistoryStore } from '../ports/history-store';
import { exportHistory, type ExportPorts, type ExportQuery } from './export-history';

/**
 * GET /api/export's use case over a real history store: row counts and every value of CSV and of
 * Parquet (read back with hyparquet, a reader other than the writer), fill, quality, versions, and
 * the limits. Run on the embedded table (unit tests), PostgreSQL and InfluxDB (integration tests).
 */

const T0 = Date.UTC(2026, 1, 2, 6, 0, 0);
const SECONDS = 1200;
/** FLOW every second, PUMP (boolean) every 3 s, STATE (a script's string output, lineage) every 2 s. */
const FLOW = 'export.FLOW';
const PUMP = 'export.PUMP';
const STATE = 'export.STATE';

const flow = (second: number) => second * 0.25 - 100;
const pump = (second: number) => second % 6 === 0;
const state = (second: number): TagScalar => (second % 10 === 0 ? null : `s${second}, "q"`);
const version = (second: number) => (second < SECONDS / 2 ? 1 : 2);

function seed(): HistoryRecord[] {
  const records: HistoryRecord[] = [];
  for (let s = -10; s < SECONDS + 10; s++) {
    const ts = T0 + s * 1000;
    records.push({ tag: FLOW, ts, value: flow(s), quality: s % 7 === 0 ? 'uncertain' : 'good', source: 'raw' });
    if (s % 3 === 0) records.push({ tag: PUMP, ts: ts + 200, value: pump(s), quality: 'good', source: 'raw' });
    if (s % 2 === 0) {
      const value = state(s);
      records.push({ tag: STATE, ts: ts + 500, value, quality: value === null ? 'bad' : 'good', source: 'script', script: { id: 'scr-1', name: 'State', version: version(s) } });
    }
  }
  return records;
}

export function describeExportContract(name: string, open: () => Promise<{ history: HistoryStore; cleanup(): Promise<void> }>, options: { skip?: boolean } = {}): void {
  describe.skipIf(Boolean(options.skip))(`export over ${name}`, () => {
    let opened: { history: HistoryStore; cleanup(): Promise<void> } | undefined;
    let ports: ExportPorts;
    beforeAll(async () => {
      opened = await open();
      await opened.history.writeBulk(seed());
      ports = {
        history: opened.history,
        catalog: { get: (tag) => (tag === STATE ? { tag, value: 'x', ts: T0, quality: 'good', source: 'script' } : tag === PUMP ? { tag, value: true, ts: T0, quality: 'good', source: 'raw' } : undefined) },
        tagDirectory: { refresh: async () => undefined, producerOf: (tag) => (tag === STATE ? { id: 'scr-1', name: 'State' } : null) },
        config: { EXPORT_MAX_ROWS: 5_000 },
      };
    }, 120_000);
    afterAll(async () => {
      await opened?.cleanup();
    });

    const query = (extra: Partial<ExportQuery>): ExportQuery => ({
      tags: `${FLOW},${PUMP},${STATE}`,
      from: isoTime(T0),
      to: isoTime(T0 + SECONDS * 1000),
      step: '1s',
      ...extra,
    });

    /** The expected cells of row `s` (seconds from T0) with 1 s steps. */
    function expectedRow(s: number, fill: 'previous' | 'none') {
      const pumpAt = fill === 'previous' || s % 3 === 1 ? Math.floor((s - 1) / 3) * 3 : null;
      const stateAt = fill === 'previous' || s % 2 === 1 ? Math.floor((s - 1) / 2) * 2 : null;
      return {
        flow: flow(s),
        flowQuality: s % 7 === 0 ? 'uncertain' : 'good',
        pump: pumpAt === null ? null : pump(pumpAt),
        state: stateAt === null ? null : state(stateAt),
        stateQuality: stateAt === null ? null : state(stateAt) === null ? 'bad' : 'good',
        stateVersion: stateAt === null ? null : version(stateAt),
      };
    }

    for (const fill of ['previous', 'none'] as const) {
      it(`CSV, fill=${fill}: one row per second, every value, quality and version`, async () => {
        const file = await exportHistory(ports, query({ fill }), T0 + 86_400_000);
        expect(file.rows).toBe(SECONDS);
        expect(file.filename).toBe('history-20260202T060000Z-20260202T062000Z.csv');
        const lines = (await text(file.body)).split('\r\n');
        expect(lines.pop()).toBe('');
        expect(lines[0]).toBe(`ts,${FLOW},${FLOW}.quality,${PUMP},${PUMP}.quality,${STATE},${STATE}.quality,${STATE}.version`);
        expect(lines.length - 1).toBe(SECONDS);
        let wrong = 0;
        for (let s = 0; s < SECONDS; s++) {
          const e = expectedRow(s, fill);
          const cell = (value: unknown) => (value === null ? '' : typeof value === 'string' && /[",]/.test(value) ? `"${value.replace(/"/g, '""')}"` : String(value));
          const expected = [isoTime(T0 + s * 1000), e.flow, e.flowQuality, e.pump, e.pump === null ? null : 'good', e.state, e.stateQuality, e.stateVersion].map(cell).join(',');
          if (lines[s + 1] !== expected) {
            if (wrong === 0) expect({ s, line: lines[s + 1] }).toEqual({ s, line: expected });
            wrong++;
          }
        }
        expect(wrong).toBe(0);
      });
    }

    it('Parquet, read back with hyparquet: the same rows and every value, with the column types of the spec', async () => {
      const file = await exportHistory(ports, query({ format: 'parquet', quality: 'mask', fill: 'previous' }), T0 + 86_400_000);
      expect(file.contentType).toBe('application/vnd.apache.parquet');
      const bytes = await collect(file.body);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const metadata = parquetMetadata(buffer);
      const types = Object.fromEntries(metadata.schema.slice(1).map((element) => [element.name, element.logical_type?.type ?? element.converted_type ?? element.type]));
      expect(types).toEqual({
        ts: 'TIMESTAMP',
        [FLOW]: 'DOUBLE',
        [`${FLOW}.quality`]: 'DOUBLE',
        [PUMP]: 'BOOLEAN',
        [`${PUMP}.quality`]: 'DOUBLE',
        [STATE]: 'STRING',
        [`${STATE}.quality`]: 'DOUBLE',
        [`${STATE}.version`]: 'DOUBLE',
      });
      expect(metadata.schema[1].logical_type).toEqual({ type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' });
      expect(Number(metadata.num_rows)).toBe(SECONDS);
      const rows = await parquetReadObjects({ file: buffer });
      expect(rows.length).toBe(SECONDS);
      let wrong = 0;
      for (let s = 0; s < SECONDS; s++) {
        const e = expectedRow(s, 'previous');
        const expected = {
          ts: new Date(T0 + s * 1000),
          [FLOW]: e.flow,
          [`${FLOW}.quality`]: e.flowQuality === 'good' ? 1 : 0,
          [PUMP]: e.pump,
          [`${PUMP}.quality`]: 1,
          [STATE]: e.state,
          [`${STATE}.quality`]: e.stateQuality === 'good' ? 1 : 0,
          [`${STATE}.version`]: e.stateVersion,
        };
        if (JSON.stringify(rows[s]) !== JSON.stringify(expected)) {
          if (wrong === 0) expect({ s, row: rows[s] }).toEqual({ s, row: expected });
          wrong++;
        }
      }
      expect(wrong).toBe(0);
    });

    it('counts the rows of coarser steps, ISO 8601 included', async () => {
      for (const [step, rows] of [
        ['1m', 20],
        ['PT15M', 2],
        ['7s', Math.ceil(SECONDS / 7)],
      ] as const) {
        const file = await exportHistory(ports, query({ step }), T0 + 86_400_000);
        const lines = (await text(file.body)).split('\r\n').filter((line) => line !== '');
        expect({ step, rows: lines.length - 1 }).toEqual({ step, rows });
      }
    });

    it('on a coarse grid: the same file as when every point is read, from the last point of each row only (when the store can)', async () => {
      const calls = { exports: 0, lastPerStep: 0, lastPerStepRows: 0, pointsRead: 0 };
      const history = opened!.history;
      // The store as it is, counting what it is asked, and the same store without readLastPerStep (read point by point, as before).
      const counting: ExportPorts['history'] = {
        read: async function* (...args) {
          for await (const points of history.read(...args)) yield ((calls.pointsRead += points.length), points);
        },
        readRows: async function* (...args) {
          for await (const rows of history.readRows(...args)) yield ((calls.pointsRead += rows.length), rows);
        },
        readLatestBefore: (...args) => history.readLatestBefore(...args),
        readLastPerStep: history.readLastPerStep
          ? async function* (...args) {
              calls.lastPerStep++;
              for await (const rows of history.readLastPerStep!(...args)) yield ((calls.lastPerStepRows += rows.length), rows);
            }
          : undefined,
      };
      const pointByPoint: ExportPorts['history'] = { read: history.read.bind(history), readRows: history.readRows.bind(history), readLatestBefore: history.readLatestBefore.bind(history) };
      for (const [step, from] of [
        ['10s', T0],
        ['1m', T0 - 3_500],
        ['17s', T0 + 1_250],
        ['PT5M', T0 + 60_000],
      ] as const) {
        for (const fill of ['previous', 'none'] as const) {
          for (const format of ['csv', 'parquet'] as const) {
            const request = query({ step, fill, format, quality: format === 'csv' ? 'column' : 'mask', from: isoTime(from), to: isoTime(T0 + (SECONDS + 5) * 1000) });
            const before = await collect((await exportHistory({ ...ports, history: pointByPoint }, request, T0 + 86_400_000)).body);
            const coarse = await collect((await exportHistory({ ...ports, history: counting }, request, T0 + 86_400_000)).body);
            calls.exports++;
            expect({ step, fill, format, same: Buffer.compare(coarse, before) === 0 }).toEqual({ step, fill, format, same: true });
          }
        }
      }
      if (history.readLastPerStep) {
        // Only the point each tag holds when the export starts (fill=previous), with its lineage.
        expect(calls.pointsRead).toBeLessThanOrEqual(3 * calls.exports);
        expect(calls.lastPerStep).toBeGreaterThan(0);
        // At most one point per row and tag, not the 1 to 10 a second the tags hold.
        expect(calls.lastPerStepRows).toBeLessThan(3 * 16 * (SECONDS / 10 + 2));
      }
    });

    it('the last point of each interval (t − step, t] within [from, to): what a coarse export reads', async ({ skip }) => {
      const history = opened!.history;
      if (!history.readLastPerStep) skip();
      const all = seed();
      for (const [tag, from, to, first, step, chunkSize] of [
        [FLOW, T0 - 5_000, T0 + 120_000, T0, 10_000, 3],
        [PUMP, T0, T0 + 600_000, T0 - 700, 60_000, 100],
        [STATE, T0 + 1_000, T0 + 30_001, T0 + 1_000, 7_000, 1],
        [FLOW, T0 + 10_000, T0 + 10_000, T0, 10_000, 10],
      ] as const) {
        const expected: HistoryRecord[] = [];
        for (let t = first; t - step < to; t += step) {
          const inside = all.filter((record) => record.tag === tag && record.ts > t - step && record.ts <= t && record.ts >= from && record.ts < to);
          if (inside.length > 0) expected.push(inside.at(-1)!);
        }
        const got: Array<{ ts: number; value: TagScalar; quality: string; version: number | null }> = [];
        for await (const rows of history.readLastPerStep!(tag, from, to, { first, step }, { chunkSize })) {
          for (const row of rows) got.push({ ts: row.ts, value: row.value, quality: row.quality, version: row.script?.version ?? null });
        }
        expect({ tag, from, step, got }).toEqual({ tag, from, step, got: expected.map((record) => ({ ts: record.ts, value: record.value, quality: record.quality, version: record.script?.version ?? null })) });
      }
    });

    it('refuses more rows than EXPORT_MAX_ROWS, more than 200 tags and unknown tags, naming the limit', async () => {
      const tooMany = await refusal(exportHistory(ports, query({ to: isoTime(T0 + 5_001_000) }), T0 + 86_400_000));
      expect(tooMany).toMatchObject({ status: 400, details: { limit: 'EXPORT_MAX_ROWS', max: 5_000, rows: 5_001 } });
      expect(tooMany.message).toContain('more than EXPORT_MAX_ROWS (5000)');
      const tags = Array.from({ length: 201 }, (_, i) => `t${i}`).join(',');
      expect(await refusal(exportHistory(ports, query({ tags }), T0 + 86_400_000))).toMatchObject({ status: 400, message: expect.stringContaining('at most 200 tags') });
      const unknown = await refusal(exportHistory(ports, query({ tags: `${FLOW},no.such.tag` }), T0 + 86_400_000));
      expect(unknown).toMatchObject({ status: 404, details: { tags: ['no.such.tag'] } });
    });
  });
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  for await (const piece of body) pieces.push(piece);
  return Buffer.concat(pieces);
}

async function text(body: AsyncIterable<Uint8Array>): Promise<string> {
  return Buffer.from(await collect(body)).toString('utf8');
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; message: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    if (isAppError(error)) return { status: error.status, message: error.message, details: error.details };
    throw error;
  }
  throw new Error('expected the export to be refused');
}
