import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authFetch, startApp, type RunningApp } from '../helpers/app-process';
import { createTestDatabase, testInfluxDatabase, type TestDatabase } from '../helpers/databases';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * The built app in production mode against real Kafka, PostgreSQL and InfluxDB: raw values produced
 * with a plain kafkajs client come out on the output topic with the right key, value, event time and
 * lineage; bad messages go to the DLQ; a restart loses nothing; web and worker as separate processes.
 */

const available = await servicesAvailable('production mode', 'kafka', 'postgres', 'influx');

interface OutputMessage {
  key: string;
  value: { tag: string; value: unknown; ts: string; quality: string; script: { id: string; name: string; version: number } };
}

describe.skipIf(!available)('production mode (Kafka, PostgreSQL, InfluxDB)', () => {
  const run = randomBytes(4).toString('hex');
  const topics = { input: `it-in-${run}`, output: `it-out-${run}`, dlq: `it-dlq-${run}` };
  const kafka = new Kafka({ clientId: `it-${run}`, brokers: TEST_SERVICES.kafka.split(','), logLevel: logLevel.NOTHING });
  let producer: Producer;
  let outputConsumer: Consumer;
  let dlqConsumer: Consumer;
  const outputs: OutputMessage[] = [];
  const dlq: Array<{ value: string; reason: string }> = [];
  let database: TestDatabase;
  const influx = testInfluxDatabase();
  let app: RunningApp | null = null;
  let env: Record<string, string>;

  async function call(base: string, method: string, path: string, body?: unknown) {
    const response = await authFetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  }

  async function produce(values: unknown[]) {
    await producer.send({ topic: topics.input, acks: -1, messages: values.map((value) => ({ value: typeof value === 'string' ? value : JSON.stringify(value) })) });
  }

  async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const outputsOf = (tag: string) => outputs.filter((message) => message.key === tag);

  beforeAll(async () => {
    database = await createTestDatabase();
    env = {
      DATABASE_URL: database.url,
      KAFKA_BROKERS: TEST_SERVICES.kafka,
      KAFKA_INPUT_TOPIC: topics.input,
      KAFKA_OUTPUT_TOPIC: topics.output,
      KAFKA_DLQ_TOPIC: topics.dlq,
      KAFKA_GROUP_ID: `it-group-${run}`,
      INFLUX_URL: TEST_SERVICES.influx,
      INFLUX_DB: influx.name,
    };
    const admin = kafka.admin();
    await admin.connect();
    await createServedTopics(admin, [topics.input, topics.output, topics.dlq].map((topic) => ({ topic, numPartitions: 1 })));
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    outputConsumer = kafka.consumer({ groupId: `it-out-reader-${run}`, maxWaitTimeInMs: 200 });
    await outputConsumer.connect();
    await outputConsumer.subscribe({ topic: topics.output, fromBeginning: true });
    await outputConsumer.run({
      eachMessage: async ({ message }) => {
        outputs.push({ key: message.key!.toString(), value: JSON.parse(message.value!.toString()) });
      },
    });
    dlqConsumer = kafka.consumer({ groupId: `it-dlq-reader-${run}`, maxWaitTimeInMs: 200 });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: topics.dlq, fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        dlq.push({ value: message.value?.toString() ?? '', reason: message.headers?.['dlq-reason']?.toString() ?? '' });
      },
    });
    app = await startApp({ env });
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.allSettled([producer?.disconnect(), outputConsumer?.disconnect(), dlqConsumer?.disconnect()]);
    await database?.drop().catch(() => undefined);
    await influx.drop();
  }, 60_000);

  let scriptId = '';

  it('reports the production parts in its health', async () => {
    const health = await call(app!.url, 'GET', '/api/health');
    expect(health).toMatchObject({ status: 200, json: { status: 'ok', db: 'postgres', bus: 'kafka', history: 'influx' } });
  });

  it('computes from raw values on Kafka and publishes outputs keyed by tag, with event time and lineage', async () => {
    const created = await call(app!.url, 'POST', '/api/scripts', {
      name: `efficiency_${run}`,
      inputs: [
        { tag: 'K.STEAM', alias: 'steam' },
        { tag: 'K.FUEL', alias: 'fuel' },
      ],
      calcCode: 'const eff = fuel > 0 ? steam / fuel : null;',
      outputs: [{ tag: 'K.EFF', variable: 'eff' }],
    });
    expect(created.status).toBe(201);
    scriptId = created.json.id;
    expect((await call(app!.url, 'POST', `/api/scripts/${scriptId}/register`)).status).toBe(200);

    // Every message form of messages.md: one object, an array, field aliases, epoch ms, OPC UA quality.
    await produce([
      { tag: 'K.STEAM', value: 10, ts: '2026-11-27T10:00:00.000Z' },
      [{ tagname: 'K.FUEL', value: 4, timestamp: Date.parse('2026-11-27T10:00:00.000Z'), quality: 0 }],
    ]);
    const first = await waitFor(() => outputsOf('K.EFF')[0], 30_000, 'first output');
    expect(first.value).toEqual({
      tag: 'K.EFF',
      value: 2.5,
      ts: '2026-11-27T10:00:00.000Z',
      quality: 'good',
      script: { id: scriptId, name: `efficiency_${run}`, version: 1 },
    });

    // Same inputs at a later time → same output → not republished; then a change is.
    await produce([{ name: 'K.STEAM', value: 10, ts: '2026-11-27T10:00:01.000Z' }]);
    await produce([{ tag: 'K.STEAM', value: 12, ts: '2026-11-27T10:00:02.000Z', quality: 0x40000000 }]);
    const second = await waitFor(() => outputsOf('K.EFF')[1], 30_000, 'second output');
    expect(second.value).toMatchObject({ value: 3, ts: '2026-11-27T10:00:02.000Z', quality: 'uncertain' });
    expect(outputsOf('K.EFF')).toHaveLength(2);
  });

  it('sends malformed messages to the DLQ and still computes the good values after them', async () => {
    await produce(['not json', '', '{"value": 1}', '[{"tag": "K.FUEL", "value": "NaN"}, {"tag": "K.FUEL", "value": 5, "ts": "2026-11-27T10:00:03.000Z"}]']);
    await producer.send({ topic: topics.input, messages: [{ value: Buffer.from([0xff, 0xfe, 0x00, 0x81]) }] });
    const third = await waitFor(() => outputsOf('K.EFF')[2], 30_000, 'output after bad messages');
    expect(third.value).toMatchObject({ value: 2.4, ts: '2026-11-27T10:00:03.000Z' });
    await waitFor(() => (dlq.length >= 5 ? true : undefined), 30_000, 'five DLQ messages');
    expect(dlq.map((entry) => entry.reason).join('\n')).toMatch(/not JSON/);
    const metrics = await (await fetch(`${app!.url}/api/metrics`)).text();
    expect(metrics).toMatch(/script_server_values_rejected_total [1-9]/);
  });

  it('writes raw and computed values to InfluxDB for the tag history', async () => {
    const history = await waitFor(async () => {
      const result = await call(app!.url, 'GET', `/api/tags/K.EFF/history?from=2026-11-27T09:59:00Z&to=2026-11-27T10:01:00Z`);
      return result.status === 200 && result.json.points.length >= 3 ? result.json : undefined;
    }, 30_000, 'history in InfluxDB');
    expect(history.points.map((point: { value: number }) => point.value)).toEqual([2.5, 3, 2.4]);
  });

  it('restarts without amnesia and processes what was produced while it was down', async () => {
    expect(await app!.stop('SIGTERM')).toBe(0);
    app = null;
    // Produced while the worker is down: only steam changes; fuel (5) must come from the snapshot.
    await produce([{ tag: 'K.STEAM', value: 15, ts: '2026-11-27T10:00:04.000Z' }]);
    app = await startApp({ env });
    const fourth = await waitFor(() => outputsOf('K.EFF')[3], 60_000, 'output after restart');
    expect(fourth.value).toMatchObject({ value: 3, ts: '2026-11-27T10:00:04.000Z' });
    const tag = await call(app.url, 'GET', '/api/tags/K.FUEL');
    expect(tag.json).toMatchObject({ value: 5, ts: '2026-11-27T10:00:03.000Z' });
  });

  it('runs the web and the worker as separate processes; changes through the web reach the worker', async () => {
    await app!.stop();
    app = null;
    const worker = await startApp({ entry: 'dist/worker.mjs', env, waitForHealth: false });
    const web = await startApp({ args: ['web'], env });
    try {
      const created = await call(web.url, 'POST', '/api/scripts', {
        name: `double_${run}`,
        inputs: [{ tag: 'K.STEAM', alias: 'steam' }],
        calcCode: 'const twice = steam * 2;',
        outputs: [{ tag: 'K.TWICE', variable: 'twice' }],
      });
      expect((await call(web.url, 'POST', `/api/scripts/${created.json.id}/register`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the worker polls every 500 ms
      await produce([{ tag: 'K.STEAM', value: 21, ts: '2026-11-27T10:00:05.000Z' }]);
      const twice = await waitFor(() => outputsOf('K.TWICE')[0], 30_000, 'output of a script registered through the web');
      expect(twice.value).toMatchObject({ value: 42, ts: '2026-11-27T10:00:05.000Z', script: { name: `double_${run}` } });
      // The web process mirrors both topics: the tag list shows raw and computed values.
      const mirrored = await waitFor(async () => {
        const result = await call(web.url, 'GET', '/api/tags/K.TWICE');
        return result.status === 200 ? result.json : undefined;
      });
      expect(mirrored).toMatchObject({ value: 42, source: 'script' });
      // Calculate in the web process uses the latest values it mirrors.
      const calculated = await call(web.url, 'POST', '/api/scripts/calculate', { scriptId: created.json.id });
      expect(calculated.json.outputs['K.TWICE'].value).toBe(42);
      // A shadow started through the web runs on the worker beside the live version (changes.md): the
      // web shows its comparison, and nothing of it reaches the output topic.
      const shadow = await call(web.url, 'POST', `/api/scripts/${created.json.id}/shadow`, {
        script: { name: `double_${run}`, inputs: [{ tag: 'K.STEAM', alias: 'steam' }], calcCode: 'const twice = steam * 100;', outputs: [{ tag: 'K.TWICE', variable: 'twice' }] },
      });
      expect(shadow.status).toBe(201);
      await waitFor(async () => ((await call(web.url, 'GET', `/api/scripts/${created.json.id}/shadow`)).json.state === 'running' ? true : undefined), 30_000, 'the worker running the shadow');
      await produce([{ tag: 'K.STEAM', value: 25, ts: '2026-11-27T10:00:05.500Z' }]);
      const compared = await waitFor(async () => {
        const answer = (await call(web.url, 'GET', `/api/scripts/${created.json.id}/shadow`)).json;
        return answer.outputs['K.TWICE'].compared > 0 ? answer : undefined;
      }, 30_000, 'the shadow comparison saved by the worker');
      expect(compared.outputs['K.TWICE']).toMatchObject({ live: { value: 50 }, shadow: { value: 2500 }, differing: 1, maxAbsDiff: 2450 });
      await waitFor(() => outputsOf('K.TWICE').find((message) => message.value.value === 50), 30_000, 'the live output');
      expect(outputsOf('K.TWICE').map((message) => message.value.value)).toEqual([42, 50]);
      // Unregister through the web: the worker publishes the output null/bad/unregistered (scripts.md)
      // and stops computing it.
      await call(web.url, 'POST', `/api/scripts/${created.json.id}/unregister`);
      const stopped = await waitFor(() => outputsOf('K.TWICE')[2], 30_000, 'the unregistered output saying so');
      expect(stopped.value).toMatchObject({ value: null, quality: 'bad', reason: 'unregistered', script: { name: `double_${run}` } });
      await produce([{ tag: 'K.STEAM', value: 30, ts: '2026-11-27T10:00:06.000Z' }]);
      await waitFor(() => outputsOf('K.EFF').find((message) => message.value.ts === '2026-11-27T10:00:06.000Z'), 30_000, 'the other script still computing');
      expect(outputsOf('K.TWICE')).toHaveLength(3);
      expect((await call(web.url, 'GET', `/api/scripts/${created.json.id}/shadow`)).status).toBe(404);
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
      await web.stop();
    }
  });

  it('answers 503 naming InfluxDB when it is unreachable, while computing goes on', async () => {
    const broken = await startApp({ env: { ...env, INFLUX_URL: 'http://127.0.0.1:9' }, waitForHealth: false });
    try {
      const health = await waitFor(async () => {
        try {
          const result = await call(broken.url, 'GET', '/api/health');
          return result.status === 503 ? result.json : undefined;
        } catch {
          return undefined;
        }
      }, 60_000, 'health 503');
      expect(health.error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining('InfluxDB') });
      await produce([{ tag: 'K.FUEL', value: 10, ts: '2026-11-27T10:00:07.000Z' }]);
      const output = await waitFor(() => outputsOf('K.EFF').find((message) => message.value.ts === '2026-11-27T10:00:07.000Z'), 30_000, 'output with InfluxDB down');
      expect(output.value.value).toBe(3);
    } finally {
      await broken.stop();
    }
  });
});
