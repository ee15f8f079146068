import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeHistoryStoreContract, readAll, record } from '../../lib/adapters/history/history-store.contract';
import { InfluxHistoryStore } from '../../lib/adapters/history/influx-history-store';
import { isAppError } from '../../lib/model/errors';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';

/**
 * InfluxHistoryStore against a real InfluxDB 1.x. Every run writes into a database of its own
 * (script_server_test_<random>), created by the store and dropped afterwards.
 */

const available = await servicesAvailable('InfluxDB history', 'influx');
const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);

function freshStore(): InfluxHistoryStore {
  return new InfluxHistoryStore({ url: TEST_SERVICES.influx, database: `script_server_test_${randomBytes(6).toString('hex')}` });
}

describeHistoryStoreContract(
  'InfluxHistoryStore on InfluxDB 1.x',
  async () => {
    const store = freshStore();
    await store.createDatabaseIfMissing();
    return { store, cleanup: () => store.dropDatabase() };
  },
  { skip: !available },
);

describe.skipIf(!available)('InfluxHistoryStore on InfluxDB 1.x', () => {
  let store: InfluxHistoryStore;
  beforeAll(async () => {
    store = freshStore();
  });
  afterAll(async () => {
    await store.dropDatabase().catch(() => undefined);
  });

  it('creates its database once', async () => {
    expect(await store.createDatabaseIfMissing()).toBe('created');
    expect(await store.createDatabaseIfMissing()).toBe('exists');
  });

  it('keeps one series per tag whatever the quality and source, so a replay replaces the point', async () => {
    await store.write([record('series.key', T0, 1, 'good', 'raw')]);
    await store.write([record('series.key', T0, 2, 'bad', 'script')]);
    const answer = await fetch(
      `${TEST_SERVICES.influx}/query?${new URLSearchParams({ db: store.database, q: 'SHOW SERIES' })}`,
    );
    const body = (await answer.json()) as { results: { series?: { values: string[][] }[] }[] };
    expect(body.results[0].series?.[0].values.flat()).toEqual(['tag_values,tag=series.key']);
    expect(await readAll(store, 'series.key', T0, T0)).toEqual([{ ts: T0, value: 2, quality: 'bad' }]);
  });

  it('leaves out a tag name line protocol cannot carry and writes the rest', async () => {
    const skipped: string[] = [];
    const careful = new InfluxHistoryStore({
      url: TEST_SERVICES.influx,
      database: store.database,
      onSkipped: (skippedRecord) => skipped.push(skippedRecord.tag),
    });
    await careful.write([record('ends\\', T0, 1, 'good'), record('fine', T0, 2, 'good')]);
    expect(skipped).toEqual(['ends\\']);
    expect(await careful.readLatestBefore('fine', T0)).toEqual({ ts: T0, value: 2, quality: 'good' });
  });

  it('reports a query InfluxDB refuses as an OperationalError with its message', async () => {
    const missing = new InfluxHistoryStore({ url: TEST_SERVICES.influx, database: `script_server_test_missing_${randomBytes(4).toString('hex')}` });
    const write = await missing.write([record('x', T0, 1, 'good')]).catch((error: unknown) => error);
    expect(isAppError(write) && write.kind === 'operational').toBe(true);
    expect((write as Error).message).toMatch(/database not found/);
    const read = await readAll(missing, 'x', T0, T0).catch((error: unknown) => error);
    expect(isAppError(read) && read.kind === 'operational').toBe(true);
    expect((read as Error).message).toMatch(/database not found/);
  });
});
