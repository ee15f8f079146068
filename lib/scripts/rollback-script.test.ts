import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../adapters/store/open-database';
import { SqlIdentityStore } from '../adapters/store/sql-identity-store';
import { SqlScriptStore } from '../adapters/store/sql-script-store';
import { runScriptTests } from '../editor-runs/run-script-tests';
import { inProcessLab } from '../lab-host/in-process-lab';
import type { ChangeAuthor } from '../model/audit';
import type { AppError } from '../model/errors';
import type { ScriptDraft } from '../model/script-schema';
import type { ScriptTest } from '../model/script-tests';
import { recordingEngine } from '../engine-host/recording-engine';
import { silentLogger } from '../support/logger';
import { createScript } from './create-script';
import { deleteScript } from './delete-script';
import { getScriptVersion } from './get-script-version';
import { listScriptVersions } from './list-script-versions';
import { registerScript } from './register-script';
import { rollbackScript } from './rollback-script';
import { updateScript } from './update-script';

/**
 * Versions, rollback and the regression tests that guard what runs, through the use cases on the
 * embedded database, the lab in this thread and an engine that records what it was asked to load.
 */

const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const lab = inProcessLab({ cpuMs: 50, initCpuMs: 200, memoryMb: 32 });
let database: DatabaseHandle;
let store: SqlScriptStore;
let identities: SqlIdentityStore;
const engine = recordingEngine();
const loaded = engine.specs;

const services = () => ({
  store,
  engine,
  log: silentLogger,
  scriptActivity: async () => ({ runtime: new Map(), stats: new Map() }),
  runTests: (draft: ScriptDraft) => runScriptTests({ lab }, draft),
});

const jane: ChangeAuthor = { actor: { type: 'user', id: 'u-jane', name: 'jane' }, by: { id: 'u-jane', name: 'jane' }, requestId: 'r-jane' };

let counter = 0;
const draft = (calcCode: string, tests?: ScriptTest[]): ScriptDraft => {
  const name = `rollback_${++counter}`;
  return { name, inputs: [{ tag: `${name}.IN`, alias: 'x' }], calcCode, outputs: [{ tag: `${name}.OUT`, variable: 'y' }], ...(tests ? { tests } : {}) };
};

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder });
  store = new SqlScriptStore(database);
  identities = new SqlIdentityStore(database);
}, 180_000);

afterAll(async () => {
  await lab.close();
  await database?.close();
});

const auditOf = async (id: string) => (await identities.listAudit({ targetType: 'script', targetId: id, limit: 100 })).entries;

async function failure(promise: Promise<unknown>): Promise<AppError> {
  try {
    await promise;
  } catch (error) {
    return error as AppError;
  }
  throw new Error('expected the call to fail');
}

describe('versions and rollback', () => {
  it('numbers versions 1, 2, 3… and rolls back as a new version whose content equals the old one', async () => {
    const first = draft('const y = x * 2;');
    const created = await createScript(services(), first, jane, { message: 'first formula' });
    await updateScript(services(), created.id, { ...first, calcCode: 'const y = x * 3;', description: 'tripled' }, jane, { message: 'tripled' });

    const rolled = await rollbackScript(services(), created.id, { version: 1 }, jane);
    expect(rolled.version).toBe(3);
    expect(rolled.calcCode).toBe('const y = x * 2;');
    expect(rolled.description).toBeUndefined();

    const versions = await listScriptVersions(services(), created.id);
    expect(versions.deleted).toBe(false);
    expect(versions.versions.map((entry) => [entry.version, entry.message, entry.savedBy?.name])).toEqual([
      [3, 'rolled back to version 1', 'jane'],
      [2, 'tripled', 'jane'],
      [1, 'first formula', 'jane'],
    ]);
    expect((await getScriptVersion(services(), created.id, 3)).script).toEqual((await getScriptVersion(services(), created.id, 1)).script);

    const [rollback] = await auditOf(created.id);
    expect(rollback).toMatchObject({ action: 'script.rollback', version: 3, details: { restoredVersion: 1, fromVersion: 2, fields: ['calcCode', 'description'] } });
  });

  it('hot-swaps a registered script to the restored version', async () => {
    const first = draft('const y = x * 2;');
    const created = await createScript(services(), first);
    await registerScript(services(), created.id);
    await updateScript(services(), created.id, { ...first, calcCode: 'const y = x * 5;' });
    const rolled = await rollbackScript(services(), created.id, { version: 1, message: 'the new formula was wrong' });

    const last = loaded.filter((spec) => spec.id === created.id).at(-1)!;
    expect(last).toMatchObject({ version: 3, definition: { calcCode: 'const y = x * 2;' } });
    expect(rolled.status).toMatchObject({ state: 'registered', runningVersion: 3 });
  });

  it('answers 404 naming the versions for one that does not exist, and for an unknown script', async () => {
    const created = await createScript(services(), draft('const y = x;'));
    const missing = await failure(rollbackScript(services(), created.id, { version: 4 }));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', details: { version: 4, latest: 1 } });
    expect(missing.message).toContain('has no version 4: its versions are 1 to 1');
    expect(await failure(getScriptVersion(services(), created.id, 2))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await failure(listScriptVersions(services(), 'nope'))).toMatchObject({ code: 'NOT_FOUND', message: "script 'nope' was not found" });
  });

  it('keeps the versions of a deleted script readable', async () => {
    const created = await createScript(services(), draft('const y = x;'), jane);
    await deleteScript(services(), created.id, jane);
    expect(await listScriptVersions(services(), created.id)).toMatchObject({ deleted: true, versions: [{ version: 1 }] });
    expect(await getScriptVersion(services(), created.id, 1)).toMatchObject({ deleted: true, script: { calcCode: 'const y = x;' } });
  });

  it('reports no running version for an unregistered script', async () => {
    const created = await createScript(services(), draft('const y = x;'));
    expect(created.status.runningVersion).toBeNull();
  });
});

