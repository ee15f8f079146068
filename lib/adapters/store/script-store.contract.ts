import { describe, expect, it } from 'vitest';
import { openedForSuite, rejectionOf, unique } from './contract-support';
import { isAppError } from '../../model/errors';
import type { ScriptStats, ScriptStore, StoredScript } from '../../ports/script-store';
import type { ScriptDraft } from '../../model/script-schema';
import type { TagState } from '../../model/tag-value';

/**
 * What every ScriptStore must do, run against each adapter (PGlite here, PostgreSQL under
 * tests/integration). Opening a database is slow (PGlite compiles WebAssembly), so one store serves
 * the whole suite and every test works on names and tags of its own (`unique()`), never assuming the
 * store is empty.
 */

export interface OpenedScriptStore {
  store: ScriptStore;
  cleanup(): Promise<void>;
}



function draftOf(name: string, outputTags: string[], extra: Partial<ScriptDraft> = {}): ScriptDraft {
  return {
    name,
    description: `test script ${name}`,
    inputs: [{ tag: `${name}.IN`, alias: 'x' }],
    initCode: 'let runs = 0;',
    calcCode: 'runs++;\nconst y = x * 2;',
    outputs: outputTags.map((tag) => ({ tag, variable: 'y' })),
    trigger: { type: 'onChange' },
    ...extra,
  };
}


