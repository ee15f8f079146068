import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';

/**
 * Issue 13, item 6 over HTTP against the built app (embedded mode): input overrides with quality and
 * time, null passed as null, never-seen inputs, state kept in a debug session, and the 400s.
 */

let app: RunningApp;
beforeAll(async () => {
  app = await startApp();
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

const call = (method: string, path: string, body?: unknown) => callApi(app.url, method, path, body);

const draft = {
  inputs: [
    { tag: 'I13.STEAM', alias: 'steam' },
    { tag: 'I13.FUEL', alias: 'fuel' },
  ],
  initCode: 'let runs = 0;',
  calcCode: 'runs++;\nconst mode = isGood("steam") ? "measured" : "fallback";\nconst eff = fuel === null ? null : steam / fuel;\nconst seenAt = ctx.input("steam").ts;',
  outputs: [
    { tag: 'I13.MODE', variable: 'mode' },
    { tag: 'I13.EFF', variable: 'eff' },
    { tag: 'I13.SEEN_AT', variable: 'seenAt' },
  ],
};

async function seedSteam() {
  expect((await call('POST', '/api/values', [{ tag: 'I13.STEAM', value: 12 }])).status).toBe(202);
  for (let i = 0; i < 100 && (await call('GET', '/api/tags/I13.STEAM')).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
}

describe('POST /api/scripts/calculate with overrides', () => {
  it('an object override sets quality and time: isGood() branches, output quality follows, ts reaches ctx', async () => {
    await seedSteam();
    const ts = '2026-11-27T10:00:00.000Z';
    const answer = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { steam: { value: 12, quality: 'uncertain', ts }, fuel: 4 } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.inputs['I13.STEAM']).toEqual({ alias: 'steam', value: 12, ts, quality: 'uncertain' });
    expect(answer.json.outputs['I13.MODE']).toEqual({ value: 'fallback', quality: 'uncertain' });
    expect(answer.json.outputs['I13.EFF']).toEqual({ value: 3, quality: 'uncertain' });
    expect(answer.json.outputs['I13.SEEN_AT'].value).toBe(Date.parse(ts));
    expect(answer.json).toMatchObject({ warnings: [], engineWouldRun: true, error: null });
  });

  it('a bare override still works and is good', async () => {
    const answer = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { steam: 10, fuel: 5 } });
    expect(answer.json.outputs['I13.MODE']).toEqual({ value: 'measured', quality: 'good' });
    expect(answer.json.outputs['I13.EFF'].value).toBe(2);
  });

  it('a null override is passed as null, with a warning; a never-seen input says the engine would wait', async () => {
    await seedSteam();
    const nulled = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { fuel: null } });
    expect(nulled.json.outputs['I13.EFF'].value).toBeNull();
    expect(nulled.json.engineWouldRun).toBe(true);
    expect(nulled.json.warnings.map((w: { message: string }) => w.message)).toEqual([
      expect.stringContaining("input 'fuel' (I13.FUEL) is null in this run"),
      expect.stringContaining('output I13.EFF would be published as null'),
    ]);
    const unseen = await call('POST', '/api/scripts/calculate', { script: draft });
    expect(unseen.json.engineWouldRun).toBe(false);
    expect(unseen.json.inputs['I13.FUEL']).toEqual({ alias: 'fuel', value: null, ts: null, quality: 'bad' });
    expect(unseen.json.warnings[0].message).toContain('the engine will wait until I13.FUEL has a value');
  });

  it('answers a malformed override with a 400 that names the input and the field', async () => {
    const quality = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { steam: { value: 1, quality: 'ok' } } });
    expect(quality.status).toBe(400);
    expect(quality.json.error.code).toBe('VALIDATION_FAILED');
    expect(quality.json.error.message).toMatch(/^inputs\.steam: "quality": /);
    const missing = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { steam: { quality: 'bad' } } });
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toContain('"value" is missing');
    const time = await call('POST', '/api/scripts/calculate', { script: draft, inputs: { steam: { value: 1, ts: 'last tuesday' } } });
    expect(time.status).toBe(400);
    expect(time.json.error.message).toMatch(/^inputs\.steam\.ts: /);
  });
});

describe('state kept between runs (debug sessions) with object overrides', () => {
  it('counts across runs; a new session starts again from initCode', async () => {
    const opened = await call('POST', '/api/debug-sessions', { script: draft });
    expect(opened.status).toBe(201);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const run = await call('POST', `/api/debug-sessions/${opened.json.id}/run`, { inputs: { steam: { value: 1, quality: 'bad' }, fuel: 1 } });
      expect(run.status, run.text).toBe(200);
      expect(run.json.outputs['I13.MODE']).toEqual({ value: 'fallback', quality: 'bad' });
      runs.push(run.json.staticVars.runs);
    }
    expect(runs).toEqual([1, 2, 3]);
    expect((await call('DELETE', `/api/debug-sessions/${opened.json.id}`)).status).toBe(204);
    const again = await call('POST', '/api/debug-sessions', { script: draft });
    const first = await call('POST', `/api/debug-sessions/${again.json.id}/run`, { inputs: { steam: 1, fuel: 1 } });
    expect(first.json.staticVars.runs).toBe(1);
  });
});

describe('the OpenAPI document', () => {
  it('documents object overrides and the new CalcResult fields', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json;
    const text = JSON.stringify(doc.components.schemas.InputOverride);
    expect(text).toContain('quality');
    expect(text).toContain('ts');
    expect(Object.keys(doc.components.schemas.CalcResult.properties)).toEqual(expect.arrayContaining(['warnings', 'engineWouldRun']));
  });
});
