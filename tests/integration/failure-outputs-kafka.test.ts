import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/app-process';
import { callApi } from '../helpers/api-requests';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * scripts.md "When a script stops or fails, its outputs say so", on the real broker: a consumer of
 * the output topic sees a failed evaluation, a quarantine, an unregister and a delete as
 * `value: null`, `quality: "bad"` with their `reason` — once each — and the tag API says the same.
 * The built app with the Kafka bus (embedded database), its own topics.
 */

const available = await servicesAvailable('failure outputs on Kafka', 'kafka');

interface OutputMessage {
  key: string;
  value: { tag: string; value: unknown; ts: string; quality: string; reason?: string; script: { id: string; name: string; version: number } };
}

describe.skipIf(!available)('failure and stop outputs on the Kafka output topic', () => {
  const run = randomBytes(4).toString('hex');
  const topics = { input: `it-fail-in-${run}`, output: `it-fail-out-${run}` };
  const kafka = new Kafka({ clientId: `it-fail-${run}`, brokers: TEST_SERVICES.kafka.split(','), logLevel: logLevel.NOTHING });
  let consumer: Consumer;
  const outputs: OutputMessage[] = [];
  let app: RunningApp | null = null;

  const call = async (method: string, path: string, body?: unknown) => callApi(app!.url, method, path, body);
  const outputsOf = (tag: string) => outputs.filter((message) => message.key === tag).map((message) => message.value);
  async function post(tag: string, value: number, ts: number) {
    expect((await call('POST', '/api/values', [{ tag, value, ts }])).status).toBe(202);
  }
  async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  async function script(name: string, calcCode: string, output: string, input: string) {
    const created = await call('POST', '/api/scripts', { name: `${name}_${run}`, inputs: [{ tag: input, alias: 'a' }], calcCode, outputs: [{ tag: output, variable: 'y' }] });
    expect(created.status).toBe(201);
    expect((await call('POST', `/api/scripts/${created.json.id}/register`)).status).toBe(200);
    return created.json.id as string;
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await createServedTopics(admin, [topics.input, topics.output].map((topic) => ({ topic, numPartitions: 1 })));
    await admin.disconnect();
    consumer = kafka.consumer({ groupId: `it-fail-reader-${run}`, maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topic: topics.output, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void outputs.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) }) });
    app = await startApp({
      env: {
        KAFKA_BROKERS: TEST_SERVICES.kafka,
        KAFKA_INPUT_TOPIC: topics.input,
        KAFKA_OUTPUT_TOPIC: topics.output,
        KAFKA_GROUP_ID: `it-fail-group-${run}`,
        SIMULATOR: 'false',
        QUARANTINE_AFTER: '3',
      },
    });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await consumer?.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect().then(() => admin.deleteTopics({ topics: [topics.input, topics.output] })).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }, 60_000);

  it('publishes null/bad/error once for failed runs, then null/bad/quarantined', async () => {
    const input = `IT.FAIL.${run}.A`;
    const output = `IT.FAIL.${run}.Y`;
    const id = await script('failing', 'if (a > 0) throw new Error("sensor fault");\nconst y = -a;', output, input);
    const t0 = Date.parse('2026-11-27T10:00:00.000Z');
    await post(input, -1, t0);
    await until(() => (outputsOf(output).length >= 1 ? true : undefined), 'the first good output');
    for (let n = 1; n <= 3; n++) {
      await post(input, n, t0 + n * 1000);
      await until(async () => ((await call('GET', `/api/scripts/${id}`)).json.status.errors === n ? true : undefined), `failure ${n}`);
    }
    await until(() => (outputsOf(output).some((message) => message.reason === 'quarantined') ? true : undefined), 'the quarantine on the topic');
    const seen = outputsOf(output);
    expect(seen.map(({ value, quality, reason, ts }) => ({ value, quality, reason, ts }))).toEqual([
      { value: 1, quality: 'good', reason: undefined, ts: '2026-11-27T10:00:00.000Z' },
      // At the triggering timestamp, once (failures 2 and 3 publish nothing new).
      { value: null, quality: 'bad', reason: 'error', ts: '2026-11-27T10:00:01.000Z' },
      { value: null, quality: 'bad', reason: 'quarantined', ts: expect.any(String) },
    ]);
    expect(seen[2].script).toMatchObject({ id, version: 1 });
    expect(Date.parse(seen[2].ts)).toBeGreaterThan(Date.now() - 60_000);
    const tag = await call('GET', `/api/tags/${encodeURIComponent(output)}`);
    expect(tag.json).toMatchObject({ value: null, quality: 'bad', reason: 'quarantined', source: 'script' });
    const status = (await call('GET', `/api/scripts/${id}`)).json.status;
    expect(status).toMatchObject({ state: 'quarantined', lastError: { message: expect.stringContaining('sensor fault'), line: 1 } });
    expect(Date.parse(status.retryAt)).toBeGreaterThan(Date.now());
  }, 90_000);

  it('publishes null/bad/unregistered on unregister and null/bad/deleted on delete', async () => {
    const input = `IT.STOP.${run}.A`;
    const output = `IT.STOP.${run}.Y`;
    const id = await script('stopping', 'const y = a * 2;', output, input);
    await post(input, 4, Date.now());
    await until(() => (outputsOf(output).length >= 1 ? true : undefined), 'the first output');
    expect((await call('POST', `/api/scripts/${id}/unregister`)).status).toBe(200);
    await until(() => (outputsOf(output).length >= 2 ? true : undefined), 'the unregister on the topic');
    expect((await call('POST', `/api/scripts/${id}/register`)).status).toBe(200);
    await post(input, 5, Date.now() + 1);
    await until(() => (outputsOf(output).length >= 3 ? true : undefined), 'the output after registering again');
    expect((await call('DELETE', `/api/scripts/${id}`)).status).toBe(204);
    await until(() => (outputsOf(output).length >= 4 ? true : undefined), 'the delete on the topic');
    expect(outputsOf(output).map(({ value, quality, reason }) => [value, quality, reason])).toEqual([
      [8, 'good', undefined],
      [null, 'bad', 'unregistered'],
      [10, 'good', undefined],
      [null, 'bad', 'deleted'],
    ]);
    expect((await call('GET', `/api/tags/${encodeURIComponent(output)}`)).json).toMatchObject({ value: null, quality: 'bad', reason: 'deleted' });
  }, 90_000);
});
