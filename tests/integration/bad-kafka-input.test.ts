import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type Consumer, type IHeaders, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';
import { createServedTopics } from '../../lib/adapters/bus/topic-leaders';

/**
 * R2 of quality-bar.md: bad input on Kafka, through the whole built app (Kafka bus, embedded
 * database and history, no simulator) with topics of its own. After each bad message a good value is
 * produced on the same partition; each case asserts that the bad input was counted
 * (script_server_values_rejected_total grows by exactly the refused values), sent to the DLQ with its
 * reason, that the good value after it was computed (consumption goes on), and that nothing crashed.
 */

const available = await servicesAvailable('bad Kafka input', 'kafka');

interface DlqMessage {
  value: Buffer | null;
  reason: string;
  sourceOffset: string;
  rejectedElements?: string;
  truncatedFrom?: string;
}

describe.skipIf(!available)('bad input on Kafka (the built app in Kafka mode)', () => {
  const run = randomBytes(4).toString('hex');
  const topics = { input: `r2-in-${run}`, output: `r2-out-${run}`, dlq: `r2-dlq-${run}` };
  const kafka = new Kafka({ clientId: `r2-${run}`, brokers: TEST_SERVICES.kafka.split(','), logLevel: logLevel.NOTHING });
  let producer: Producer;
  const consumers: Consumer[] = [];
  const outputs: Array<{ tag: string; value: unknown; ts: string }> = [];
  const dlq: DlqMessage[] = [];
  let app: RunningApp;

  /** Event times of the good values: increasing, so each one is newer than the last and triggers the script. */
  const startTs = Date.now() - 30 * 60_000;
  let goodValues = 0;

  const header = (headers: IHeaders | undefined, name: string) => {
    const value = headers?.[name];
    return value === undefined ? undefined : String(value);
  };

  async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Produces one message on the input topic and answers its offset. */
  async function produce(value: Buffer | string | null): Promise<string> {
    const [metadata] = await producer.send({ topic: topics.input, acks: -1, messages: [{ key: 'r2', value }] });
    return metadata.baseOffset ?? metadata.offset ?? '';
  }

  async function rejectedTotal(): Promise<number> {
    const text = (await callApi(app.url, 'GET', '/api/metrics')).text;
    const match = /^script_server_values_rejected_total (\d+)/m.exec(text);
    return match ? Number(match[1]) : 0;
  }

  /** Produces a good value for the script's input and waits until its output (twice the value) is published. */
  async function expectGoodValueComputed(): Promise<void> {
    goodValues++;
    const value = goodValues;
    const ts = new Date(startTs + goodValues * 1000).toISOString();
    await produce(JSON.stringify({ tag: 'R2.IN', value, ts }));
    await waitFor(() => outputs.find((output) => output.tag === 'R2.OUT' && output.ts === ts), `the output of the good value ${value} after a bad message`);
    expect(outputs.find((output) => output.tag === 'R2.OUT' && output.ts === ts)?.value).toBe(value * 2);
  }

  async function readTopic(topic: string, onMessage: (message: { key: Buffer | null; value: Buffer | null; headers?: IHeaders }) => void) {
    const consumer = kafka.consumer({ groupId: `r2-reader-${topic}`, maxWaitTimeInMs: 100 });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => onMessage(message) });
  }

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    // One partition: the good value after a bad message is consumed after it.
    await createServedTopics(admin, [topics.input, topics.output, topics.dlq].map((topic) => ({ topic, numPartitions: 1 })));
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await readTopic(topics.output, (message) => {
      const body = JSON.parse(message.value!.toString('utf8'));
      outputs.push({ tag: body.tag, value: body.value, ts: body.ts });
    });
    await readTopic(topics.dlq, (message) => {
      dlq.push({
        value: message.value,
        reason: header(message.headers, 'dlq-reason') ?? '',
        sourceOffset: header(message.headers, 'dlq-source-offset') ?? '',
        rejectedElements: header(message.headers, 'dlq-rejected-elements'),
        truncatedFrom: header(message.headers, 'dlq-truncated-from'),
      });
    });
    app = await startApp({
      env: {
        KAFKA_BROKERS: TEST_SERVICES.kafka,
        KAFKA_INPUT_TOPIC: topics.input,
        KAFKA_OUTPUT_TOPIC: topics.output,
        KAFKA_DLQ_TOPIC: topics.dlq,
        KAFKA_GROUP_ID: `r2-group-${run}`,
        SIMULATOR: 'off',
      },
    });
    const created = await callApi(app.url, 'POST', '/api/scripts', {
      name: `r2_double_${run}`,
      inputs: [{ tag: 'R2.IN', alias: 'x' }],
      calcCode: 'const y = x * 2;',
      outputs: [{ tag: 'R2.OUT', variable: 'y' }],
    });
    expect(created.status, created.text).toBe(201);
    const registered = await callApi(app.url, 'POST', `/api/scripts/${created.json.id}/register`);
    expect(registered.status, registered.text).toBe(200);
    await expectGoodValueComputed();
  }, 180_000);

  afterAll(async () => {
    await app?.stop();
    await Promise.allSettled([producer?.disconnect(), ...consumers.map((consumer) => consumer.disconnect())]);
    const admin = kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }, 60_000);

  const now = () => Date.now();
  const tsAgo = (ms: number) => new Date(now() - ms).toISOString();
  const json = (body: unknown) => JSON.stringify(body);

  /** [case, the message value (made when the case runs), values refused in it, what the DLQ reason says]. */
  const CASES: Array<[string, () => Buffer | string | null, number, RegExp]> = [
    ['not JSON', () => 'this is not json {', 1, /not JSON/],
    ['JSON with a NaN literal', () => '{"tag": "R2.BAD", "value": NaN}', 1, /not JSON/],
    ['binary garbage', () => Buffer.from([0xff, 0xfe, 0x00, 0x81, 0xc3, 0x28, 0xa0, 0xa1, 0xf0, 0x28, 0x8c, 0xbc]), 1, /not UTF-8/],
    ['random bytes', () => randomBytes(4096), 1, /not UTF-8|not JSON/],
    ['an empty value', () => '', 1, /empty/],
    ['a null value (tombstone)', () => null, 1, /empty/],
    ['the JSON literal null', () => 'null', 1, /expected an object/],
    ['a bare number', () => '42', 1, /expected an object/],
    ['a bare string', () => '"R2.IN"', 1, /expected an object/],
    ['arrays nested 100 000 levels', () => '['.repeat(100_000) + ']'.repeat(100_000), 1, /expected an object/],
    ['a missing tag', () => json({ value: 1, ts: tsAgo(1000) }), 1, /tag must be a string/],
    ['a missing value', () => json({ tag: 'R2.BAD', ts: tsAgo(1000) }), 1, /value is missing/],
    ['an empty tag', () => json({ tag: '  ', value: 1 }), 1, /tag must not be empty/],
    ['a tag of 300 characters', () => json({ tag: 'T'.repeat(300), value: 1 }), 1, /limit is 256/],
    ['a number as tag', () => json({ tag: 101, value: 1 }), 1, /tag must be a string, got number/],
    ['an object as value', () => json({ tag: 'R2.BAD', value: { v: 1 } }), 1, /value must be a number, boolean, string or null, got an object/],
    ['an array as value', () => json({ tag: 'R2.BAD', value: [1, 2] }), 1, /got an array/],
    ['the string "NaN" as value', () => json({ tag: 'R2.BAD', value: 'NaN' }), 1, /not a finite number/],
    ['the string "Infinity" as value', () => json({ tag: 'R2.BAD', value: 'Infinity' }), 1, /not a finite number/],
    ['the string "-inf" as value', () => json({ tag: 'R2.BAD', value: '-inf' }), 1, /not a finite number/],
    ['a string value over 4 KB', () => json({ tag: 'R2.BAD', value: 'v'.repeat(5000) }), 1, /longer than 4096 bytes/],
    ['a NUL in a string value', () => json({ tag: 'R2.BAD', value: 'a\u0000b' }), 1, /NUL/],
    ['a lone surrogate in a string value', () => json({ tag: 'R2.BAD', value: 'half \ud800' }), 1, /surrogate/],
    ['a lone surrogate in the tag', () => json({ tag: 'R2.\udc00', value: 1 }), 1, /surrogate/],
    ['a NUL in the tag', () => json({ tag: 'R2.\u0000', value: 1 }), 1, /control characters/],
    ['a far-future timestamp', () => json({ tag: 'R2.BAD', value: 1, ts: '2999-01-01T00:00:00Z' }), 1, /ahead of the server clock/],
    ['a timestamp two days ahead', () => json({ tag: 'R2.BAD', value: 1, ts: now() + 2 * 86_400_000 }), 1, /ahead of the server clock/],
    ['an ancient timestamp', () => json({ tag: 'R2.BAD', value: 1, ts: '1970-01-01T00:00:00Z' }), 1, /before 1990/],
    ['a timestamp just before 1990', () => json({ tag: 'R2.BAD', value: 1, ts: '1989-12-31T23:59:59Z' }), 1, /before 1990/],
    ['epoch seconds instead of milliseconds', () => json({ tag: 'R2.BAD', value: 1, ts: Math.floor(now() / 1000) }), 1, /epoch seconds/],
    ['a timestamp that is not a time', () => json({ tag: 'R2.BAD', value: 1, ts: 'yesterday' }), 1, /not an ISO 8601 time/],
    ['a timestamp of 1e308', () => json({ tag: 'R2.BAD', value: 1, ts: 1e308 }), 1, /ahead of the server clock/],
    ['an object as timestamp', () => json({ tag: 'R2.BAD', value: 1, ts: { at: 1 } }), 1, /ts must be/],
    ['the quality "excellent"', () => json({ tag: 'R2.BAD', value: 1, quality: 'excellent' }), 1, /quality 'excellent'/],
    ['a negative quality code', () => json({ tag: 'R2.BAD', value: 1, quality: -1 }), 1, /OPC UA status code/],
    ['a fractional quality code', () => json({ tag: 'R2.BAD', value: 1, quality: 1.5 }), 1, /OPC UA status code/],
    ['a quality code over 32 bits', () => json({ tag: 'R2.BAD', value: 1, quality: 2 ** 32 }), 1, /OPC UA status code/],
    ['an object as quality', () => json({ tag: 'R2.BAD', value: 1, quality: { good: true } }), 1, /OPC UA status code/],
    ['an array of only bad elements', () => json([{ tag: 'R2.BAD' }, 7, null, { value: 2 }]), 4, /element 0: .*element 3:/],
  ];

  it.each(CASES)('%s: counted, sent to the DLQ, and the next good value is computed', async (_what, message, refused, reason) => {
    const before = await rejectedTotal();
    const offset = await produce(message());
    await expectGoodValueComputed();
    expect(await rejectedTotal()).toBe(before + refused);
    const forwarded = await waitFor(() => dlq.find((entry) => entry.sourceOffset === offset), `the DLQ copy of offset ${offset}`);
    expect(forwarded.reason).toMatch(reason);
  });

  it('an array with some bad elements: the bad ones counted and sent to the DLQ, the good ones kept', async () => {
    const ts = tsAgo(60_000);
    const before = await rejectedTotal();
    const offset = await produce(
      json([
        { tag: 'R2.MIX.A', value: 1, ts },
        { tag: 'R2.MIX.BAD', value: 'NaN', ts },
        { tagname: 'R2.MIX.B', value: true, timestamp: Date.parse(ts), quality: 0x40000000 },
        'not an object',
        { name: 'R2.MIX.C', value: 'text', ts, quality: 'bad' },
        { tag: 'R2.MIX.FUTURE', value: 1, ts: '2999-01-01T00:00:00Z' },
      ]),
    );
    await expectGoodValueComputed();
    expect(await rejectedTotal()).toBe(before + 3);
    const forwarded = await waitFor(() => dlq.find((entry) => entry.sourceOffset === offset), 'the DLQ copy of the mixed array');
    expect(forwarded.rejectedElements).toBe('1,3,5');
    for (const [tag, value, quality] of [
      ['R2.MIX.A', 1, 'good'],
      ['R2.MIX.B', true, 'uncertain'],
      ['R2.MIX.C', 'text', 'bad'],
    ] as const) {
      const read = await waitFor(async () => {
        const answer = await callApi(app.url, 'GET', `/api/tags/${encodeURIComponent(tag)}`);
        return answer.status === 200 ? answer.json : undefined;
      }, `the kept element ${tag}`);
      expect(read).toMatchObject({ tag, value, quality, ts });
    }
    for (const tag of ['R2.MIX.BAD', 'R2.MIX.FUTURE']) expect((await callApi(app.url, 'GET', `/api/tags/${tag}`)).status).toBe(404);
  });

  it('a ~900 KB message of 20 000 elements, 1 in 100 bad: 200 counted, 19 800 kept, the DLQ copy truncated', async () => {
    const base = now() - 20 * 60_000;
    const elements: unknown[] = [];
    for (let index = 0; index < 20_000; index++) {
      const tag = `R2H${index % 40}`;
      if (index % 100 === 99) elements.push(index % 200 === 99 ? { tag, value: 'Infinity', ts: base + index } : { value: index, ts: base + index });
      else elements.push({ tag, value: index, ts: base + index });
    }
    const text = json(elements);
    expect(text.length).toBeGreaterThan(850_000);
    expect(text.length).toBeLessThan(1_000_000); // under the broker's default message.max.bytes (1 MB)
    const before = await rejectedTotal();
    const offset = await produce(text);
    await expectGoodValueComputed();
    expect(await rejectedTotal()).toBe(before + 200);
    const forwarded = await waitFor(() => dlq.find((entry) => entry.sourceOffset === offset), 'the DLQ copy of the huge message');
    expect(forwarded.rejectedElements?.split(',')).toHaveLength(200);
    expect(Number(forwarded.truncatedFrom)).toBe(Buffer.byteLength(text));
    // The last good element of every tag is its latest value.
    for (const tagIndex of [0, 19, 39]) {
      const tag = `R2H${tagIndex}`;
      let last = -1;
      for (let index = tagIndex; index < 20_000; index += 40) if (index % 100 !== 99) last = index;
      const read = await waitFor(async () => {
        const answer = await callApi(app.url, 'GET', `/api/tags/${tag}`);
        return answer.status === 200 && answer.json.value === last ? answer.json : undefined;
      }, `the latest value of ${tag}`);
      expect(read).toMatchObject({ value: last, ts: new Date(base + last).toISOString() });
    }
  });

  it('a burst of 500 bad messages interleaved with good values: every good value computed, every bad one counted', async () => {
    const before = await rejectedTotal();
    const firstGood = goodValues + 1;
    const messages: Array<{ key: string; value: string | Buffer | null }> = [];
    for (let index = 0; index < 500; index++) {
      const bad = CASES[index % CASES.length];
      messages.push({ key: 'r2', value: bad[1]() });
      if (index % 50 === 49) {
        goodValues++;
        messages.push({ key: 'r2', value: json({ tag: 'R2.IN', value: goodValues, ts: new Date(startTs + goodValues * 1000).toISOString() }) });
      }
    }
    const expectedRefused = Array.from({ length: 500 }, (_, index) => CASES[index % CASES.length][2]).reduce((sum, count) => sum + count, 0);
    for (let start = 0; start < messages.length; start += 100) {
      await producer.send({ topic: topics.input, acks: -1, messages: messages.slice(start, start + 100) });
    }
    for (let value = firstGood; value <= goodValues; value++) {
      const ts = new Date(startTs + value * 1000).toISOString();
      await waitFor(() => outputs.find((output) => output.tag === 'R2.OUT' && output.ts === ts), `the output of the good value ${value} in the burst`);
    }
    await expectGoodValueComputed();
    expect(await rejectedTotal()).toBe(before + expectedRefused);
  });

  it('history and the catalog still work after values that no database could store', async () => {
    const history = await waitFor(async () => {
      const answer = await callApi(app.url, 'GET', `/api/tags/R2.IN/history?from=${encodeURIComponent(new Date(startTs).toISOString())}&maxPoints=100000`);
      return answer.status === 200 && answer.json.points.length >= goodValues ? answer.json : undefined;
    }, 'every good value in the history', 30_000);
    expect(history.points.at(-1)).toMatchObject({ value: goodValues });
    const metrics = (await callApi(app.url, 'GET', '/api/metrics')).text;
    expect(metrics).toMatch(/^script_server_values_rejected_total [1-9]\d*/m);
  });

  it('the app never crashed: healthy, still consuming, every DLQ message names its reason', async () => {
    expect(app.process.exitCode).toBeNull();
    const health = await callApi(app.url, 'GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', bus: 'kafka' });
    await expectGoodValueComputed();
    expect(dlq.length).toBeGreaterThanOrEqual(CASES.length + 2 + 500);
    for (const entry of dlq) expect(entry.reason).not.toBe('');
    expect(app.output()).not.toMatch(/uncaught|unhandled rejection|"level":60/i);
  });
});