const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function describeScriptStoreContract(name: string, open: () => Promise<OpenedScriptStore>): void {
  describe(`ScriptStore contract: ${name}`, () => {
    const store = openedForSuite(open, (opened) => opened.store);

    describe('create, get, list', () => {
      it('creates a script with a UUID, version 1, unregistered, and reads it back', async () => {
        const name = unique('create');
        const draft = draftOf(name, [`${name}.OUT`]);
        const before = Date.now();
        const created = await store().create(draft);

        expect(created.id).toMatch(UUID);
        expect(created.definition).toEqual(draft);
        expect(created).toMatchObject({ version: 1, state: 'unregistered', lastError: null, deleted: false });
        expect(created.revision).toBeGreaterThan(0);
        expect(created.createdAt).toBeInstanceOf(Date);
        expect(created.createdAt.getTime()).toBeGreaterThan(before - 60_000);
        expect(created.updatedAt.getTime()).toBe(created.createdAt.getTime());

        expect(await store().get(created.id)).toEqual(created);
      });

      it('keeps every field of the definition, optional ones included or absent', async () => {
        const name = unique('fields');
        const full = draftOf(name, [`${name}.A`, `${name}.B`], {
          inputs: [
            { tag: `${name}.IN1`, alias: 'steam' },
            { tag: `${name}.IN2`, alias: 'fuel' },
          ],
          outputs: [
            { tag: `${name}.A`, variable: 'eff', deadband: 0.0001 },
            { tag: `${name}.B`, variable: 'runs' },
          ],
          trigger: { type: 'periodic', intervalMs: 1000 },
        });
        const jsonLooking = draftOf(unique('jsonish'), [`${name}.D`], { description: '42', calcCode: 'null' });
        const minimal: ScriptDraft = { name: unique('minimal'), inputs: [], calcCode: 'const y = 1;', outputs: [{ tag: `${name}.C`, variable: 'y' }] };

        const savedFull = await store().create(full);
        const savedMinimal = await store().create(minimal);
        const savedJsonLooking = await store().create(jsonLooking);
        expect((await store().get(savedJsonLooking.id))?.definition).toEqual(jsonLooking);

        expect((await store().get(savedFull.id))?.definition).toEqual(full);
        const reloaded = await store().get(savedMinimal.id);
        expect(reloaded?.definition).toEqual(minimal);
        expect(Object.keys(reloaded?.definition ?? {}).sort()).toEqual(['calcCode', 'inputs', 'name', 'outputs']);
      });

      it('answers null for an unknown id, including ids that are not UUIDs', async () => {
        expect(await store().get('00000000-0000-4000-8000-000000000000')).toBeNull();
        expect(await store().get("x' or '1'='1")).toBeNull();
        expect(await store().get('')).toBeNull();
      });

      it('lists live scripts by name in byte order, without deleted ones', async () => {
        const prefix = unique('list');
        const names = [`${prefix}_b`, `${prefix}_a`, `${prefix}_C`, `${prefix}_a.2`, `${prefix}_-x`];
        const created: StoredScript[] = [];
        for (const scriptName of names) created.push(await store().create(draftOf(scriptName, [`${scriptName}.OUT`])));
        await store().delete(created[0].id);

        const listed = (await store().list()).filter((script) => script.definition.name.startsWith(prefix));

        expect(listed.map((script) => script.definition.name)).toEqual(
          [`${prefix}_-x`, `${prefix}_C`, `${prefix}_a`, `${prefix}_a.2`],
        );
        expect(listed.every((script) => !script.deleted)).toBe(true);
        expect(listed.find((script) => script.id === created[1].id)).toEqual(created[1]);
      });
    });

    describe('conflicts', () => {
      it('refuses a second live script with the same name (CONFLICT naming it)', async () => {
        const name = unique('dup');
        await store().create(draftOf(name, [`${name}.OUT1`]));

        const error = await rejectionOf(store().create(draftOf(name, [`${name}.OUT2`])));

        expect(error.kind).toBe('user');
        expect(error.code).toBe('CONFLICT');
        expect(error.message).toBe(`a script named '${name}' already exists`);
        expect(error.details).toEqual({ name });
      });

      it('refuses an output tag another live script produces, naming the tag and that script', async () => {
        const owner = unique('owner');
        const taken = `${owner}.OUT`;
        const ownerScript = await store().create(draftOf(owner, [taken]));
        const other = unique('other');

        const error = await rejectionOf(store().create(draftOf(other, [`${other}.FREE`, taken])));

        expect(error.code).toBe('CONFLICT');
        expect(error.message).toContain(`'${taken}'`);
        expect(error.message).toContain(`'${owner}'`);
        expect(error.details).toMatchObject({ tag: taken, script: owner, scriptId: ownerScript.id });
        // Nothing of the refused script was saved: its free tag is still free.
        expect((await store().list()).some((script) => script.definition.name === other)).toBe(false);
        await expect(store().create(draftOf(unique('later'), [`${other}.FREE`]))).resolves.toBeDefined();
      });

      it('frees the name and output tags of a deleted script', async () => {
        const name = unique('reuse');
        const first = await store().create(draftOf(name, [`${name}.OUT`]));
        expect(await store().delete(first.id)).toBe(true);

        const second = await store().create(draftOf(name, [`${name}.OUT`]));

        expect(second.id).not.toBe(first.id);
        expect(second.version).toBe(1);
      });

      it('lets exactly one of many concurrent creates with one name succeed', async () => {
        const name = unique('race');
        const attempts = await Promise.allSettled(
          Array.from({ length: 6 }, (_, index) => store().create(draftOf(name, [`${name}.OUT${index}`]))),
        );
        const succeeded = attempts.filter((attempt) => attempt.status === 'fulfilled');
        const failed = attempts.filter((attempt): attempt is PromiseRejectedResult => attempt.status === 'rejected');

        expect(succeeded).toHaveLength(1);
        for (const failure of failed) {
          expect(isAppError(failure.reason) && failure.reason.code).toBe('CONFLICT');
        }
      });

      it('lets exactly one of many concurrent creates claim one output tag', async () => {
        const tag = `${unique('contested')}.OUT`;
        const attempts = await Promise.allSettled(
          Array.from({ length: 6 }, () => store().create(draftOf(unique('claimant'), [tag]))),
        );

        expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
        for (const attempt of attempts) {
          if (attempt.status === 'rejected') expect(isAppError(attempt.reason) && attempt.reason.code).toBe('CONFLICT');
        }
      });
    });

    describe('update', () => {
      it('bumps the version, sets updatedAt, takes a new revision and replaces the definition', async () => {
        const name = unique('update');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        const changed = draftOf(name, [`${name}.OUT`], { calcCode: 'const y = x * 3;', description: 'tripled' });

        const updated = await store().update(created.id, changed);

        expect(updated).not.toBeNull();
        expect(updated?.id).toBe(created.id);
        expect(updated?.version).toBe(2);
        expect(updated?.definition).toEqual(changed);
        expect(updated?.revision).toBeGreaterThan(created.revision);
        expect(updated?.createdAt.getTime()).toBe(created.createdAt.getTime());
        expect(updated?.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
        expect(await store().get(created.id)).toEqual(updated);

        const third = await store().update(created.id, changed);
        expect(third?.version).toBe(3);
      });

      it('keeps the state and last error across an update', async () => {
        const name = unique('keepstate');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        await store().setState(created.id, 'registered', null);

        const updated = await store().update(created.id, draftOf(name, [`${name}.OUT`], { calcCode: 'const y = 0;' }));

        expect(updated?.state).toBe('registered');
      });

      it('can rename a script and replace its output tags, freeing the old ones', async () => {
        const name = unique('rename');
        const created = await store().create(draftOf(name, [`${name}.OLD`]));
        const renamed = unique('renamed');

        const updated = await store().update(created.id, draftOf(renamed, [`${name}.NEW`]));

        expect(updated?.definition.name).toBe(renamed);
        // The old name and output tag are free, the new tag is taken.
        await expect(store().create(draftOf(name, [`${name}.OLD`]))).resolves.toBeDefined();
        const error = await rejectionOf(store().create(draftOf(unique('late'), [`${name}.NEW`])));
        expect(error.details).toMatchObject({ tag: `${name}.NEW`, script: renamed });
      });

      it('refuses the name or an output tag of another script and leaves the script unchanged', async () => {
        const a = unique('upd_a');
        const b = unique('upd_b');
        const scriptA = await store().create(draftOf(a, [`${a}.OUT`]));
        const scriptB = await store().create(draftOf(b, [`${b}.OUT`]));

        const nameError = await rejectionOf(store().update(scriptB.id, draftOf(a, [`${b}.OUT`])));
        expect(nameError.code).toBe('CONFLICT');
        expect(nameError.details).toEqual({ name: a });

        const tagError = await rejectionOf(store().update(scriptB.id, draftOf(b, [`${b}.OUT`, `${a}.OUT`])));
        expect(tagError.code).toBe('CONFLICT');
        expect(tagError.details).toMatchObject({ tag: `${a}.OUT`, script: a, scriptId: scriptA.id });

        expect(await store().get(scriptB.id)).toEqual(scriptB);
        // B still owns its tag: the failed updates did not drop its outputs.
        const stillOwned = await rejectionOf(store().create(draftOf(unique('probe'), [`${b}.OUT`])));
        expect(stillOwned.details).toMatchObject({ script: b });
      });

      it('answers null for an unknown or deleted script', async () => {
        const name = unique('gone');
        expect(await store().update('00000000-0000-4000-8000-000000000000', draftOf(name, [`${name}.OUT`]))).toBeNull();
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        await store().delete(created.id);
        expect(await store().update(created.id, draftOf(name, [`${name}.OUT`]))).toBeNull();
      });
    });

    describe('delete and state', () => {
      it('soft-deletes: gone from get and list, unregistered, false the second time', async () => {
        const name = unique('delete');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        await store().setState(created.id, 'registered', null);

        expect(await store().delete(created.id)).toBe(true);

        expect(await store().get(created.id)).toBeNull();
        expect((await store().list()).some((script) => script.id === created.id)).toBe(false);
        expect(await store().delete(created.id)).toBe(false);
        expect(await store().delete('00000000-0000-4000-8000-000000000000')).toBe(false);
        const [change] = (await store().changesSince(created.revision)).filter((script) => script.id === created.id);
        expect(change).toMatchObject({ id: created.id, deleted: true, state: 'unregistered' });
      });

      it('sets the state and last error with a new revision, the version unchanged', async () => {
        const name = unique('state');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        const lastError = {
          severity: 'error' as const,
          message: "'stem' is not defined — did you mean 'steam'?",
          source: 'calc' as const,
          line: 3,
          column: 14,
          kind: 'reference' as const,
        };

        const quarantined = await store().setState(created.id, 'quarantined', lastError);

        expect(quarantined).toMatchObject({ state: 'quarantined', lastError, version: 1 });
        expect(quarantined?.revision).toBeGreaterThan(created.revision);
        expect(await store().get(created.id)).toEqual(quarantined);

        const registered = await store().setState(created.id, 'registered', null);
        expect(registered).toMatchObject({ state: 'registered', lastError: null });
        expect(registered?.revision).toBeGreaterThan(quarantined?.revision ?? Infinity);
      });

      it('stores a last error whose message holds characters PostgreSQL cannot (NUL)', async () => {
        const name = unique('nul_error');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        const saved = await store().setState(created.id, 'quarantined', {
          severity: 'error',
          message: 'thrown: a\u0000b',
          source: 'calc',
          kind: 'runtime',
        });
        expect(saved?.lastError?.message).toMatch(/^thrown: a.b$/);
      });

      it('answers null when setting the state of an unknown or deleted script', async () => {
        expect(await store().setState('00000000-0000-4000-8000-000000000000', 'registered', null)).toBeNull();
        const name = unique('state_gone');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        await store().delete(created.id);
        expect(await store().setState(created.id, 'registered', null)).toBeNull();
      });
    });

    describe('revisions and changesSince', () => {
      it('reports every change after a revision, deletions included, in revision order', async () => {
        const prefix = unique('changes');
        const start = Math.max(0, ...(await store().changesSince(0)).map((script) => script.revision));

        const a = await store().create(draftOf(`${prefix}_a`, [`${prefix}.A`]));
        const b = await store().create(draftOf(`${prefix}_b`, [`${prefix}.B`]));
        const c = await store().create(draftOf(`${prefix}_c`, [`${prefix}.C`]));
        const aUpdated = await store().update(a.id, draftOf(`${prefix}_a`, [`${prefix}.A`], { calcCode: 'const y = 7;' }));
        const bRegistered = await store().setState(b.id, 'registered', null);
        await store().delete(a.id);

        const changes = (await store().changesSince(start)).filter((script) => script.definition.name.startsWith(prefix));

        // One row per script, as it is now, ordered by its latest revision: c, b, a.
        expect(changes.map((script) => script.id)).toEqual([c.id, b.id, a.id]);
        const revisions = changes.map((script) => script.revision);
        expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
        expect(changes[2]).toMatchObject({ deleted: true, state: 'unregistered', version: 2 });
        expect(changes[1]).toMatchObject({ state: 'registered', deleted: false });

        // Only what changed after a given revision.
        const afterRegister = await store().changesSince(bRegistered?.revision ?? 0);
        expect(afterRegister.map((script) => script.id)).toEqual([a.id]);
        expect(aUpdated?.revision).toBeLessThan(bRegistered?.revision ?? 0);
        expect(await store().changesSince(changes[2].revision)).toEqual([]);
      });

      it('gives every change its own increasing revision, also under concurrency', async () => {
        const prefix = unique('revs');
        const created = await Promise.all(
          Array.from({ length: 8 }, (_, index) => store().create(draftOf(`${prefix}_${index}`, [`${prefix}.OUT${index}`]))),
        );
        const states = await Promise.all(created.map((script) => store().setState(script.id, 'registered', null)));
        const all = [...created, ...states.map((script) => script as StoredScript)].map((script) => script.revision);
        expect(new Set(all).size).toBe(all.length);
        for (let index = 0; index < created.length; index++) {
          expect(states[index]?.revision).toBeGreaterThan(created[index].revision);
        }
      });
    });

    describe('stats', () => {
      it('saves, loads and overwrites the statistics of scripts', async () => {
        const name = unique('stats');
        const first = await store().create(draftOf(`${name}_1`, [`${name}.OUT1`]));
        const second = await store().create(draftOf(`${name}_2`, [`${name}.OUT2`]));
        const lastRunAt = new Date('2026-11-27T10:00:00.123Z');

        await store().saveStats([
          { scriptId: first.id, evaluations: 10, errors: 1, avgMicros: 12.5, lastRunAt },
          { scriptId: second.id, evaluations: 0, errors: 0, avgMicros: 0, lastRunAt: null },
        ]);
        await store().saveStats([{ scriptId: first.id, evaluations: 9_007_199_254_740, errors: 3, avgMicros: 0.25, lastRunAt }]);

        const byId = new Map((await store().loadStats()).map((stats) => [stats.scriptId, stats]));
        expect(byId.get(first.id)).toEqual({ scriptId: first.id, evaluations: 9_007_199_254_740, errors: 3, avgMicros: 0.25, lastRunAt, retryAt: null });
        expect(byId.get(second.id)).toEqual({ scriptId: second.id, evaluations: 0, errors: 0, avgMicros: 0, lastRunAt: null, retryAt: null });
      });

      it('keeps the next retry of a quarantined script, for processes without the engine, and clears it', async () => {
        const name = unique('stats_retry');
        const script = await store().create(draftOf(name, [`${name}.OUT`]));
        const retryAt = new Date('2026-11-27T10:01:00.000Z');
        await store().saveStats([{ scriptId: script.id, evaluations: 5, errors: 5, avgMicros: 1, lastRunAt: null, retryAt }]);
        expect((await store().loadStats()).find((stats) => stats.scriptId === script.id)?.retryAt).toEqual(retryAt);
        await store().saveStats([{ scriptId: script.id, evaluations: 6, errors: 5, avgMicros: 1, lastRunAt: null, retryAt: null }]);
        expect((await store().loadStats()).find((stats) => stats.scriptId === script.id)?.retryAt).toBeNull();
      });

      it("keeps why a script's state could not move to its worker (WORKER_MODE=partitioned), and clears it", async () => {
        const name = unique('stats_notice');
        const script = await store().create(draftOf(name, [`${name}.OUT`]));
        const stateNotice = "its static variable 'seen' holds a Map, which JSON cannot carry";
        await store().saveStats([{ scriptId: script.id, evaluations: 1, errors: 0, avgMicros: 1, lastRunAt: null, stateNotice }]);
        expect((await store().loadStats()).find((stats) => stats.scriptId === script.id)?.stateNotice).toBe(stateNotice);
        await store().saveStats([{ scriptId: script.id, evaluations: 2, errors: 0, avgMicros: 1, lastRunAt: null, stateNotice: null }]);
        expect((await store().loadStats()).find((stats) => stats.scriptId === script.id)).not.toHaveProperty('stateNotice');
      });

      it('drops statistics of unknown scripts instead of failing the batch, and accepts an empty batch', async () => {
        const name = unique('stats_unknown');
        const known = await store().create(draftOf(name, [`${name}.OUT`]));
        const unknownId = '00000000-0000-4000-8000-00000000dead';

        await store().saveStats([
          { scriptId: unknownId, evaluations: 1, errors: 0, avgMicros: 1, lastRunAt: null },
          { scriptId: known.id, evaluations: 5, errors: 0, avgMicros: 2, lastRunAt: null },
        ]);
        await store().saveStats([]);

        const loaded = await store().loadStats();
        expect(loaded.some((stats) => stats.scriptId === unknownId)).toBe(false);
        expect(loaded.find((stats) => stats.scriptId === known.id)?.evaluations).toBe(5);
      });

      it('saves a batch of thousands of statistics in one call, the last entry of an id winning', async () => {
        const prefix = unique('stats_many');
        const ids: string[] = [];
        // Hundreds of scripts, each entry repeated ten times: creating the scripts is the slow part.
        for (let start = 0; start < 300; start += 50) {
          const created = await Promise.all(
            Array.from({ length: 50 }, (_, offset) => store().create(draftOf(`${prefix}_${start + offset}`, [`${prefix}.OUT${start + offset}`]))),
          );
          ids.push(...created.map((script) => script.id));
        }
        const batch: ScriptStats[] = [];
        for (let round = 0; round < 10; round++) {
          for (const [index, scriptId] of ids.entries()) {
            batch.push({ scriptId, evaluations: round * 1000 + index, errors: round, avgMicros: index / 7, lastRunAt: new Date(1_800_000_000_000 + index) });
          }
        }

        await store().saveStats(batch);

        const byId = new Map((await store().loadStats()).map((stats) => [stats.scriptId, stats]));
        for (const [index, scriptId] of ids.entries()) {
          expect(byId.get(scriptId)).toEqual({ scriptId, evaluations: 9000 + index, errors: 9, avgMicros: index / 7, lastRunAt: new Date(1_800_000_000_000 + index), retryAt: null });
        }
      }, 120_000);
    });

    describe('latest values (restart snapshot)', () => {
      const latestOf = async (prefix: string) =>
        new Map((await store().loadLatest()).filter((value) => value.tag.startsWith(prefix)).map((value) => [value.tag, value]));

      it('round-trips numbers, booleans, strings and null with their quality and source', async () => {
        const prefix = unique('latest');
        const values: TagState[] = [
          { tag: `${prefix}.NUM`, value: 12.5, ts: 1_790_000_000_000, quality: 'good', source: 'raw' },
          { tag: `${prefix}.NEG`, value: -0.000123, ts: 1_790_000_000_001, quality: 'uncertain', source: 'script' },
          { tag: `${prefix}.BOOL`, value: true, ts: 1_790_000_000_002, quality: 'bad', source: 'raw' },
          { tag: `${prefix}.FALSE`, value: false, ts: 1_790_000_000_003, quality: 'good', source: 'raw' },
          { tag: `${prefix}.STR`, value: 'RUNNING', ts: 1_790_000_000_004, quality: 'good', source: 'raw' },
          { tag: `${prefix}.NUMSTR`, value: '42', ts: 1_790_000_000_005, quality: 'good', source: 'raw' },
          { tag: `${prefix}.NULL`, value: null, ts: 1_790_000_000_006, quality: 'bad', source: 'script' },
          // Strings that read as JSON stay strings.
          { tag: `${prefix}.JSON1`, value: 'true', ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.JSON2`, value: 'null', ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.JSON3`, value: '"quoted"', ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.JSON4`, value: '{"a":[1,2]}', ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.EMPTY`, value: '', ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.BIG`, value: 1.7976931348623157e308, ts: 1, quality: 'good', source: 'raw' },
          { tag: `${prefix}.INT`, value: 9_007_199_254_740_991, ts: 1, quality: 'good', source: 'raw' },
        ];

        await store().saveLatest(values);

        const loaded = await latestOf(prefix);
        expect(loaded.size).toBe(values.length);
        for (const value of values) expect(loaded.get(value.tag)).toEqual(value);
      });

      it('keeps the newer value: an older timestamp never overwrites, an equal or newer one does', async () => {
        const prefix = unique('newer');
        const tag = `${prefix}.T`;
        await store().saveLatest([{ tag, value: 2, ts: 2000, quality: 'good', source: 'raw' }]);

        await store().saveLatest([{ tag, value: 1, ts: 1000, quality: 'bad', source: 'raw' }]);
        expect((await latestOf(prefix)).get(tag)).toMatchObject({ value: 2, ts: 2000, quality: 'good' });

        await store().saveLatest([{ tag, value: 3, ts: 2000, quality: 'uncertain', source: 'raw' }]);
        expect((await latestOf(prefix)).get(tag)).toMatchObject({ value: 3, ts: 2000, quality: 'uncertain' });

        await store().saveLatest([{ tag, value: 'later', ts: 3000, quality: 'good', source: 'script' }]);
        expect((await latestOf(prefix)).get(tag)).toEqual({ tag, value: 'later', ts: 3000, quality: 'good', source: 'script' });
      });

      it('keeps the reason of a value that reports a failure or a stop, and drops it with the next value', async () => {
        const prefix = unique('reason');
        const tag = `${prefix}.T`;
        await store().saveLatest([{ tag, value: null, ts: 1000, quality: 'bad', source: 'script', reason: 'quarantined' }]);
        expect((await latestOf(prefix)).get(tag)).toEqual({ tag, value: null, ts: 1000, quality: 'bad', source: 'script', reason: 'quarantined' });
        await store().saveLatest([{ tag, value: 4, ts: 2000, quality: 'good', source: 'script' }]);
        expect((await latestOf(prefix)).get(tag)).toEqual({ tag, value: 4, ts: 2000, quality: 'good', source: 'script' });
      });

      it('takes the newest of several values of one tag in a single batch, in any order', async () => {
        const prefix = unique('batchdup');
        const tag = `${prefix}.T`;
        await store().saveLatest([
          { tag, value: 5, ts: 5000, quality: 'good', source: 'raw' },
          { tag, value: 9, ts: 9000, quality: 'good', source: 'raw' },
          { tag, value: 7, ts: 7000, quality: 'good', source: 'raw' },
        ]);
        expect((await latestOf(prefix)).get(tag)?.value).toBe(9);
        await store().saveLatest([]);
      });

      it('stores tags and values with quotes, SQL fragments, Unicode and characters PostgreSQL cannot hold', async () => {
        const prefix = unique('odd');
        const tags = [
          `${prefix}.quote'd "tag"`,
          `${prefix}.'; DROP TABLE tag_latest; --`,
          `${prefix}.Ω température/°C ✓ 😀`,
          `${prefix}.100% _under_ \\back\\slash`,
          `${prefix}.$1 $$dollar$$ ?`,
        ];
        const values: TagState[] = tags.map((tag, index) => ({ tag, value: `${tag} = ${index}`, ts: 1000 + index, quality: 'good', source: 'raw' }));
        values.push({ tag: `${prefix}.nul`, value: 'a\u0000b\ud800c', ts: 1, quality: 'good', source: 'raw' });

        await store().saveLatest(values);

        const loaded = await latestOf(prefix);
        for (const value of values.slice(0, tags.length)) expect(loaded.get(value.tag)).toEqual(value);
        expect(loaded.get(`${prefix}.nul`)?.value).toBe('a\ufffdb\ufffdc');
      });

      it('upserts thousands of tags in one call (beyond one statement’s parameter limit)', async () => {
        const prefix = unique('bulk');
        const count = 14_000;
        const values: TagState[] = Array.from({ length: count }, (_, index) => ({
          tag: `${prefix}.T${String(index).padStart(5, '0')}`,
          value: index % 3 === 0 ? index : index % 3 === 1 ? `s${index}` : index % 2 === 0,
          ts: 1_000_000 + index,
          quality: (['good', 'uncertain', 'bad'] as const)[index % 3],
          source: index % 2 === 0 ? 'raw' : 'script',
        }));

        await store().saveLatest(values);
        await store().saveLatest(values.map((value) => ({ ...value, value: 0, ts: value.ts - 1 })));

        const loaded = await latestOf(prefix);
        expect(loaded.size).toBe(count);
        for (const value of values) expect(loaded.get(value.tag)).toEqual(value);
      });
    });

    describe('names, tags and text', () => {
      it('saves names, tags and code with quotes, SQL fragments and Unicode exactly', async () => {
        const prefix = unique('text');
        const draft = draftOf(`${prefix}'; DROP TABLE scripts; --`, [`${prefix}.Ω "out" 'quoted' /x`, `${prefix}.$1 %_ \\`], {
          description: 'Rendement chaudière ≥ 90 % — “quoted” 😀\n\ttabbed',
          inputs: [{ tag: `${prefix}.FT-101/PV température`, alias: 'flow' }],
          calcCode: "const y = flow > 0 ? 'it\\'s \"ok\"' : `${flow}`; // ünïcödé",
        });

        const created = await store().create(draft);

        expect((await store().get(created.id))?.definition).toEqual(draft);
        const error = await rejectionOf(store().create(draftOf(unique('clash'), [`${prefix}.$1 %_ \\`])));
        expect(error.details).toMatchObject({ tag: `${prefix}.$1 %_ \\`, script: draft.name });
        const nameError = await rejectionOf(store().create(draftOf(draft.name, [`${prefix}.other`])));
        expect(nameError.details).toEqual({ name: draft.name });
      });

      it('refuses a definition holding a NUL character with a validation error that names the field', async () => {
        const name = unique('nul');
        const error = await rejectionOf(store().create(draftOf(name, [`${name}.OUT`], { calcCode: 'const y = "\u0000";' })));
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.details).toEqual({ path: 'calcCode' });
        expect(error.message).toContain('calcCode');
        expect(await store().list()).not.toContainEqual(expect.objectContaining({ definition: expect.objectContaining({ name }) }));
      });
    });

    describe('versions', () => {
      const jane = { actor: { type: 'user' as const, id: 'u-jane', name: 'jane' }, by: { id: 'u-jane', name: 'jane' }, requestId: 'r-versions' };

      it('stores every create and update as an immutable version, newest first, with who, when and the message', async () => {
        const name = unique('versions');
        const first = draftOf(name, [`${name}.OUT`]);
        const second = { ...first, calcCode: 'runs++;\nconst y = x * 3;' };
        const created = await store().create(first, jane, { message: 'first cut' });
        const updated = await store().update(created.id, second);

        const listed = await store().listVersions(created.id);
        expect(listed?.deleted).toBe(false);
        expect(listed?.versions.map((entry) => [entry.version, entry.message, entry.savedBy])).toEqual([
          [2, null, null],
          [1, 'first cut', { id: 'u-jane', name: 'jane' }],
        ]);
        expect(listed?.versions[1].savedAt.getTime()).toBe(created.updatedAt.getTime());
        expect(listed?.versions[0].savedAt.getTime()).toBe(updated?.updatedAt.getTime());

        const one = await store().getVersion(created.id, 1);
        expect(one).toMatchObject({ deleted: false, latest: 2, found: { version: 1, message: 'first cut', definition: first } });
        expect((await store().getVersion(created.id, 2))?.found?.definition).toEqual(second);
      });

      it('answers a missing version of a known script apart from an unknown script', async () => {
        const name = unique('noversion');
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        expect(await store().getVersion(created.id, 7)).toEqual({ deleted: false, latest: 1, found: null });
        // Beyond the column's range, or not a version number at all: no such version, not a database error.
        expect(await store().getVersion(created.id, 5_902_142_035_525_818)).toEqual({ deleted: false, latest: 1, found: null });
        expect(await store().getVersion(created.id, 1.5)).toEqual({ deleted: false, latest: 1, found: null });
        expect(await store().getVersion('no-such-script', 1)).toBeNull();
        expect(await store().listVersions('no-such-script')).toBeNull();
      });

      it('keeps the versions of a deleted script, readable, while a new script takes its name', async () => {
        const name = unique('deletedversions');
        const created = await store().create(draftOf(name, [`${name}.OUT`]), undefined, { message: 'v1' });
        await store().update(created.id, draftOf(name, [`${name}.OUT`], { calcCode: 'const y = 7;' }));
        expect(await store().delete(created.id)).toBe(true);

        const reborn = await store().create(draftOf(name, [`${name}.OUT`]));
        expect(reborn.id).not.toBe(created.id);
        const listed = await store().listVersions(created.id);
        expect(listed).toMatchObject({ deleted: true });
        expect(listed?.versions.map((entry) => entry.version)).toEqual([2, 1]);
        expect((await store().getVersion(created.id, 2))?.found?.definition.calcCode).toBe('const y = 7;');
        expect((await store().listVersions(reborn.id))?.versions.map((entry) => entry.version)).toEqual([1]);
      });

      it('stores no version for a refused update', async () => {
        const name = unique('refusedversion');
        const holder = await store().create(draftOf(unique('holder'), [`${name}.TAKEN`]));
        const created = await store().create(draftOf(name, [`${name}.OUT`]));
        await rejectionOf(store().update(created.id, draftOf(name, [`${name}.TAKEN`])));
        expect((await store().listVersions(created.id))?.versions.map((entry) => entry.version)).toEqual([1]);
        expect(holder.version).toBe(1);
      });
    });

    describe('health', () => {
      it('pings', async () => {
        await expect(store().ping()).resolves.toBeUndefined();
      });
    });
  });
}
