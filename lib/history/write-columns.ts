import type { HistoryColumnBatch, HistoryRecord, HistoryStore } from '../ports/history-store';
import { qualityOf, valueAt } from './history-columns';

/**
 * Writes column batches with the store's column-wise bulk write, or, for a store without one
 * (InfluxDB, test doubles), as the records writeBulk takes.
 */
export async function writeColumnBatches(history: Pick<HistoryStore, 'writeBulk' | 'writeBulkColumns'>, batches: readonly HistoryColumnBatch[]): Promise<number> {
  const filled = batches.filter((batch) => batch.length > 0);
  if (filled.length === 0) return 0;
  if (history.writeBulkColumns) return history.writeBulkColumns(filled);
  return history.writeBulk(filled.flatMap(recordsOfBatch));
}

/** A batch's points as records. */
export function recordsOfBatch(batch: HistoryColumnBatch): HistoryRecord[] {
  const reasons = new Map(batch.reasons);
  const records: HistoryRecord[] = [];
  for (let index = 0; index < batch.length; index++) {
    const record: HistoryRecord = { tag: batch.tag, value: valueAt(batch, index), ts: batch.ts[index], quality: qualityOf(batch.quality[index]), source: batch.source };
    if (batch.script) record.script = batch.script;
    const reason = reasons.get(index);
    if (reason) record.reason = reason;
    records.push(record);
  }
  return records;
}
