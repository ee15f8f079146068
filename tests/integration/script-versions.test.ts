import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../helpers/api-requests';
import { startApp, type RunningApp } from '../helpers/app-process';

/**
 * Changing a live script safely (changes.md), through the API of the built app in embedded mode,
 * signed in: versions, a rollback that restores the old formula on the next value, regression tests
 * that block a register unless forced (and the force in the audit trail), a deleted script's versions.
 */

let app: RunningApp;

beforeAll(async () => {
  app = await startApp();
}, 120_000);

afterAll(async () => {
  await app?.stop();
});

const call = (method: string, path: string, body?: unknown) => callApi(app.url, method, path, body);

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The output tag's value once it holds the one computed from the value posted at `ts`. */
const outputAt = (tag: string, ts: string) =>
  waitFor(async () => {
    const answer = await call('GET', `/api/tags/${encodeURIComponent(tag)}`);
    return answer.status === 200 && answer.json.ts === ts ? answer.json.value : undefined;
  });

/** Recent value times, a second apart (a value from the future would not be taken as it is). */
const start = Math.floor(Date.now() / 1000) * 1000 - 60_000;
const at = (second: number) => new Date(start + second * 1000).toISOString();

const scaled = (name: string, factor: number) => ({
  name,
  inputs: [{ tag: `${name}.IN`, alias: 'x' }],
  calcCode: `const y = x * ${factor};`,
  outputs: [{ tag: `${name}.OUT`, variable: 'y' }],
});

describe('versions and rollback through the API', () => {
  it('rolls a registered script back: the old formula computes the next value, and the history says who and why', async () => {
    const created = await call('POST', '/api/scripts', { ...scaled('versioned', 2), message: 'doubles the flow' });
    expect(created.status).toBe(201);
    const id = created.json.id as string;
    expect(created.json.status.runningVersion).toBeNull();
    expect((await call('POST', `/api/scripts/${id}/register`)).json.status).toMatchObject({ state: 'registered', runningVersion: 1 });

    await call('POST', '/api/values', [{ tag: 'versioned.IN', value: 10, ts: at(1) }]);
    expect(await outputAt('versioned.OUT', at(1))).toBe(20);

    const updated = await call('PUT', `/api/scripts/${id}`, { ...scaled('versioned', 3), message: 'triples it' });
    expect(updated.json).toMatchObject({ version: 2, status: { runningVersion: 2 } });
    await call('POST', '/api/values', [{ tag: 'versioned.IN', value: 10, ts: at(2) }]);
    expect(await outputAt('versioned.OUT', at(2))).toBe(30);

    const rolled = await call('POST', `/api/scripts/${id}/rollback`, { version: 1, message: 'tripling was wrong' });
    expect(rolled.status).toBe(200);
    expect(rolled.json).toMatchObject({ version: 3, calcCode: 'const y = x * 2;', status: { state: 'registered', runningVersion: 3 } });
    await call('POST', '/api/values', [{ tag: 'versioned.IN', value: 10, ts: at(3) }]);
    expect(await outputAt('versioned.OUT', at(3))).toBe(20);

    const history = await call('GET', `/api/scripts/${id}/versions`);
    expect(history.status).toBe(200);
    expect(history.json.deleted).toBe(false);
    expect(history.json.versions.map((entry: { version: number; message: string; savedBy: { name: string } }) => [entry.version, entry.message, entry.savedBy.name])).toEqual([
      [3, 'tripling was wrong', 'admin'],
      [2, 'triples it', 'admin'],
      [1, 'doubles the flow', 'admin'],
    ]);
    const first = await call('GET', `/api/scripts/${id}/versions/1`);
    expect(first.json).toMatchObject({ version: 1, message: 'doubles the flow', savedBy: { name: 'admin' }, script: scaled('versioned', 2) });
    expect(first.json.script).not.toHaveProperty('message');

    const audit = await call('GET', `/api/audit?targetType=script&targetId=${id}&action=script.rollback`);
    expect(audit.json.entries).toEqual([expect.objectContaining({ action: 'script.rollback', version: 3, details: expect.objectContaining({ restoredVersion: 1, fromVersion: 2 }) })]);
  });

  it('answers 404 with a clear message for a version that does not exist, 400 for one that is not a number', async () => {
    const created = await call('POST', '/api/scripts', scaled('one_version', 1));
    const missing = await call('GET', `/api/scripts/${created.json.id}/versions/9`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.message).toBe(`script '${created.json.id}' has no version 9: its versions are 1 to 1 (GET /api/scripts/${created.json.id}/versions lists them)`);
    const rollback = await call('POST', `/api/scripts/${created.json.id}/rollback`, { version: 9 });
    expect(rollback.status).toBe(404);
    expect((await call('GET', `/api/scripts/${created.json.id}/versions/latest`)).json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: expect.stringContaining('version') });
    expect((await call('GET', '/api/scripts/no-such-script/versions')).status).toBe(404);
    const huge = await call('POST', `/api/scripts/${created.json.id}/rollback`, { version: 5_902_142_035_525_818 });
    expect(huge.json.error).toMatchObject({ code: 'VALIDATION_FAILED', message: 'version: version must be at most 2147483647' });
  });

  it('keeps a deleted script’s versions readable and lets a new script take its name', async () => {
    const created = await call('POST', '/api/scripts', scaled('short_lived', 4));
    const id = created.json.id as string;
    expect((await call('DELETE', `/api/scripts/${id}`)).status).toBe(204);
    expect((await call('GET', `/api/scripts/${id}`)).status).toBe(404);

    const history = await call('GET', `/api/scripts/${id}/versions`);
    expect(history.json).toMatchObject({ deleted: true, versions: [{ version: 1 }] });
    expect((await call('GET', `/api/scripts/${id}/versions/1`)).json).toMatchObject({ deleted: true, script: { calcCode: 'const y = x * 4;' } });
    expect((await call('POST', '/api/scripts', scaled('short_lived', 5))).status).toBe(201);
  });
});

