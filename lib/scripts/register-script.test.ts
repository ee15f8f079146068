import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../adapters/store/open-database';
import { SqlScriptStore } from '../adapters/store/sql-script-store';
import type { ScriptDraft } from '../model/script-schema';
import { recordingEngine } from '../engine-host/recording-engine';
import { silentLogger } from '../support/logger';
import { registerScript } from './register-script';
import { updateScript } from './update-script';

const migrationsFolder = path.resolve(__dirname, '../../db/migrations');
const stores: SqlScriptStore[] = [];
afterEach(async () => Promise.all(stores.splice(0).map((store) => store.close())));

async function newStore() {
  const store = new SqlScriptStore(await openDatabase({ kind: 'embedded', migrationsFolder }), { closeDatabase: true });
  stores.push(store);
  return store;
}

/** These drafts carry no regression tests: running them is never asked for. */
const noTests = async () => {
  throw new Error('no regression tests to run');
};

const draft = (calcCode: string): ScriptDraft => ({
  name: 'doubled',
  inputs: [{ tag: 'FT-101.PV', alias: 'flow' }],
  calcCode,
  outputs: [{ tag: 'CALC.DOUBLED', variable: 'y' }],
});

describe('registering a script', () => {
  // Opening PGlite runs every migration: in a hook, whose time limit is not the test's.
  let store: SqlScriptStore;
  beforeEach(async () => {
    store = await newStore();
  });

  it('hands the engine the program it checked, so the script is compiled once', async () => {
    const engine = recordingEngine();
    const services = { store, engine, log: silentLogger, scriptActivity: async () => ({ runtime: new Map(), stats: new Map() }), runTests: noTests };
    const created = await store.create(draft('const y = flow * 2;'));
    await registerScript(services, created.id);
    expect(engine.specs).toHaveLength(1);
    expect(engine.specs[0].program?.source).toContain('flow * 2');

    // A hot swap hands over the new version's program, compiled from the new draft.
    await updateScript(services, created.id, draft('const y = flow * 3;'));
    expect(engine.specs).toHaveLength(2);
    expect(engine.specs[1].version).toBe(2);
    expect(engine.specs[1].program?.source).toContain('flow * 3');
  });
});
