import { describe, expect, it } from 'vitest';
import { OperationalError, UserError } from '../model/errors';
import { createLogger } from '../support/logger';
import type { HistoryRecord, HistoryStore } from '../ports/history-store';
import { HistoryWriter } from './history-writer';

const log = createLogger({ level: 'silent', pretty: false });
const records = (count: number, from = 0): HistoryRecord[] =>
  Array.from({ length: count }, (_, i) => ({ tag: `T${from + i}`, value: i, ts: 1000 + from + i, quality: 'good', source: 'raw' }));

function storeThat(write: (records: readonly HistoryRecord[]) => Promise<void>): HistoryStore {
  return { kind: 'embedded', write } as unknown as HistoryStore;
}

describe('HistoryWriter', () => {
  it('starts a flush once batchSize records wait, and writes them in pieces of pieceSize', async () => {
    const writes: number[] = [];
    const writer = new HistoryWriter(storeThat(async (batch) => void writes.push(batch.length)), log, { batchSize: 1000, pieceSize: 250 });
    writer.add(records(999));
    expect(writes).toEqual([]);
    writer.add(records(101, 999));
    await writer.flush();
    expect(writes).toEqual([250, 250, 250, 250, 100]);
    expect(writer.pending).toBe(0);
  });

  it('keeps the records when the store is unavailable and writes them, in order, once it is back', async () => {
    let down = true;
    const written: string[] = [];
    const writer = new HistoryWriter(
      storeThat(async (batch) => {
        if (down) throw new OperationalError('InfluxDB', 'connection refused');
        written.push(...batch.map((record) => record.tag));
      }),
      log,
      { pieceSize: 2 },
    );
    writer.add(records(3));
    await writer.flush();
    expect(writer.pending).toBe(3);
    down = false;
    await writer.flush();
    expect(written).toEqual(['T0', 'T1', 'T2']);
  });

  it('drops a piece the store refuses as bad data and goes on with the rest', async () => {
    const written: string[] = [];
    const writer = new HistoryWriter(
      storeThat(async (batch) => {
        if (batch.some((record) => record.tag === 'T1')) throw new UserError('VALIDATION_FAILED', 'bad record');
        written.push(...batch.map((record) => record.tag));
      }),
      log,
      { pieceSize: 2 },
    );
    writer.add(records(5));
    await writer.flush();
    expect(written).toEqual(['T2', 'T3', 'T4']);
  });

  it('drops the oldest records beyond maxBuffered', async () => {
    const written: string[] = [];
    const writer = new HistoryWriter(storeThat(async (batch) => void written.push(...batch.map((record) => record.tag))), log, { maxBuffered: 3, batchSize: 100 });
    writer.add(records(5));
    await writer.flush();
    expect(written).toEqual(['T2', 'T3', 'T4']);
  });
});