describe('regression tests through the API', () => {
  const tested = (name: string, expected: number) => ({
    ...scaled(name, 2),
    initCode: 'let runs = 0;',
    calcCode: 'runs++;\nconst y = x * 2 + runs;',
    tests: [
      {
        name: 'two steps',
        steps: [{ inputs: { x: 1 } }, { inputs: { x: { value: 5, quality: 'uncertain' } } }],
        expect: { [`${name}.OUT`]: { value: expected, quality: 'uncertain', approx: 0.001 } },
      },
    ],
  });

  it('runs the tests of a draft and of a saved script', async () => {
    const draft = await call('POST', '/api/scripts/test', { script: tested('draft_tests', 12) });
    expect(draft.status).toBe(200);
    expect(draft.json).toMatchObject({ passed: 1, failed: 0, results: [{ name: 'two steps', ok: true, mismatches: [], error: null }] });
    expect(draft.json.results[0].outputs['draft_tests.OUT']).toEqual({ value: 12, quality: 'uncertain' });

    const saved = await call('POST', '/api/scripts', tested('saved_tests', 11));
    const byId = await call('POST', '/api/scripts/test', { scriptId: saved.json.id });
    expect(byId.json).toMatchObject({ passed: 0, failed: 1, results: [{ ok: false, mismatches: [{ tag: 'saved_tests.OUT', actual: { value: 12 } }] }] });
  });

  it('refuses to register a script whose tests fail, registers it with force=true, and the audit entry records the force', async () => {
    const saved = await call('POST', '/api/scripts', tested('guarded', 11));
    const id = saved.json.id as string;
    const refused = await call('POST', `/api/scripts/${id}/register`);
    expect(refused.status).toBe(422);
    expect(refused.json.error).toMatchObject({ code: 'TESTS_FAILED', details: { passed: 0, failed: 1, results: [{ name: 'two steps', ok: false }] } });
    expect(refused.json.error.message).toContain('?force=true');
    expect((await call('GET', `/api/scripts/${id}`)).json.status.state).toBe('unregistered');

    const forced = await call('POST', `/api/scripts/${id}/register?force=true`);
    expect(forced.status).toBe(200);
    expect(forced.json.status.state).toBe('registered');
    const audit = await call('GET', `/api/audit?targetType=script&targetId=${id}&action=script.register`);
    expect(audit.json.entries[0].details).toMatchObject({ force: true, failedTests: ['two steps'] });
  });

  it('answers 400 with the path for tests beyond the limits', async () => {
    const tooMany = await call('POST', '/api/scripts', { ...scaled('too_many_steps', 1), tests: [{ name: 'long', steps: Array.from({ length: 1001 }, () => ({ inputs: { x: 1 } })), expect: {} }] });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.message).toContain('tests[0].steps: a test has at most 1000 steps');
  });

  it('documents the new operations with their roles', async () => {
    const document = (await call('GET', '/api/openapi.json')).json;
    expect(document.paths['/api/scripts/{id}/versions'].get['x-required-role']).toBe('viewer');
    expect(document.paths['/api/scripts/{id}/versions/{version}'].get['x-required-role']).toBe('viewer');
    expect(document.paths['/api/scripts/{id}/rollback'].post['x-required-role']).toBe('editor');
    expect(document.paths['/api/scripts/test'].post['x-required-role']).toBe('viewer');
    expect(document.components.schemas.Error.properties.error.properties.code.enum).toContain('TESTS_FAILED');
  });
});
