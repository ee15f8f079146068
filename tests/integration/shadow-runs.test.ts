import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';

/**
 * Shadow runs in the running app (changes.md): a candidate tried on the live values beside the
 * registered version, compared output by output, never written as the output's value; promoted, or
 * stopped; ended by an update.
 */

let app: RunningApp;
beforeAll(async () => {
  app = await startApp();
}, 120_000);
afterAll(async () => {
  await app?.stop();
});

const draft = (calcCode: string) => ({
  name: 'shadowed_eff',
  inputs: [
    { tag: 'SH.STEAM', alias: 'steam' },
    { tag: 'SH.FUEL', alias: 'fuel' },
  ],
  calcCode,
  outputs: [{ tag: 'SH.EFF', variable: 'eff' }],
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value).slice(0, 800)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Event times an hour ago (a value more than 24 h ahead of the clock is refused). */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

const post = (values: Array<{ tag: string; value: number; ts: string }>) => callApi(app.url, 'POST', '/api/values', values);
const eff = async () => (await callApi(app.url, 'GET', `/api/tags/${encodeURIComponent('SH.EFF')}`)).json;

describe('shadow runs', () => {
  let id = '';

  it('refuses a shadow for a script that is not registered, and a candidate that does not compile', async () => {
    const created = await callApi(app.url, 'POST', '/api/scripts', draft('const eff = steam / fuel;'));
    expect(created.status, created.text).toBe(201);
    id = created.json.id;
    const early = await callApi(app.url, 'POST', `/api/scripts/${id}/shadow`, { script: draft('const eff = 1;') });
    expect(early.status).toBe(409);
    expect(early.json.error.message).toMatch(/not registered.*register the script first/);
    expect((await callApi(app.url, 'POST', `/api/scripts/${id}/register`)).status).toBe(200);
    const broken = await callApi(app.url, 'POST', `/api/scripts/${id}/shadow`, { script: draft('const eff = steam /;') });
    expect(broken.status).toBe(422);
    expect(broken.json.error.details.diagnostics[0]).toMatchObject({ line: 1 });
    expect((await callApi(app.url, 'GET', `/api/scripts/${id}/shadow`)).status).toBe(404);
  }, 60_000);

  it('runs the candidate on the same values, compares it, and never writes it as the output', async () => {
    const accepted = await post([
      { tag: 'SH.STEAM', value: 12, ts: at(0) },
      { tag: 'SH.FUEL', value: 4, ts: at(0) },
    ]);
    expect(accepted.status, accepted.text).toBe(202);
    await until(eff, (tag) => tag?.value === 3, 'the live output');
    const started = await callApi(app.url, 'POST', `/api/scripts/${id}/shadow`, { script: draft('const eff = steam / fuel * 100;') });
    expect(started.status, started.text).toBe(201);
    expect(started.json).toMatchObject({ id: expect.any(String), startedAt: expect.any(String) });
    await until(async () => (await callApi(app.url, 'GET', `/api/scripts/${id}/shadow`)).json, (shadow) => shadow.state === 'running', 'the shadow to run');

    await post([{ tag: 'SH.FUEL', value: 3, ts: at(1) }]);
    const shadow = await until(
      async () => (await callApi(app.url, 'GET', `/api/scripts/${id}/shadow`)).json,
      (answer) => answer.outputs['SH.EFF'].compared >= 1,
      'a comparison',
    );
    expect(shadow).toMatchObject({ id: started.json.id, version: 2, evaluations: 1, errors: 0, lastError: null });
    expect(shadow.outputs['SH.EFF']).toEqual({
      live: { value: 4, ts: at(1), quality: 'good' },
      shadow: { value: 400, ts: at(1), quality: 'good' },
      compared: 1,
      differing: 1,
      maxAbsDiff: 396,
    });
    // The output tag holds the live value, its history no shadow value.
    expect(await eff()).toMatchObject({ value: 4 });
    const history = await callApi(app.url, 'GET', `/api/tags/${encodeURIComponent('SH.EFF')}/history?from=${at(-60)}&to=${at(60)}`);
    expect(history.json.points.map((point: { value: number }) => point.value)).toEqual([3, 4]);

    const series = await callApi(app.url, 'GET', `/api/scripts/${id}/shadow/series`);
    expect(series.status, series.text).toBe(200);
    expect(series.json.outputs['SH.EFF']).toEqual({
      live: [{ ts: at(1), value: 4, quality: 'good' }],
      shadow: [{ ts: at(1), value: 400, quality: 'good' }],
      difference: [{ ts: at(1), value: 396, quality: 'good' }],
    });
  }, 60_000);

  it('promotes the candidate: the next version, registered, computing the new formula; the shadow ends', async () => {
    const promoted = await callApi(app.url, 'POST', `/api/scripts/${id}/shadow/promote`);
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.json).toMatchObject({ version: 2, calcCode: 'const eff = steam / fuel * 100;', status: { state: 'registered' } });
    expect((await callApi(app.url, 'GET', `/api/scripts/${id}/shadow`)).status).toBe(404);
    await post([{ tag: 'SH.FUEL', value: 2, ts: at(2) }]);
    await until(eff, (tag) => tag?.value === 600, 'the promoted formula');
  }, 60_000);

  it('ends a shadow when the script is updated, and stops one on request', async () => {
    expect((await callApi(app.url, 'POST', `/api/scripts/${id}/shadow`, { script: draft('const eff = 0;') })).status).toBe(201);
    const updated = await callApi(app.url, 'PUT', `/api/scripts/${id}`, draft('const eff = steam / fuel * 10;'));
    expect(updated.status, updated.text).toBe(200);
    expect((await callApi(app.url, 'GET', `/api/scripts/${id}/shadow`)).status).toBe(404);

    expect((await callApi(app.url, 'POST', `/api/scripts/${id}/shadow`, { script: draft('const eff = 0;') })).status).toBe(201);
    expect((await callApi(app.url, 'DELETE', `/api/scripts/${id}/shadow`)).status).toBe(204);
    expect((await callApi(app.url, 'DELETE', `/api/scripts/${id}/shadow`)).status).toBe(404);
  }, 60_000);
});
