import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, expectErrorEnvelope } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';

/**
 * Backfill jobs against the built app (embedded mode, sign-in on): outputs computed live from posted
 * values are exactly what a backfill of the same period writes back, and a job killed with SIGKILL in
 * the middle resumes after the restart from its last written chunk and ends with every value written.
 */

let app: RunningApp;
const HOUR = 3_600_000;
/** Ours, so that it outlives the app killed in the middle of a job. */
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'script-server-backfill-'));
const ENV = { BODY_LIMIT_BYTES: String(4 * 1024 * 1024) };

beforeAll(async () => {
  app = await startApp({ dataDir, env: ENV });
}, 120_000);

afterAll(async () => {
  await app?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown) => callApi(app.url, method, path, body);

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function historyOf(tag: string, from: number, to: number): Promise<Array<{ ts: string; value: unknown; quality: string }>> {
  const answer = await call('GET', `/api/tags/${encodeURIComponent(tag)}/history?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}&maxPoints=100000`);
  return answer.status === 200 ? answer.json.points : [];
}

async function post(values: Array<{ tag: string; value: number; ts: string }>): Promise<void> {
  for (let start = 0; start < values.length; start += 10_000) {
    const answer = await call('POST', '/api/values', values.slice(start, start + 10_000));
    expect(answer.status, answer.text).toBe(202);
  }
}

const waitForJob = (id: string, states: string[], timeoutMs = 60_000) =>
  until(`job ${id} in ${states.join('/')}`, async () => {
    const answer = await call('GET', `/api/jobs/${id}`);
    return states.includes(answer.json?.state) ? answer.json : undefined;
  }, timeoutMs);

describe('backfill jobs', () => {
  it('writes back exactly the outputs the live engine computed from the same values', async () => {
    const created = await call('POST', '/api/scripts', {
      name: 'bf_live',
      inputs: [
        { tag: 'BFL.A', alias: 'a' },
        { tag: 'BFL.B', alias: 'b' },
      ],
      initCode: 'let runs = 0;',
      calcCode: 'runs++;\nconst ratio = b !== 0 ? a / b : null;\nif (a === 7) throw new Error("seven");',
      outputs: [
        { tag: 'BFL.RATIO', variable: 'ratio', deadband: 0.05 },
        { tag: 'BFL.RUNS', variable: 'runs' },
      ],
      trigger: { type: 'onChange' },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    expect((await call('POST', `/api/scripts/${id}/register`)).status).toBe(200);

    const t0 = Math.floor((Date.now() - 2 * HOUR) / 1000) * 1000;
    const values: Array<{ tag: string; value: number; ts: string }> = [];
    for (let second = 0; second < 300; second++) {
      const ts = new Date(t0 + second * 1000).toISOString();
      if (second % 3 !== 2) values.push({ tag: 'BFL.A', value: (second * 7) % 11, ts });
      if (second % 2 === 0) values.push({ tag: 'BFL.B', value: 1 + ((second * 5) % 4), ts });
    }
    await post(values);
    const end = t0 + 300_000;
    // The live outputs, once their history is written (the last step publishes RUNS).
    const liveRuns = await until('live outputs in history', async () => {
      const points = await historyOf('BFL.RUNS', t0, end);
      return points.length > 0 && points.at(-1)!.ts === new Date(t0 + 298_000).toISOString() ? points : undefined;
    });
    const liveRatio = await historyOf('BFL.RATIO', t0, end);
    expect(liveRatio.some((point) => point.value === null && point.quality === 'bad')).toBe(true);

    const started = await call('POST', `/api/scripts/${id}/backfill`, { from: new Date(t0).toISOString(), to: new Date(end).toISOString(), mode: 'replace' });
    expect(started.status, started.text).toBe(202);
    expect(started.json).toMatchObject({ kind: 'backfill', scriptId: id, version: 1, mode: 'replace', warnings: [] });
    const overlapping = await call('POST', `/api/scripts/${id}/backfill`, { from: new Date(t0 + 1000).toISOString(), to: new Date(end).toISOString() });
    if (overlapping.status !== 202) expectErrorEnvelope(overlapping, 409, 'CONFLICT');
    const done = await waitForJob(started.json.id, ['done', 'failed']);
    expect(done).toMatchObject({ state: 'done', error: null, progress: { fraction: 1 } });
    if (overlapping.status === 202) await waitForJob(overlapping.json.id, ['done']);

    expect(await historyOf('BFL.RUNS', t0, end)).toEqual(liveRuns);
    expect(await historyOf('BFL.RATIO', t0, end)).toEqual(liveRatio);
    const listed = await call('GET', `/api/jobs?scriptId=${id}&state=done`);
    expect(listed.json.jobs.map((job: { id: string }) => job.id)).toContain(started.json.id);
  }, 180_000);

  it('resumes a job killed with SIGKILL in the middle, from its last written chunk', async () => {
    const steps = 30_000;
    const t0 = Math.floor((Date.now() - 24 * HOUR) / 1000) * 1000;
    const values = Array.from({ length: steps }, (_, second) => ({ tag: 'BFK.X', value: second, ts: new Date(t0 + second * 1000).toISOString() }));
    await post(values);
    await until('raw history written', async () => ((await historyOf('BFK.X', t0 + (steps - 1) * 1000, t0 + steps * 1000)).length === 1 ? true : undefined));
    const created = await call('POST', '/api/scripts', {
      name: 'bf_slow',
      inputs: [{ tag: 'BFK.X', alias: 'x' }],
      // Slow on purpose, so the job is still running when the app is killed; `n` is state: it must be rebuilt on resume.
      initCode: 'let n = 0;',
      calcCode: 'let s = 0;\nfor (let i = 0; i < 1500; i++) s += i % 7;\nn++;\nconst y = x * 2 + n * 0 + (s > 0 ? 0 : 1);\nconst count = n;',
      outputs: [
        { tag: 'BFK.Y', variable: 'y' },
        { tag: 'BFK.N', variable: 'count' },
      ],
    });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id as string;
    const started = await call('POST', `/api/scripts/${id}/backfill`, { from: new Date(t0).toISOString(), to: new Date(t0 + steps * 1000).toISOString() });
    expect(started.status, started.text).toBe(202);
    const midway = await until('the job midway', async () => {
      const job = (await call('GET', `/api/jobs/${started.json.id}`)).json;
      if (job.state === 'done') throw new Error('the job ended before it could be killed: make it longer');
      if (job.state === 'failed') throw new Error(`the job failed: ${JSON.stringify(job)}`);
      return job.progress.fraction > 0 ? job : undefined;
    }, 120_000);
    expect(midway.state).toBe('running');

    await app.stop('SIGKILL');
    app = await startApp({ dataDir, env: ENV });
    const done = await waitForJob(started.json.id, ['done', 'failed'], 180_000);
    expect(done.state, JSON.stringify(done)).toBe('done');
    expect(done.progress.fraction).toBe(1);

    // Every step written once, with the state carried from `from` (the count goes 1..steps).
    const ys = await historyOf('BFK.Y', t0, t0 + steps * 1000);
    expect(ys.length).toBe(steps);
    expect(ys.every((point, index) => point.value === index * 2 && point.ts === new Date(t0 + index * 1000).toISOString())).toBe(true);
    const counts = await historyOf('BFK.N', t0, t0 + steps * 1000);
    expect(counts.length).toBe(steps);
    expect(counts.every((point, index) => point.value === index + 1)).toBe(true);
  }, 400_000);
});