describe('regression tests guard what runs', () => {
  const passing: ScriptTest = { name: 'doubles', steps: [{ inputs: { x: 2 } }], expect: {} };

  it('refuses to register a script whose tests fail (422 TESTS_FAILED with the results), and force is audited', async () => {
    const base = draft('const y = x * 3;');
    const failing: ScriptTest = { name: 'doubles', steps: [{ inputs: { x: 2 } }], expect: { [base.outputs[0].tag]: 4 } };
    const created = await createScript(services(), { ...base, tests: [failing] }, jane);

    const refused = await failure(registerScript(services(), created.id, jane));
    expect(refused.code).toBe('TESTS_FAILED');
    expect(refused.status).toBe(422);
    expect(refused.message).toContain(`'doubles': ${base.outputs[0].tag} expected 4, got 6 (good)`);
    expect(refused.message).toContain('?force=true');
    expect(refused.details).toMatchObject({ passed: 0, failed: 1, results: [{ name: 'doubles', ok: false, mismatches: [{ expected: 4, actual: { value: 6 } }] }] });
    expect((await store.get(created.id))?.state).toBe('unregistered');

    const forced = await registerScript(services(), created.id, jane, { force: true });
    expect(forced.status.state).toBe('registered');
    const [entry] = await auditOf(created.id);
    expect(entry).toMatchObject({ action: 'script.register', details: { force: true, failedTests: ['doubles'] } });
  });

  it('keeps the running version when an update of a registered script fails its tests; force swaps it and is audited', async () => {
    const base = draft('const y = x * 2;');
    const tag = base.outputs[0].tag;
    const created = await createScript(services(), { ...base, tests: [{ ...passing, expect: { [tag]: 4 } }] });
    await registerScript(services(), created.id, jane);
    const broken = { ...base, calcCode: 'const y = x * 2 + 1;', tests: [{ ...passing, expect: { [tag]: 4 } }] };

    expect(await failure(updateScript(services(), created.id, broken, jane))).toMatchObject({ code: 'TESTS_FAILED' });
    const kept = await store.get(created.id);
    expect(kept).toMatchObject({ version: 1, state: 'registered' });

    const swapped = await updateScript(services(), created.id, broken, jane, { force: true });
    expect(swapped.version).toBe(2);
    const [entry] = await auditOf(created.id);
    expect(entry).toMatchObject({ action: 'script.update', details: { force: true, failedTests: ['doubles'] } });
  });

  it('saves an unregistered script whatever its tests say (they run when it is registered)', async () => {
    const base = draft('const y = x * 3;');
    const created = await createScript(services(), base);
    const updated = await updateScript(services(), created.id, { ...base, tests: [{ ...passing, expect: { [base.outputs[0].tag]: 0 } }] });
    expect(updated.version).toBe(2);
  });
});
