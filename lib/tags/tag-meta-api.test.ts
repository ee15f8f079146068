import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory-bus';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlScriptStore } from '../adapters/store/sql-script-store';
import { SqlTagMetaStore } from '../adapters/store/sql-tag-meta-store';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import { seedSimulatorMeta, simulatorTagMeta } from '../composition/start-simulator';
import { SIMULATOR_TAGS } from '../adapters/simulator/plant-simulator';
import { createApiHandler } from '../http/handle-api-request';
import type { ApiServices } from '../http/operation';
import type { ScriptDraft } from '../model/script-schema';
import type { TagState } from '../model/tag-value';
import type { HistoryWriter } from '../history/history-writer';
import type { EngineHost } from '../ports/engine';
import { SnapshotWriter } from '../pipeline/snapshot-writer';
import { ValuePipeline } from '../pipeline/value-pipeline';
import { silentLogger } from '../support/logger';
import { AppMetrics } from '../support/metrics';
import { TagCatalog } from './tag-catalog';
import { TagDirectory } from './tag-directory';

/**
 * The tag metadata and removal API (PUT /api/tags/{tag}/meta, DELETE /api/tags/{tag}, the metadata in
 * GET /api/tags and /api/tags/{tag}) through the real request handler, use cases and an embedded
 * database; only the engine is absent (no script runs here).
 */

const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const DAY_MS = 86_400_000;
const RETENTION_DAYS = 7;

let database: DatabaseHandle;
let store: SqlScriptStore;
let tagMeta: SqlTagMetaStore;
let catalog: TagCatalog;
let services: ApiServices;
let api: ReturnType<typeof createApiHandler>;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder });
  store = new SqlScriptStore(database);
  tagMeta = new SqlTagMetaStore(database);
  catalog = new TagCatalog();
  services = {
    store,
    tagMeta,
    catalog,
    tagDirectory: new TagDirectory({ tagMeta, store }),
    engine: null,
    authEnabled: false,
    identities: new SqlIdentityStore(database),
    log: silentLogger,
    config: { BODY_LIMIT_BYTES: 1024 * 1024, HISTORY_RETENTION_DAYS: RETENTION_DAYS },
  } as unknown as ApiServices;
  api = createApiHandler(services);
}, 180_000);

afterAll(async () => {
  await database?.close();
});

