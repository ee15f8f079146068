import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqlHistoryStore } from '../adapters/history/sql-history-store';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import { createToken } from '../security/create-token';
import { toUser, type Identity } from '../security/identity';
import { silentLogger } from '../support/logger';
import { createApiHandler, type ApiHandler } from './handle-api-request';
import type { ApiServices } from './operation';
import { buildOpenApiDocument } from './openapi';

/** GET /api/export through the real request handler: the viewer role, the download headers, a streamed body, errors in the envelope. */

const T0 = Date.UTC(2026, 2, 1, 0, 0, 0);
let database: DatabaseHandle;
let api: ApiHandler;
let viewerToken: string;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder: path.resolve(__dirname, '../../db/migrations') });
  const identities = new SqlIdentityStore(database);
  const history = new SqlHistoryStore(database.db);
  await history.writeBulk(Array.from({ length: 120 }, (_, i) => ({ tag: 'api.FT', ts: T0 + i * 1000, value: i, quality: 'good' as const, source: 'raw' as const })));
  const services = {
    identities,
    history,
    catalog: { get: (tag: string) => (tag === 'api.FT' ? { tag, value: 1, ts: T0, quality: 'good', source: 'raw' } : undefined) },
    tagDirectory: { refresh: async () => undefined, producerOf: () => null },
    now: () => Date.now(),
    log: silentLogger,
    sessionIdleMs: 60 * 60_000,
    authEnabled: true,
    config: { BODY_LIMIT_BYTES: 1024 * 1024, EXPORT_MAX_ROWS: 1000 },
  } as unknown as ApiServices;
  api = createApiHandler(services);
  const stored = await identities.change((tx) =>
    tx.createUser({ username: 'root', displayName: 'Root', role: 'admin', source: 'local', passwordHash: null, externalId: null, createdAt: new Date() }),
  );
  const admin: Identity = { user: toUser(stored), role: 'admin', via: 'session' };
  viewerToken = (await createToken(services, admin, { name: 'viewer', role: 'viewer' }, { requestId: 't' })).token;
}, 180_000);

afterAll(async () => {
  await database?.close();
});

function get(query: string, token: string | null = viewerToken): Promise<Response> {
  const headers: Record<string, string> = { host: '127.0.0.1:3000' };
  if (token) headers.authorization = `Bearer ${token}`;
  return api.handle('exportHistory', new Request(`http://127.0.0.1:3000/api/export?${query}`, { headers }));
}

describe('GET /api/export', () => {
  const range = `from=${new Date(T0).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`;

  it('streams a CSV download to a viewer', async () => {
    const response = await get(`tags=api.FT&${range}&step=15s&quality=mask`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="history-20260301T000000Z-20260301T000100Z.csv"');
    expect(await response.text()).toBe(
      'ts,api.FT,api.FT.quality\r\n2026-03-01T00:00:00.000Z,0,1\r\n2026-03-01T00:00:15.000Z,15,1\r\n2026-03-01T00:00:30.000Z,30,1\r\n2026-03-01T00:00:45.000Z,45,1\r\n',
    );
  });

  it('answers Parquet with its media type', async () => {
    const response = await get(`tags=api.FT&${range}&step=1s&format=parquet`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 4)).toString()).toBe('PAR1');
    expect(Buffer.from(bytes.subarray(-4)).toString()).toBe('PAR1');
  });

  it('refuses without credentials, and bad parameters in the error envelope', async () => {
    expect((await get(`tags=api.FT&${range}`, null)).status).toBe(401);
    const badStep = await get(`tags=api.FT&${range}&step=soon`);
    expect(badStep.status).toBe(400);
    expect(((await badStep.json()) as { error: { message: string } }).error.message).toMatch(/step 'soon' is not a step/);
    const tooLong = await get(`tags=api.FT&${range}&step=1ms`);
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: { message: string } }).error.message).toContain('EXPORT_MAX_ROWS (1000)');
    const format = await get(`tags=api.FT&${range}&format=xlsx`);
    expect(format.status).toBe(400);
  });

  it('is documented in OpenAPI as a viewer download in CSV or Parquet', () => {
    const document = buildOpenApiDocument('test') as { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }>; parameters: { name: string }[] }>> };
    const exported = document.paths['/api/export'].get;
    expect(exported.responses['200'].content).toEqual({
      'text/csv': { schema: { type: 'string', format: 'binary' } },
      'application/vnd.apache.parquet': { schema: { type: 'string', format: 'binary' } },
    });
    expect(exported.parameters.map((parameter) => parameter.name)).toEqual(['tags', 'from', 'to', 'step', 'format', 'fill', 'quality']);
    expect(Object.keys(exported.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '404', '503']));
  });
});
