import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';

/**
 * The API of api.md against the built app started in embedded mode (no service needed), the way a
 * newcomer runs it: the whole flow, and every documented 4xx with its envelope.
 */

let app: RunningApp;

beforeAll(async () => {
  app = await startApp({ env: { BODY_LIMIT_BYTES: String(64 * 1024) } });
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const { status, json, headers: answerHeaders } = await callApi(app.url, method, path, body, headers);
  return { status, json, headers: answerHeaders };
}

function expectEnvelope(result: { status: number; json: any }, status: number, code: string) {
  expect(result.status, JSON.stringify(result.json)).toBe(status);
  expect(result.json).toEqual({ error: { code, message: expect.any(String), details: expect.any(Object) } });
  expect(result.json.error.message).not.toMatch(/\n\s+at /); // never a stack trace
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const boiler = (name = 'steam_per_fuel', outputTag = 'TEST.EFF') => ({
  name,
  description: 'Steam produced per unit of fuel',
  inputs: [
    { tag: 'FT-101.PV', alias: 'steam' },
    { tag: 'FT-102.PV', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel : null;',
  outputs: [
    { tag: outputTag, variable: 'eff', deadband: 0.0001 },
    { tag: `${outputTag}.RUNS`, variable: 'runs' },
  ],
  trigger: { type: 'onChange' },
});

describe('embedded mode API', () => {
  it('reports health of the embedded parts', async () => {
    const health = await call('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ status: 'ok', db: 'embedded', bus: 'embedded', history: 'embedded', version: expect.any(String) });
  });

  it('creates, registers, computes from posted values and shows the output with the input timestamp', async () => {
    const created = await call('POST', '/api/scripts', boiler());
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ name: 'steam_per_fuel', version: 1, status: { state: 'unregistered' } });
    const id = created.json.id as string;

    const registered = await call('POST', `/api/scripts/${id}/register`);
    expect(registered.status).toBe(200);
    expect(registered.json.status.state).toBe('registered');

    const ts = '2026-11-27T10:00:00.000Z';
    const accepted = await call('POST', '/api/values', [
      { tag: 'FT-101.PV', value: 12.5, ts, quality: 'good' },
      { tag: 'FT-102.PV', value: 4, ts },
    ]);
    expect(accepted).toMatchObject({ status: 202, json: { accepted: 2 } });

    const output = await waitFor(async () => {
      const tag = await call('GET', `/api/tags/${encodeURIComponent('TEST.EFF')}`);
      return tag.status === 200 ? tag.json : undefined;
    });
    expect(output).toEqual({
      tag: 'TEST.EFF',
      value: 3.125,
      ts,
      quality: 'good',
      source: 'script',
      // No description or unit declared by the script's output; it produces the tag, so no removal.
      description: null,
      unit: null,
      lo: null,
      hi: null,
      removal: expect.objectContaining({ allowed: false, code: 'produced' }),
    });

    const script = await waitFor(async () => {
      const got = await call('GET', `/api/scripts/${id}`);
      return got.json.status.evaluations >= 1 ? got.json : undefined;
    });
    expect(script.status).toMatchObject({ state: 'registered', errors: 0, lastError: null });

    const search = await call('GET', '/api/tags?query=test.eff');
    expect(search.json.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['TEST.EFF', 'TEST.EFF.RUNS']);

    const unregistered = await call('POST', `/api/scripts/${id}/unregister`);
    expect(unregistered.json.status.state).toBe('unregistered');
  });

  it('calculates a draft on the latest data, with overrides and a warning for unseen inputs', async () => {
    await call('POST', '/api/values', [{ tag: 'FT-101.PV', value: 12.5 }, { tag: 'FT-102.PV', value: 4 }]);
    await waitFor(async () => ((await call('GET', '/api/tags/FT-102.PV')).status === 200 ? true : undefined));
    const calculated = await call('POST', '/api/scripts/calculate', { script: { ...boiler(), name: undefined }, inputs: { fuel: 5 } });
    expect(calculated.status).toBe(200);
    expect(calculated.json).toMatchObject({
      scriptId: null,
      outputs: { 'TEST.EFF': { value: 2.5, quality: 'good' }, 'TEST.EFF.RUNS': { value: 1 } },
      staticVars: { runs: 1 },
      error: null,
    });
    expect(calculated.json.inputs['FT-102.PV']).toMatchObject({ alias: 'fuel', value: 5 });

    const validated = await call('POST', '/api/scripts/validate', {
      script: { ...boiler(), inputs: [...boiler().inputs, { tag: 'NEVER.SEEN', alias: 'ghost' }], calcCode: 'const eff = steam / fuel + (ghost ?? 0);\nruns = 1;' },
    });
    expect(validated.status).toBe(200);
    expect(validated.json.ok).toBe(true);
    expect(validated.json.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', message: expect.stringContaining("'ghost'") }));
  });

  it('validates with diagnostics at the line and column of the user code', async () => {
    const typo = await call('POST', '/api/scripts/validate', { script: { ...boiler(), calcCode: 'runs++;\nconst eff = stem / fuel;' } });
    expect(typo.json.ok).toBe(false);
    expect(typo.json.diagnostics[0]).toMatchObject({
      severity: 'error',
      source: 'calc',
      kind: 'reference',
      line: 2,
      column: 13,
      message: "'stem' is not defined — did you mean 'steam'?",
    });
    const syntax = await call('POST', '/api/scripts/validate', { script: { ...boiler(), calcCode: 'runs++;\nconst eff = (steam / fuel;' } });
    expect(syntax.json.diagnostics[0]).toMatchObject({ kind: 'syntax', source: 'calc', line: 2 });
    const reserved = await call('POST', '/api/scripts/validate', { script: { ...boiler(), inputs: [{ tag: 'A', alias: 'class' }] } });
    expect(reserved.status).toBe(200);
    expect(reserved.json.diagnostics[0]).toMatchObject({
      kind: 'definition',
      code: 'invalid-definition',
      message: "input 1, alias: 'class' is a reserved word",
      params: { field: 'input 1, alias', problem: "'class' is a reserved word", path: 'inputs[0].alias' },
    });
  });

  it('answers malformed JSON, wrong types and missing fields with 400', async () => {
    expectEnvelope(await call('POST', '/api/scripts', '{"name": "x",'), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call('POST', '/api/scripts', { ...boiler('typed'), inputs: 'FT-101' }), 400, 'VALIDATION_FAILED');
    const missing = await call('POST', '/api/scripts', { name: 'missing_calc', inputs: [], outputs: [{ tag: 'X', variable: 'x' }] });
    expectEnvelope(missing, 400, 'VALIDATION_FAILED');
    expect(missing.json.error.message).toContain('calcCode');
    const reserved = await call('POST', '/api/scripts', { ...boiler('reserved'), inputs: [{ tag: 'A', alias: 'ok' }, { tag: 'B', alias: 'class' }] });
    expectEnvelope(reserved, 400, 'VALIDATION_FAILED');
    expect(reserved.json.error.message).toBe("inputs[1].alias: 'class' is a reserved word");
    expectEnvelope(await call('POST', '/api/values', [{ tag: 'A', value: { nested: true } }]), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call('POST', '/api/values', [{ tag: 'A', value: 1, ts: 'yesterday' }]), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call('GET', '/api/tags?limit=abc'), 400, 'VALIDATION_FAILED');
    expectEnvelope(await call('POST', '/api/scripts/calculate', { scriptId: 'a', script: boiler() }), 400, 'VALIDATION_FAILED');
  });

  it('answers conflicts with 409: duplicate name, output tag owned by another script, cycle', async () => {
    const first = await call('POST', '/api/scripts', boiler('conflict_a', 'CALC.CONFLICT'));
    expect(first.status).toBe(201);
    expectEnvelope(await call('POST', '/api/scripts', boiler('conflict_a', 'CALC.OTHER')), 409, 'CONFLICT');
    const owned = await call('POST', '/api/scripts', boiler('conflict_b', 'CALC.CONFLICT'));
    expectEnvelope(owned, 409, 'CONFLICT');
    expect(owned.json.error.message).toContain('CALC.CONFLICT');

    const up = await call('POST', '/api/scripts', {
      name: 'cycle_up',
      inputs: [{ tag: 'CYCLE.B', alias: 'b' }],
      calcCode: 'const a = b + 1;',
      outputs: [{ tag: 'CYCLE.A', variable: 'a' }],
    });
    const down = await call('POST', '/api/scripts', {
      name: 'cycle_down',
      inputs: [{ tag: 'CYCLE.A', alias: 'a' }],
      calcCode: 'const b = a + 1;',
      outputs: [{ tag: 'CYCLE.B', variable: 'b' }],
    });
    expect((await call('POST', `/api/scripts/${up.json.id}/register`)).status).toBe(200);
    const cycle = await call('POST', `/api/scripts/${down.json.id}/register`);
    expectEnvelope(cycle, 409, 'CONFLICT');
    expect(cycle.json.error.message).toMatch(/cycle.*cycle_(up|down).*cycle_(up|down)/);
  });

  it('answers 422 with diagnostics when registering a script that does not compile', async () => {
    const broken = await call('POST', '/api/scripts', { ...boiler('broken', 'CALC.BROKEN'), calcCode: 'const eff = steam / ;' });
    expect(broken.status).toBe(201);
    const registered = await call('POST', `/api/scripts/${broken.json.id}/register`);
    expectEnvelope(registered, 422, 'SCRIPT_INVALID');
    expect(registered.json.error.details.diagnostics[0]).toMatchObject({ kind: 'syntax', line: 1 });
    expect((await call('GET', `/api/scripts/${broken.json.id}`)).json.status.state).toBe('unregistered');
  });

  it('answers unknown ids, tags and paths with 404', async () => {
    expectEnvelope(await call('GET', '/api/scripts/no-such-id'), 404, 'NOT_FOUND');
    expectEnvelope(await call('PUT', '/api/scripts/no-such-id', boiler('ghost')), 404, 'NOT_FOUND');
    expectEnvelope(await call('DELETE', '/api/scripts/no-such-id'), 404, 'NOT_FOUND');
    expectEnvelope(await call('POST', '/api/scripts/no-such-id/register'), 404, 'NOT_FOUND');
    expectEnvelope(await call('POST', '/api/scripts/calculate', { scriptId: 'no-such-id' }), 404, 'NOT_FOUND');
    expectEnvelope(await call('GET', `/api/tags/${encodeURIComponent('NO/SUCH TAG')}`), 404, 'NOT_FOUND');
    expectEnvelope(await call('GET', '/api/no-such-endpoint'), 404, 'NOT_FOUND');
  });

  it('answers an oversized body with 413', async () => {
    const huge = JSON.stringify({ ...boiler('huge'), description: 'x'.repeat(100 * 1024) });
    expectEnvelope(await call('POST', '/api/scripts', huge), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('keeps tag names with slashes, dots and spaces apart from the history path', async () => {
    const tag = 'AREA 1/FT-9.PV';
    await call('POST', '/api/values', [{ tag, value: 7, ts: '2026-11-27T09:00:00.000Z' }]);
    const got = await waitFor(async () => {
      const result = await call('GET', `/api/tags/${encodeURIComponent(tag)}`);
      return result.status === 200 ? result.json : undefined;
    });
    expect(got).toMatchObject({ tag, value: 7, source: 'raw' });
    const history = await waitFor(async () => {
      const result = await call('GET', `/api/tags/${encodeURIComponent(tag)}/history?from=2026-11-27T08:00:00Z&to=2026-11-27T10:00:00Z`);
      return result.status === 200 && result.json.points.length > 0 ? result.json : undefined;
    }, 15_000);
    expect(history.points).toEqual([{ ts: '2026-11-27T09:00:00.000Z', value: 7, quality: 'good' }]);
  });

  it('updates (version + 1, hot-swap) and deletes', async () => {
    const created = await call('POST', '/api/scripts', boiler('swap', 'CALC.SWAP'));
    const id = created.json.id;
    await call('POST', `/api/scripts/${id}/register`);
    const updated = await call('PUT', `/api/scripts/${id}`, { ...boiler('swap', 'CALC.SWAP'), calcCode: 'runs++;\nconst eff = fuel > 0 ? steam / fuel * 100 : null;' });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ version: 2, status: { state: 'registered' } });
    const deleted = await call('DELETE', `/api/scripts/${id}`);
    expect(deleted.status).toBe(204);
    expectEnvelope(await call('GET', `/api/scripts/${id}`), 404, 'NOT_FOUND');
    // The name and the output tags are free again.
    expect((await call('POST', '/api/scripts', boiler('swap', 'CALC.SWAP'))).status).toBe(201);
  });

  it('publishes metrics and an OpenAPI document', async () => {
    const metrics = await fetch(`${app.url}/api/metrics`);
    const text = await metrics.text();
    expect(metrics.status).toBe(200);
    expect(text).toContain('script_server_evaluations_total');
    expect(text).toContain('script_server_evaluation_latency_seconds_bucket');
    // The history backlog and the process's own figures, with the event-loop delay.
    expect(text).toMatch(/^script_server_history_pending \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds [0-9.e+-]+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    const openapi = await call('GET', '/api/openapi.json');
    expect(openapi.json.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.json.paths)).toEqual(expect.arrayContaining(['/api/scripts', '/api/scripts/{id}/register', '/api/values']));
    // Diagnostics carry a code and the params of their message (for the IDE's translations).
    const diagnostic = openapi.json.components.schemas.Diagnostic;
    expect(Object.keys(diagnostic.properties)).toEqual(expect.arrayContaining(['message', 'code', 'params']));
    expect(diagnostic.properties.code.description).toContain('output-not-finite');
  });
});