async function call(method: string, tagPath: string, body?: unknown) {
  const request = new Request(`http://localhost${tagPath}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const response = tagPath.startsWith('/api/tags/') ? await api.handleTagPath(request) : await api.handle(tagPath === '/api/tags' || tagPath.startsWith('/api/tags?') ? 'listTags' : 'publishValues', request);
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : null };
}

const tagUrl = (tag: string, suffix = '') => `/api/tags/${encodeURIComponent(tag)}${suffix}`;

function seen(tag: string, tsAgoMs: number, source: 'raw' | 'script' = 'raw', value: TagState['value'] = 1) {
  catalog.apply({ tag, value, ts: Date.now() - tsAgoMs, quality: 'good' }, source);
}

const producer = (name: string, outputTag: string, extra: Partial<ScriptDraft['outputs'][number]> = {}, inputTag = `${name}.IN`): ScriptDraft => ({
  name,
  inputs: [{ tag: inputTag, alias: 'x' }],
  calcCode: 'const y = x * 2;',
  outputs: [{ tag: outputTag, variable: 'y', ...extra }],
});

describe('PUT /api/tags/{tag}/meta', () => {
  it('stores description, unit and range, answers them, and GET shows them', async () => {
    seen('FT-900.PV', 1000);
    const put = await call('PUT', tagUrl('FT-900.PV', '/meta'), { description: ' Cooling water flow ', unit: 'm3/h', lo: 10, hi: 80 });
    expect(put).toEqual({ status: 200, json: { tag: 'FT-900.PV', description: 'Cooling water flow', unit: 'm3/h', lo: 10, hi: 80 } });

    const got = await call('GET', tagUrl('FT-900.PV'));
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ tag: 'FT-900.PV', value: 1, quality: 'good', source: 'raw', description: 'Cooling water flow', unit: 'm3/h', lo: 10, hi: 80 });
  });

  it('replaces all four: a field left out becomes null', async () => {
    seen('PT-900.PV', 1000);
    await call('PUT', tagUrl('PT-900.PV', '/meta'), { description: 'Header pressure', unit: 'barg', lo: 30, hi: 45 });
    const replaced = await call('PUT', tagUrl('PT-900.PV', '/meta'), { unit: 'bar' });
    expect(replaced.json).toEqual({ tag: 'PT-900.PV', description: null, unit: 'bar', lo: null, hi: null });
    expect(await tagMeta.getMeta('PT-900.PV')).toEqual({ tag: 'PT-900.PV', description: null, unit: 'bar', lo: null, hi: null });
    const cleared = await call('PUT', tagUrl('PT-900.PV', '/meta'), {});
    expect(cleared.json).toEqual({ tag: 'PT-900.PV', description: null, unit: null, lo: null, hi: null });
  });

  it('refuses wrong types, unknown fields and lo above hi with a 400 that names the field', async () => {
    seen('LT-900.PV', 1000);
    const cases: Array<[unknown, RegExp]> = [
      [{ unit: 5 }, /unit: unit must be a string/],
      [{ lo: '10' }, /lo: lo must be a number/],
      [{ hi: true }, /hi: hi must be a number/],
      [{ description: ['x'] }, /description: description must be a string/],
      [{ lo: 90, hi: 10 }, /lo: lo \(90\) is above hi \(10\)/],
      [{ units: '%' }, /units/],
      [{ unit: 'x'.repeat(51) }, /unit is longer than 50 characters/],
    ];
    for (const [body, message] of cases) {
      const answer = await call('PUT', tagUrl('LT-900.PV', '/meta'), body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.json.error.code).toBe('VALIDATION_FAILED');
      expect(answer.json.error.message).toMatch(message);
    }
    expect(await tagMeta.getMeta('LT-900.PV')).toBeNull();
  });

  it('answers 404 for a tag never seen, and 409 for an output tag (its metadata is its script’s)', async () => {
    const unknown = await call('PUT', tagUrl('NEVER.SEEN', '/meta'), { unit: '%' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toMatch(/'NEVER.SEEN' was not found: metadata can be set once the tag has received a value/);

    await store.create(producer('meta_owner', 'CALC.META_OWNER', { description: 'Owner output', unit: 't/t' }));
    const output = await call('PUT', tagUrl('CALC.META_OWNER', '/meta'), { unit: '%' });
    expect(output.status).toBe(409);
    expect(output.json.error.message).toMatch(/produced by script 'meta_owner': its description and unit are set in that script's outputs/);
  });
});

describe('metadata in GET /api/tags', () => {
  it('carries each tag’s metadata, an output tag’s from its script, and null where not known', async () => {
    seen('CALC.META_OUT', 1000, 'script');
    seen('NO.META', 1000);
    await store.create(producer('meta_out', 'CALC.META_OUT', { description: 'Boiler efficiency', unit: '%' }));
    const list = await call('GET', '/api/tags?query=meta');
    const byTag = Object.fromEntries((list.json.tags as Array<{ tag: string }>).map((tag) => [tag.tag, tag]));
    expect(byTag['CALC.META_OUT']).toMatchObject({ source: 'script', description: 'Boiler efficiency', unit: '%', lo: null, hi: null });
    expect(byTag['NO.META']).toMatchObject({ description: null, unit: null, lo: null, hi: null });
  });

  it('matches descriptions too, case-insensitively, as well as names', async () => {
    seen('TI-77.PV', 1000);
    seen('ZZ-77.PV', 1000);
    await call('PUT', tagUrl('TI-77.PV', '/meta'), { description: 'Lube OIL temperature of compressor K-7' });
    const byDescription = await call('GET', '/api/tags?query=lube%20oil');
    expect(byDescription.json.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['TI-77.PV']);
    const byName = await call('GET', '/api/tags?query=zz-77');
    expect(byName.json.tags.map((tag: { tag: string }) => tag.tag)).toEqual(['ZZ-77.PV']);
  });

  it('has the simulator’s metadata once it is seeded at start, and seeding again keeps a user’s edit', async () => {
    // As at start: the metadata is seeded before the directory first reads it.
    await seedSimulatorMeta(services);
    services.tagDirectory = new TagDirectory({ tagMeta, store });
    for (const tag of SIMULATOR_TAGS) seen(tag.tag, 1000);
    const all = await call('GET', '/api/tags?limit=1000');
    const byTag = Object.fromEntries((all.json.tags as Array<{ tag: string }>).map((tag) => [tag.tag, tag]));
    expect(byTag['FT-101.PV']).toMatchObject({ description: SIMULATOR_TAGS.find((t) => t.tag === 'FT-101.PV')!.description, unit: 't/h', lo: 0, hi: expect.any(Number) });
    for (const meta of simulatorTagMeta()) expect(byTag[meta.tag]).toMatchObject({ description: meta.description, unit: meta.unit });
    expect(byTag['P-301A.RUN']).toMatchObject({ unit: null, lo: null, hi: null });

    await call('PUT', tagUrl('TT-901.PV', '/meta'), { description: 'Outside air', unit: '°C', lo: -20, hi: 40 });
    await seedSimulatorMeta(services);
    expect(await tagMeta.getMeta('TT-901.PV')).toEqual({ tag: 'TT-901.PV', description: 'Outside air', unit: '°C', lo: -20, hi: 40 });
  });
});

describe('DELETE /api/tags/{tag}', () => {
  const old = (RETENTION_DAYS + 1) * DAY_MS;

  it('answers 404 for an unknown tag', async () => {
    const answer = await call('DELETE', tagUrl('NOT.A.TAG'));
    expect(answer.status).toBe(404);
    expect(answer.json.error.code).toBe('NOT_FOUND');
  });

  it('refuses (409) a tag a stored script produces, naming the script, even when it is old', async () => {
    seen('CALC.PRODUCED', old, 'script');
    await store.create(producer('still_producing', 'CALC.PRODUCED'));
    const answer = await call('DELETE', tagUrl('CALC.PRODUCED'));
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toBe("tag 'CALC.PRODUCED' is produced by script 'still_producing': remove it from that script's outputs (or delete the script) first");
    expect(answer.json.error.details).toMatchObject({ tag: 'CALC.PRODUCED', code: 'produced', script: { name: 'still_producing' } });
    expect((await call('GET', tagUrl('CALC.PRODUCED'))).json.removal).toMatchObject({ allowed: false, code: 'produced' });
  });

  it('refuses (409) a tag a stored script reads as an input', async () => {
    seen('OLD.INPUT', old);
    await store.create(producer('reader', 'CALC.READER', {}, 'OLD.INPUT'));
    const answer = await call('DELETE', tagUrl('OLD.INPUT'));
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toMatch(/is an input of script 'reader': remove it from its inputs first/);
  });

  it('refuses (409) a plant tag still receiving values, saying when its last value was and from when it can go', async () => {
    seen('FT-LIVE.PV', 2000);
    const lastValueAt = new Date(catalog.get('FT-LIVE.PV')!.ts).toISOString();
    const answer = await call('DELETE', tagUrl('FT-LIVE.PV'));
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toContain(`had a value at ${lastValueAt}: a plant tag that still receives values cannot be removed`);
    expect(answer.json.error.message).toContain('no value for 7 days (HISTORY_RETENTION_DAYS)');
    expect(answer.json.error.details).toMatchObject({ code: 'recent', lastValueAt, source: 'raw' });
  });

  it('refuses (409) a left-behind output whose last value is within the retention period', async () => {
    seen('CALC.ORPHAN_RECENT', 3 * DAY_MS, 'script');
    const answer = await call('DELETE', tagUrl('CALC.ORPHAN_RECENT'));
    expect(answer.status).toBe(409);
    expect(answer.json.error.message).toMatch(/no script produces it any more, but its values are kept for the retention period/);
  });

  it('removes (204) a tag of a deleted script silent for the retention period: catalog, snapshot and metadata; a new value brings it back', async () => {
    const script = await store.create(producer('gone_soon', 'CALC.LEFT_BEHIND'));
    seen('CALC.LEFT_BEHIND', old, 'script', 39.83);
    await store.saveLatest([{ ...catalog.get('CALC.LEFT_BEHIND')! }]);
    expect((await call('DELETE', tagUrl('CALC.LEFT_BEHIND'))).status).toBe(409);
    await store.delete(script.id);
    expect((await call('GET', tagUrl('CALC.LEFT_BEHIND'))).json.removal).toEqual({ allowed: true });

    expect(await call('DELETE', tagUrl('CALC.LEFT_BEHIND'))).toEqual({ status: 204, json: null });

    expect((await call('GET', tagUrl('CALC.LEFT_BEHIND'))).status).toBe(404);
    expect((await call('GET', '/api/tags?query=LEFT_BEHIND')).json.tags).toEqual([]);
    expect((await store.loadLatest()).map((state) => state.tag)).not.toContain('CALC.LEFT_BEHIND');
    expect((await call('DELETE', tagUrl('CALC.LEFT_BEHIND'))).status).toBe(404);
  });

  it('removes an old raw tag with its metadata; a value arriving again brings it back (without the metadata)', async () => {
    seen('FT-RETIRED.PV', old);
    await call('PUT', tagUrl('FT-RETIRED.PV', '/meta'), { description: 'Retired flow meter', unit: 'm3/h' });
    expect((await call('DELETE', tagUrl('FT-RETIRED.PV'))).status).toBe(204);
    expect(await tagMeta.getMeta('FT-RETIRED.PV')).toBeNull();

    // The value flows as a plant value would: the input bus, the pipeline, the catalog and the snapshot.
    const bus = new MemoryBus({ logger: silentLogger });
    const snapshot = new SnapshotWriter(store, silentLogger);
    const engine = { ingest: async () => ({ outputs: [], evaluations: 0, failures: 0, older: 0, duplicates: 0, quarantined: [] }) } as unknown as EngineHost;
    const pipeline = new ValuePipeline({
      engine,
      bus,
      catalog,
      history: { add: () => undefined } as unknown as HistoryWriter,
      snapshot,
      metrics: new AppMetrics(),
      log: silentLogger,
      onQuarantined: () => undefined,
    });
    services.bus = bus;
    await bus.consume(pipeline.handleBatch);
    try {
      const posted = await api.handle('publishValues', new Request('http://localhost/api/values', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ tag: 'FT-RETIRED.PV', value: 12.5 }]) }));
      expect(posted.status).toBe(202);
      let back: { status: number; json: any } = { status: 0, json: null };
      for (let attempt = 0; attempt < 100 && back.status !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        back = await call('GET', tagUrl('FT-RETIRED.PV'));
      }
      expect(back.json).toMatchObject({ tag: 'FT-RETIRED.PV', value: 12.5, source: 'raw', description: null, unit: null, removal: { allowed: false, code: 'recent' } });
      await snapshot.flush();
      expect((await store.loadLatest()).find((state) => state.tag === 'FT-RETIRED.PV')).toMatchObject({ value: 12.5 });
    } finally {
      await bus.stop();
    }
  });
});

describe('methods on the tag paths', () => {
  it.each([
    ['DELETE', '/api/tags/X/history', 'GET'],
    ['GET', '/api/tags/X/meta', 'PUT'],
    ['POST', '/api/tags/X', 'DELETE, GET'],
  ])('%s %s → 404 in the envelope naming what the path takes (%s)', async (method, url, allowed) => {
    const response = await api.handleTagPath(new Request(`http://localhost${url}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' }));
    expect(response.status).toBe(404);
    expect(response.headers.get('allow')).toBe(`${allowed}, HEAD, OPTIONS`);
    expect((await response.json()).error.message).toContain(`this path takes ${allowed}`);
  });
});
