import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeAuthor } from '../../model/audit';
import { quarantineAudit } from '../../model/audit';
import type { ScriptDraft } from '../../model/script-schema';
import { openDatabase, type DatabaseHandle } from './open-database';
import { SqlIdentityStore } from './sql-identity-store';
import { SqlScriptStore } from './sql-script-store';

/**
 * Script changes and their audit entries commit together (security.md): the script store writes
 * the entry inside the change's own transaction, so a refused change leaves none.
 */

const migrationsFolder = path.resolve(__dirname, '../../../db/migrations');
let database: DatabaseHandle;
let scripts: SqlScriptStore;
let identities: SqlIdentityStore;

const jane: ChangeAuthor = { actor: { type: 'user', id: 'u-jane', name: 'jane' }, by: { id: 'u-jane', name: 'jane' }, requestId: 'r-1', ip: '10.0.0.1' };
const kim: ChangeAuthor = {
  actor: { type: 'token', id: 'u-kim', name: 'kim', token: { id: 't-1', name: 'ci' } },
  by: { id: 'u-kim', name: 'kim' },
  requestId: 'r-2',
};

const draft = (name: string, output: string, calcCode = 'const y = x * 2;'): ScriptDraft =>
  ({ name, inputs: [{ tag: 'X', alias: 'x' }], calcCode, outputs: [{ tag: output, variable: 'y' }] }) as ScriptDraft;

const entriesOf = async (targetId: string) => (await identities.listAudit({ targetType: 'script', targetId, limit: 100 })).entries;

beforeAll(async () => {
  database = await openDatabase({ kind: 'embedded', migrationsFolder });
  scripts = new SqlScriptStore(database);
  identities = new SqlIdentityStore(database);
}, 180_000);

afterAll(async () => {
  await database?.close();
});

describe('the audit trail of script changes', () => {
  it('records create, update (fields and a diff of the code), register and delete with who did them', async () => {
    const created = await scripts.create(draft('audited', 'A.OUT'), jane);
    expect(created.createdBy).toEqual({ id: 'u-jane', name: 'jane' });
    const updated = await scripts.update(created.id, draft('audited', 'A.OUT', 'const y = x * 3;'), kim);
    expect(updated).toMatchObject({ createdBy: { name: 'jane' }, updatedBy: { name: 'kim' }, version: 2 });
    await scripts.setState(created.id, 'registered', null, { ...kim, action: 'script.register' });
    await scripts.setState(created.id, 'quarantined', null, quarantineAudit({ message: 'boom' }, 'repeated failures'));
    expect(await scripts.delete(created.id, jane)).toBe(true);

    const entries = await entriesOf(created.id);
    expect(entries.map((entry) => entry.action)).toEqual(['script.delete', 'script.quarantine', 'script.register', 'script.update', 'script.create']);
    const [deleted, quarantined, registered, update, create] = entries;
    expect(create).toMatchObject({ actor: { type: 'user', name: 'jane' }, target: { type: 'script', id: created.id, name: 'audited' }, version: 1, ip: '10.0.0.1' });
    expect(update).toMatchObject({ actor: { type: 'token', name: 'kim', token: { id: 't-1', name: 'ci' } }, version: 2, requestId: 'r-2' });
    expect(update.details.fields).toEqual(['calcCode']);
    expect((update.details.diff as { calcCode: string }).calcCode).toMatch(/-const y = x \* 2;\n\+const y = x \* 3;/);
    expect(registered.details).toMatchObject({ state: 'registered' });
    expect(quarantined).toMatchObject({ actor: { type: 'system', name: 'system' }, details: { cause: 'repeated failures', error: 'boom' } });
    expect(deleted.actor.name).toBe('jane');
  });

  it('leaves no entry when the change is refused', async () => {
    const owner = await scripts.create(draft('owner', 'B.OUT'), jane);
    const other = await scripts.create(draft('other', 'C.OUT'), jane);
    const byKim = (await identities.listAudit({ actor: 'kim', limit: 100 })).entries.length;
    await expect(scripts.update(other.id, draft('other', 'B.OUT'), kim)).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(scripts.create(draft('owner', 'D.OUT'), kim)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await entriesOf(other.id)).map((entry) => entry.action)).toEqual(['script.create']);
    expect((await entriesOf(owner.id)).map((entry) => entry.action)).toEqual(['script.create']);
    expect((await identities.listAudit({ actor: 'kim', limit: 100 })).entries).toHaveLength(byKim);
  });

  it('writes no entry and no author for a change made without one (tools, tests)', async () => {
    const quiet = await scripts.create(draft('quiet', 'E.OUT'));
    expect(quiet.createdBy).toBeNull();
    expect(await entriesOf(quiet.id)).toEqual([]);
  });
});
