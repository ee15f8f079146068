import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxHistoryStore } from '../../lib/adapters/history/influx-history-store';
import { freePort, startApp, type RunningApp } from '../helpers/app-process';
import { callApi } from '../helpers/api-requests';
import { servicesAvailable, TEST_SERVICES } from '../helpers/services';

/**
 * Debug, debug sessions, benchmark and plot (api.md) against the built app: in embedded mode, with
 * InfluxDB as the history store when it is reachable, and with InfluxDB down.
 */

async function call(app: RunningApp, method: string, path: string, body?: unknown) {
  const { status, json } = await callApi(app.url, method, path, body);
  return { status, json };
}

function expectEnvelope(result: { status: number; json: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.json)).toBe(status);
  expect(result.json).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const boiler = {
  name: 'boiler_efficiency',
  inputs: [
    { tag: 'DBG.STEAM', alias: 'steam' },
    { tag: 'DBG.FUEL', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel : null;\nconsole.log("eff", eff);',
  outputs: [
    { tag: 'DBG.EFF', variable: 'eff' },
    { tag: 'DBG.RUNS', variable: 'runs' },
  ],
};

describe('debug and plot API, embedded mode', () => {
  let app: RunningApp;
  const now = Math.floor(Date.now() / 1000) * 1000;

  beforeAll(async () => {
    app = await startApp({ env: { DEBUG_SESSION_TTL_MS: '1500', DEBUG_SESSION_MAX: '3' } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('traces a draft: every statement with the variables after it, console lines, and the CalcResult fields', async () => {
    const result = await call(app, 'POST', '/api/scripts/debug', { script: boiler, inputs: { steam: 12, fuel: 4 } });
    expect(result.status, JSON.stringify(result.json)).toBe(200);
    expect(result.json).toMatchObject({
      scriptId: null,
      name: 'boiler_efficiency',
      outputs: { 'DBG.EFF': { value: 3, quality: 'good' }, 'DBG.RUNS': { value: 1, quality: 'good' } },
      staticVars: { runs: 1 },
      error: null,
    });
    expect(result.json.trace).toEqual([
      { step: 1, source: 'init', line: 1, column: 1, vars: { runs: 0 } },
      { step: 2, source: 'calc', line: 1, column: 1, vars: { steam: 12, fuel: 4, runs: 1 } },
      { step: 3, source: 'calc', line: 2, column: 1, vars: { steam: 12, fuel: 4, runs: 1, eff: 3 } },
      { step: 4, source: 'calc', line: 3, column: 1, vars: { steam: 12, fuel: 4, runs: 1, eff: 3 } },
    ]);
    expect(result.json.logs).toEqual([{ level: 'log', message: 'eff 3', line: 3, source: 'calc' }]);
    expect(result.json).not.toHaveProperty('truncated');
  });

  it('caps the trace at 10 000 steps and says so', async () => {
    const result = await call(app, 'POST', '/api/scripts/debug', {
      script: { ...boiler, calcCode: 'let eff = 0;\nfor (let i = 0; i < 20000; i++) eff += i;' },
      inputs: { steam: 1, fuel: 1 },
    });
    expect(result.status).toBe(200);
    expect(result.json.trace).toHaveLength(10_000);
    expect(result.json.truncated).toBe(true);
  });

  it('answers the documented errors for debug', async () => {
    expectEnvelope(await call(app, 'POST', '/api/scripts/debug', { script: { ...boiler, inputs: 'nope' } }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/debug', { scriptId: 'no-such-script' }), 404, 'NOT_FOUND');
    expectEnvelope(await call(app, 'POST', '/api/scripts/debug', '{"script":'), 400, 'VALIDATION_FAILED');
  });

  it('keeps a debug session’s state between runs, and ends it on DELETE', async () => {
    const opened = await call(app, 'POST', '/api/debug-sessions', { script: boiler });
    expect(opened.status, JSON.stringify(opened.json)).toBe(201);
    expect(opened.json).toEqual({ id: expect.any(String), expiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const id = opened.json.id as string;

    const first = await call(app, 'POST', `/api/debug-sessions/${id}/run`, { inputs: { steam: 10, fuel: 5 } });
    expect(first.status, JSON.stringify(first.json)).toBe(200);
    expect(first.json.outputs['DBG.EFF']).toEqual({ value: 2, quality: 'good' });
    expect(first.json.staticVars).toEqual({ runs: 1 });
    expect(first.json.trace[0]).toMatchObject({ source: 'init', vars: { runs: 0 } });

    const second = await call(app, 'POST', `/api/debug-sessions/${id}/run`, { inputs: { steam: 10, fuel: 2 } });
    expect(second.json.staticVars).toEqual({ runs: 2 });
    expect(second.json.outputs['DBG.RUNS']).toEqual({ value: 2, quality: 'good' });
    expect(second.json.trace[0]).toMatchObject({ step: 1, source: 'calc', vars: { runs: 2 } });

    expect((await call(app, 'DELETE', `/api/debug-sessions/${id}`)).status).toBe(204);
    expectEnvelope(await call(app, 'POST', `/api/debug-sessions/${id}/run`, {}), 404, 'NOT_FOUND');
    expectEnvelope(await call(app, 'DELETE', `/api/debug-sessions/${id}`), 404, 'NOT_FOUND');
  });

  it('expires an idle session (DEBUG_SESSION_TTL_MS) and evicts the least recently used beyond DEBUG_SESSION_MAX', async () => {
    const idle = (await call(app, 'POST', '/api/debug-sessions', { script: boiler })).json.id as string;
    await new Promise((resolve) => setTimeout(resolve, 1700));
    expectEnvelope(await call(app, 'POST', `/api/debug-sessions/${idle}/run`, {}), 404, 'NOT_FOUND');

    const ids: string[] = [];
    for (let index = 0; index < 4; index++) ids.push((await call(app, 'POST', '/api/debug-sessions', { script: boiler })).json.id);
    expectEnvelope(await call(app, 'POST', `/api/debug-sessions/${ids[0]}/run`, {}), 404, 'NOT_FOUND');
    for (const id of ids.slice(1)) expect((await call(app, 'POST', `/api/debug-sessions/${id}/run`, {})).status).toBe(200);
  });

  it('refuses a session for a draft that does not compile (422 with diagnostics) or is malformed (400)', async () => {
    const invalid = await call(app, 'POST', '/api/debug-sessions', { script: { ...boiler, calcCode: 'const eff = stem / fuel;' } });
    expectEnvelope(invalid, 422, 'SCRIPT_INVALID');
    expect(invalid.json.error.details.diagnostics[0].message).toContain("did you mean 'steam'");
    expectEnvelope(await call(app, 'POST', '/api/debug-sessions', { script: { calcCode: 1 } }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/debug-sessions/no-such-session/run', {}), 404, 'NOT_FOUND');
  });

  it('benchmarks a script and answers consistent figures', async () => {
    const result = await call(app, 'POST', '/api/scripts/benchmark', { script: boiler, inputs: { steam: 12, fuel: 4 }, durationMs: 200 });
    expect(result.status, JSON.stringify(result.json)).toBe(200);
    const figures = result.json;
    expect(figures).toEqual({
      iterations: expect.any(Number),
      totalMs: expect.any(Number),
      avgMicros: expect.any(Number),
      p50Micros: expect.any(Number),
      p99Micros: expect.any(Number),
      maxMicros: expect.any(Number),
      errors: 0,
      lastError: null,
    });
    expect(figures.iterations).toBeGreaterThan(0);
    expect(figures.p50Micros).toBeLessThanOrEqual(figures.p99Micros);
    expect(figures.p99Micros).toBeLessThanOrEqual(figures.maxMicros);
    expectEnvelope(await call(app, 'POST', '/api/scripts/benchmark', { script: boiler, durationMs: 50 }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/benchmark', { script: { ...boiler, calcCode: 'const eff = x;' } }), 422, 'SCRIPT_INVALID');
  });

  it('calculate still answers while a benchmark runs', async () => {
    const benchmark = call(app, 'POST', '/api/scripts/benchmark', { script: boiler, inputs: { steam: 1, fuel: 1 }, durationMs: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const calculated = await call(app, 'POST', '/api/scripts/calculate', { script: boiler, inputs: { steam: 6, fuel: 3 } });
    expect(calculated.json.outputs['DBG.EFF']).toEqual({ value: 2, quality: 'good' });
    let benchmarkDone = false;
    void benchmark.then(() => (benchmarkDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(benchmarkDone).toBe(false); // calculate was not queued behind the 3 s benchmark
    expect((await benchmark).status).toBe(200);
  });

  it('plots inputs from history and outputs replayed over them', async () => {
    const t = (seconds: number) => now - 600_000 + seconds * 1000;
    const values = [
      { tag: 'DBG.STEAM', value: 10, ts: t(0) },
      { tag: 'DBG.FUEL', value: 5, ts: t(0) },
      { tag: 'DBG.STEAM', value: 12, ts: t(10) },
      { tag: 'DBG.FUEL', value: 4, ts: t(20) },
      { tag: 'DBG.STEAM', value: 20, ts: t(30) },
      { tag: 'DBG.FUEL', value: 10, ts: t(30) },
    ];
    expect((await call(app, 'POST', '/api/values', values)).status).toBe(202);
    await waitFor(async () => {
      const history = await call(app, 'GET', `/api/tags/DBG.FUEL/history?from=${t(0)}&to=${t(60)}`);
      return history.status === 200 && history.json.points.length === 3 ? true : undefined;
    });

    const plotted = await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: new Date(t(0)).toISOString(), to: t(60), maxPoints: 100 });
    expect(plotted.status, JSON.stringify(plotted.json)).toBe(200);
    expect(plotted.json.evaluations).toBe(4);
    expect(plotted.json.errors).toBe(0);
    const series = (tag: string) => plotted.json.series.find((entry: any) => entry.tag === tag);
    expect(series('DBG.STEAM')).toMatchObject({ alias: 'steam', role: 'input' });
    expect(series('DBG.STEAM').points.map((point: any) => point.value)).toEqual([10, 12, 20]);
    expect(series('DBG.EFF')).toMatchObject({ role: 'output' });
    expect(series('DBG.EFF').points).toEqual([
      { ts: new Date(t(0)).toISOString(), value: 2 },
      { ts: new Date(t(10)).toISOString(), value: 2.4 },
      { ts: new Date(t(20)).toISOString(), value: 3 },
      { ts: new Date(t(30)).toISOString(), value: 2 },
    ]);
    expect(series('DBG.RUNS').points.map((point: any) => point.value)).toEqual([1, 2, 3, 4]);
  });

  it('answers the documented errors for plot', async () => {
    expectEnvelope(await call(app, 'POST', '/api/scripts/plot', { script: boiler, to: now }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: now, to: now - 1000 }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: 'yesterday', to: now }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: now - 1000, to: now, maxPoints: 1 }), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call(app, 'POST', '/api/scripts/plot', { script: { ...boiler, calcCode: 'const eff = nope;' }, from: now - 1000, to: now }), 422, 'SCRIPT_INVALID');
  });

  it('documents the new operations in the OpenAPI document', async () => {
    const document = (await call(app, 'GET', '/api/openapi.json')).json;
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/scripts/debug', '/api/scripts/benchmark', '/api/scripts/plot', '/api/debug-sessions', '/api/debug-sessions/{id}/run', '/api/debug-sessions/{id}']),
    );
    expect(document.paths['/api/debug-sessions/{id}'].delete.responses).toHaveProperty('404');
  });
});

const influxAvailable = await servicesAvailable('debug and plot API with InfluxDB', 'influx');

describe.skipIf(!influxAvailable)('plot with InfluxDB as the history store', () => {
  let app: RunningApp;
  const database = `script_server_test_${randomBytes(6).toString('hex')}`;
  const store = new InfluxHistoryStore({ url: TEST_SERVICES.influx, database });
  const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

  beforeAll(async () => {
    await store.createDatabaseIfMissing();
    const records = [];
    for (let second = 0; second < 600; second++) {
      records.push({ tag: 'DBG.STEAM', ts: T0 + second * 1000, value: second === 300 ? 500 : 10, quality: 'good' as const, source: 'raw' as const });
      if (second % 60 === 0) records.push({ tag: 'DBG.FUEL', ts: T0 + second * 1000, value: 5, quality: 'good' as const, source: 'raw' as const });
    }
    await store.write(records);
    app = await startApp({ env: { INFLUX_URL: TEST_SERVICES.influx, INFLUX_DB: database } });
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    await store.dropDatabase().catch(() => undefined);
  });

  it('reads the inputs from InfluxDB, replays them and keeps the spike through downsampling', async () => {
    const plotted = await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: T0, to: T0 + 599_000, maxPoints: 20 });
    expect(plotted.status, JSON.stringify(plotted.json)).toBe(200);
    expect(plotted.json.evaluations).toBe(600);
    const eff = plotted.json.series.find((entry: any) => entry.tag === 'DBG.EFF');
    expect(eff.points.length).toBeLessThanOrEqual(20);
    expect(eff.points).toContainEqual({ ts: new Date(T0 + 300_000).toISOString(), value: 100 });
    const steam = plotted.json.series.find((entry: any) => entry.tag === 'DBG.STEAM');
    expect(steam.points).toContainEqual({ ts: new Date(T0 + 300_000).toISOString(), value: 500 });
  });

  it('shows the tag history from InfluxDB', async () => {
    const history = await call(app, 'GET', `/api/tags/DBG.STEAM/history?from=${T0}&to=${T0 + 599_000}&maxPoints=10`);
    expect(history.status).toBe(200);
    expect(history.json.points.length).toBeLessThanOrEqual(10);
    expect(history.json.points.map((point: any) => point.value)).toContain(500);
  });
});

describe('plot with InfluxDB down', () => {
  let app: RunningApp;

  beforeAll(async () => {
    // A port nobody listens on: the app starts (history is not needed to compute) and reports InfluxDB down.
    const closedPort = await freePort();
    app = await startApp({ env: { INFLUX_URL: `http://127.0.0.1:${closedPort}` }, waitForHealth: false });
    await waitFor(async () => {
      try {
        return (await call(app, 'GET', '/api/scripts')).status === 200 ? true : undefined;
      } catch {
        return undefined;
      }
    }, 60_000);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it('answers 503 naming InfluxDB, and the other runs still work', async () => {
    const now = Date.now();
    const plotted = await call(app, 'POST', '/api/scripts/plot', { script: boiler, from: now - 60_000, to: now });
    expectEnvelope(plotted, 503, 'UNAVAILABLE');
    expect(plotted.json.error.message).toMatch(/InfluxDB/);
    const history = await call(app, 'GET', `/api/tags/DBG.STEAM/history?from=${now - 60_000}&to=${now}`);
    expectEnvelope(history, 503, 'UNAVAILABLE');
    expect(history.json.error.message).toMatch(/InfluxDB/);
    expect((await call(app, 'POST', '/api/scripts/debug', { script: boiler, inputs: { steam: 1, fuel: 1 } })).status).toBe(200);
  });
});
