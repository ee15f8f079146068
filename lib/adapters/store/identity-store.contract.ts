import { describe, expect, it } from 'vitest';
import { openedForSuite, rejectionOf, unique } from './contract-support';
import type { NewAuditEntry } from '../../model/audit';
import type { IdentityStore, NewUser } from '../../ports/identity-store';

/**
 * What every IdentityStore must do, run against each adapter (PGlite in
 * sql-identity-store.test.ts, PostgreSQL under tests/integration). One store serves the whole suite;
 * every test works on usernames and ids of its own, never assuming the store is empty.
 */

export interface OpenedIdentityStore {
  store: IdentityStore;
  cleanup(): Promise<void>;
}



const newUser = (username: string, extra: Partial<NewUser> = {}): NewUser => ({
  username,
  displayName: `Display ${username}`,
  role: 'editor',
  source: 'local',
  passwordHash: '$scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U',
  externalId: null,
  createdAt: new Date(),
  ...extra,
});

const entry = (targetId: string, extra: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  actor: { type: 'system', id: null, name: 'system' },
  action: 'user.create',
  target: { type: 'user', id: targetId, name: targetId },
  details: { note: targetId },
  requestId: `req-${targetId}`,
  ...extra,
});


export function describeIdentityStoreContract(name: string, open: () => Promise<OpenedIdentityStore>): void {
  describe(`IdentityStore contract: ${name}`, () => {
    const store = openedForSuite(open, (opened) => opened.store);

    describe('users', () => {
      it('creates a user and finds it by id and by username without regard to case', async () => {
        const username = unique('Jane.Kim');
        const before = await store().countUsers();
        const created = await store().change((tx) => tx.createUser(newUser(username, { role: 'viewer' })));

        expect(created).toMatchObject({ username, role: 'viewer', source: 'local', disabled: false, lastLoginAt: null });
        expect(await store().countUsers()).toBe(before + 1);
        expect(await store().getUser(created.id)).toEqual(created);
        expect(await store().findUserByUsername(username.toUpperCase())).toEqual(created);
        expect(await store().findUserByUsername(`${username}x`)).toBeNull();
        expect((await store().listUsers()).map((user) => user.id)).toContain(created.id);
      });

      it('refuses a username that differs only in case with CONFLICT naming it', async () => {
        const username = unique('dup');
        await store().change((tx) => tx.createUser(newUser(username)));
        const error = await rejectionOf(store().change((tx) => tx.createUser(newUser(username.toUpperCase()))));
        expect(error.code).toBe('CONFLICT');
        expect(error.message).toContain(username.toUpperCase());
      });

      it('finds an OIDC user by external identity and refuses a second user with it', async () => {
        const externalId = `https://idp.example ${unique('sub')}`;
        const created = await store().change((tx) => tx.createUser(newUser(unique('sso'), { source: 'oidc', passwordHash: null, externalId })));
        expect(await store().findUserByExternalId(externalId)).toEqual(created);
        const error = await rejectionOf(store().change((tx) => tx.createUser(newUser(unique('sso2'), { source: 'oidc', passwordHash: null, externalId }))));
        expect(error.code).toBe('CONFLICT');
      });

      it('updates only the given fields and counts enabled admins', async () => {
        const adminsBefore = await store().countEnabledAdmins();
        const created = await store().change((tx) => tx.createUser(newUser(unique('promote'))));
        const login = new Date('2030-01-02T03:04:05.000Z');
        const updated = await store().change((tx) => tx.updateUser(created.id, { role: 'admin', lastLoginAt: login }));
        expect(updated).toMatchObject({ role: 'admin', lastLoginAt: login, displayName: created.displayName, passwordHash: created.passwordHash });
        expect(await store().countEnabledAdmins()).toBe(adminsBefore + 1);

        await store().change((tx) => tx.updateUser(created.id, { disabled: true }));
        expect(await store().countEnabledAdmins()).toBe(adminsBefore);
        expect(await store().change((tx) => tx.updateUser('no-such-user', { role: 'viewer' }))).toBeNull();
      });

      it('deletes a user with their tokens and sessions, and keeps the audit entries that name them', async () => {
        const user = await store().change(async (tx) => {
          const created = await tx.createUser(newUser(unique('leaver')));
          await tx.audit(entry(created.id));
          return created;
        });
        const token = await store().change((tx) =>
          tx.createToken({ name: 'ci', role: 'viewer', ownerId: user.id, secretHash: unique('hash'), createdAt: new Date(), expiresAt: null }),
        );
        const sessionHash = unique('session');
        await store().change((tx) => tx.createSession(sessionHash, user.id, new Date()));

        expect(await store().change((tx) => tx.deleteUser(user.id))).toBe(true);
        expect(await store().getUser(user.id)).toBeNull();
        expect(await store().getToken(token.id)).toBeNull();
        expect(await store().findSession(sessionHash)).toBeNull();
        expect(await store().change((tx) => tx.deleteUser(user.id))).toBe(false);
        const { entries } = await store().listAudit({ targetId: user.id, limit: 10 });
        expect(entries).toHaveLength(1);
      });
    });

    describe('tokens', () => {
      it('creates, lists (all or one owner), finds by secret hash, touches and revokes once', async () => {
        const owner = await store().change((tx) => tx.createUser(newUser(unique('owner'))));
        const other = await store().change((tx) => tx.createUser(newUser(unique('other'))));
        const secretHash = unique('hash');
        const expiresAt = new Date('2031-01-01T00:00:00.000Z');
        const created = await store().change((tx) =>
          tx.createToken({ name: 'historian', role: 'viewer', ownerId: owner.id, secretHash, createdAt: new Date('2030-01-01T00:00:00Z'), expiresAt }),
        );
        const second = await store().change((tx) =>
          tx.createToken({ name: 'ci', role: 'editor', ownerId: owner.id, secretHash: unique('hash'), createdAt: new Date('2030-01-02T00:00:00Z'), expiresAt: null }),
        );
        const othersToken = await store().change((tx) =>
          tx.createToken({ name: 'x', role: 'viewer', ownerId: other.id, secretHash: unique('hash'), createdAt: new Date(), expiresAt: null }),
        );

        expect(created).toMatchObject({ name: 'historian', role: 'viewer', owner: { id: owner.id, username: owner.username }, expiresAt, lastUsedAt: null, revokedAt: null });
        expect((await store().listTokens(owner.id)).map((token) => token.id)).toEqual([second.id, created.id]);
        const all = (await store().listTokens()).map((token) => token.id);
        expect(all).toEqual(expect.arrayContaining([created.id, second.id, othersToken.id]));
        expect(await store().findTokenBySecretHash(secretHash)).toEqual(created);
        expect(await store().findTokenBySecretHash(unique('nothing'))).toBeNull();

        const used = new Date('2030-06-01T00:00:00.000Z');
        await store().touchToken(created.id, used);
        expect((await store().getToken(created.id))?.lastUsedAt).toEqual(used);

        const revokedAt = new Date('2030-07-01T00:00:00.000Z');
        expect((await store().change((tx) => tx.revokeToken(created.id, revokedAt)))?.revokedAt).toEqual(revokedAt);
        // Revoking again keeps the first time.
        expect((await store().change((tx) => tx.revokeToken(created.id, new Date('2030-08-01T00:00:00Z'))))?.revokedAt).toEqual(revokedAt);
        expect(await store().change((tx) => tx.revokeToken('no-such-token', revokedAt))).toBeNull();
      });
    });

    describe('sessions', () => {
      it('creates, finds, touches, deletes, and removes the idle ones', async () => {
        const user = await store().change((tx) => tx.createUser(newUser(unique('sess'))));
        const [a, b] = [unique('a'), unique('b')];
        const start = new Date('2030-01-01T00:00:00.000Z');
        await store().change(async (tx) => {
          await tx.createSession(a, user.id, start);
          await tx.createSession(b, user.id, start);
        });
        expect(await store().findSession(a)).toEqual({ userId: user.id, createdAt: start, lastSeenAt: start });

        const later = new Date('2030-01-01T05:00:00.000Z');
        await store().touchSession(a, later);
        expect((await store().findSession(a))?.lastSeenAt).toEqual(later);

        expect(await store().deleteIdleSessions(new Date('2030-01-01T01:00:00.000Z'))).toBeGreaterThanOrEqual(1);
        expect(await store().findSession(b)).toBeNull();
        expect(await store().findSession(a)).not.toBeNull();

        expect(await store().change((tx) => tx.deleteSession(a))).toBe(true);
        expect(await store().findSession(a)).toBeNull();
        expect(await store().change((tx) => tx.deleteSession(a))).toBe(false);
      });

      it("ends a user's other sessions, keeping the one named, and nobody else's", async () => {
        const [user, other] = await store().change(async (tx) => [await tx.createUser(newUser(unique('pw'))), await tx.createUser(newUser(unique('pw2')))]);
        const [kept, ended, ended2, foreign] = [unique('k'), unique('e'), unique('e2'), unique('f')];
        const at = new Date('2030-01-01T00:00:00.000Z');
        await store().change(async (tx) => {
          for (const hash of [kept, ended, ended2]) await tx.createSession(hash, user.id, at);
          await tx.createSession(foreign, other.id, at);
        });
        expect(await store().change((tx) => tx.deleteSessionsOf(user.id, kept))).toBe(2);
        expect(await store().findSession(kept)).not.toBeNull();
        expect(await store().findSession(ended)).toBeNull();
        expect(await store().findSession(ended2)).toBeNull();
        expect(await store().findSession(foreign)).not.toBeNull();
        expect(await store().change((tx) => tx.deleteSessionsOf(user.id))).toBe(1);
        expect(await store().findSession(kept)).toBeNull();
      });
    });

    describe('audit trail', () => {
      it('writes the entry with the change, in one transaction', async () => {
        const username = unique('audited');
        const user = await store().change(async (tx) => {
          const created = await tx.createUser(newUser(username));
          await tx.audit(
            entry(created.id, {
              actor: { type: 'token', id: 'u1', name: 'ci-owner', token: { id: 't1', name: 'ci' } },
              version: 3,
              ip: '10.0.0.7',
              details: { fields: ['role'], text: '42' },
            }),
          );
          return created;
        });
        const { entries } = await store().listAudit({ targetId: user.id, limit: 10 });
        expect(entries).toEqual([
          {
            id: expect.stringMatching(/^\d+$/),
            at: expect.any(String),
            actor: { type: 'token', id: 'u1', name: 'ci-owner', token: { id: 't1', name: 'ci' } },
            action: 'user.create',
            target: { type: 'user', id: user.id, name: user.id },
            version: 3,
            details: { fields: ['role'], text: '42' },
            ip: '10.0.0.7',
            requestId: `req-${user.id}`,
          },
        ]);
      });

      it('leaves no entry (and no change) when the change fails after writing its entry', async () => {
        const username = unique('failed');
        const targetId = unique('target');
        const error = await rejectionOf(
          store().change(async (tx) => {
            await tx.createUser(newUser(username));
            await tx.audit(entry(targetId));
            // A later step of the same change fails: a duplicate username.
            await tx.createUser(newUser(username));
          }),
        );
        expect(error.code).toBe('CONFLICT');
        expect(await store().findUserByUsername(username)).toBeNull();
        expect((await store().listAudit({ targetId, limit: 10 })).entries).toEqual([]);
      });

      it('lists newest first, with filters, a limit and a cursor', async () => {
        const targetId = unique('paged');
        const actorName = unique('actor');
        await store().change(async (tx) => {
          for (let index = 0; index < 5; index++) {
            await tx.audit(
              entry(targetId, {
                action: index % 2 === 0 ? 'user.update' : 'token.create',
                actor: { type: 'user', id: `id-${actorName}`, name: actorName },
                details: { index },
              }),
            );
          }
        });
        const all = await store().listAudit({ targetId, limit: 100 });
        expect(all.entries.map((found) => found.details.index)).toEqual([4, 3, 2, 1, 0]);
        expect(all.nextCursor).toBeNull();

        const first = await store().listAudit({ targetId, limit: 2 });
        expect(first.entries.map((found) => found.details.index)).toEqual([4, 3]);
        expect(first.nextCursor).not.toBeNull();
        const second = await store().listAudit({ targetId, limit: 2, cursor: first.nextCursor ?? undefined });
        expect(second.entries.map((found) => found.details.index)).toEqual([2, 1]);
        const third = await store().listAudit({ targetId, limit: 2, cursor: second.nextCursor ?? undefined });
        expect(third.entries.map((found) => found.details.index)).toEqual([0]);
        expect(third.nextCursor).toBeNull();

        expect((await store().listAudit({ targetId, action: 'token.create', limit: 100 })).entries.map((found) => found.details.index)).toEqual([3, 1]);
        expect((await store().listAudit({ targetId, action: 'user.*', limit: 100 })).entries.map((found) => found.details.index)).toEqual([4, 2, 0]);
        expect((await store().listAudit({ actor: actorName, limit: 100 })).entries).toHaveLength(5);
        expect((await store().listAudit({ actor: `id-${actorName}`, limit: 100 })).entries).toHaveLength(5);
        expect((await store().listAudit({ targetId, targetType: 'script', limit: 100 })).entries).toEqual([]);

        const at = Date.parse(all.entries[0].at);
        expect((await store().listAudit({ targetId, from: new Date(at - 60_000).toISOString(), limit: 100 })).entries).toHaveLength(5);
        expect((await store().listAudit({ targetId, from: new Date(at + 60_000).toISOString(), limit: 100 })).entries).toHaveLength(0);
        expect((await store().listAudit({ targetId, to: new Date(at - 60_000).toISOString(), limit: 100 })).entries).toHaveLength(0);
      });
    });
  });
}
