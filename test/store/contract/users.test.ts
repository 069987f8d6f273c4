/** The store contract for users, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newUser } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: users (%s)', (kind) => {
  const { store, user } = contract(kind);

  it('creates and reads back exactly what was written', async () => {
    const input = newUser({ display_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', password_hash: '$argon2id$x', is_bot: 0, email_verified: 1, timezone: 'Europe/London' });
    const created = await store.users.create(input);
    expect(created).toEqual({ ...input, status_expires_at: null, deactivated_at: null });
    expect(await store.users.get(input.id)).toEqual({ ...input, status_expires_at: null, deactivated_at: null });
    expect(await store.users.get(randomUUID())).toBeUndefined();
  });

  it('refuses a taken username or e-mail with a UniqueViolation naming the column', async () => {
    const a = await user();
    const dupName = store.users.create(newUser({ username: a.username, email: `other-${a.email}` }));
    await expect(dupName).rejects.toBeInstanceOf(UniqueViolation);
    await expect(dupName).rejects.toMatchObject({ constraint: expect.stringContaining('username') });
    const dupEmail = store.users.create(newUser({ email: a.email }));
    await expect(dupEmail).rejects.toMatchObject({ constraint: expect.stringContaining('email') });
  });

  it('finds a user by e-mail or username, trimmed and case-insensitively', async () => {
    const a = await user();
    expect((await store.users.getByLogin(a.email))?.id).toBe(a.id);
    expect((await store.users.getByLogin(`  ${a.email.toUpperCase()} `))?.id).toBe(a.id);
    expect((await store.users.getByLogin(a.username.toUpperCase()))?.id).toBe(a.id);
    expect(await store.users.getByLogin('nobody@example.com')).toBeUndefined();
  });

  it('reads many by id and by username, ignoring unknown and repeated ones', async () => {
    const a = await user();
    const b = await user();
    expect((await store.users.getMany([a.id, b.id, a.id, randomUUID()])).map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
    expect(await store.users.getMany([])).toEqual([]);
    expect((await store.users.getByUsernames([b.username, 'ghost', b.username])).map((u) => u.id)).toEqual([b.id]);
    expect(await store.users.getByUsernames([])).toEqual([]);
  });

  it('updates profile fields, password hash, role and deactivation', async () => {
    const a = await user();
    const updated = await store.users.update(a.id, { display_name: 'New', nickname: 'nick' }, 99_999);
    expect(updated).toMatchObject({ display_name: 'New', nickname: 'nick', updated_at: 99_999, username: a.username });
    expect(await store.users.update(randomUUID(), { display_name: 'x' }, 1)).toBeUndefined();
    await store.users.setPasswordHash(a.id, 'hash2', 100_000);
    await store.users.setRole(a.id, 'system_admin', 100_001);
    await store.users.setDeactivated(a.id, 100_002, 100_002);
    expect(await store.users.get(a.id)).toMatchObject({ password_hash: 'hash2', role: 'system_admin', deactivated_at: 100_002, updated_at: 100_002 });
    await store.users.setDeactivated(a.id, null, 100_003);
    expect((await store.users.get(a.id))?.deactivated_at).toBeNull();
  });

  it('refuses an update to a taken e-mail', async () => {
    const a = await user();
    const b = await user();
    await expect(store.users.update(b.id, { email: a.email }, 1)).rejects.toBeInstanceOf(UniqueViolation);
    expect((await store.users.get(b.id))?.email).toBe(b.email);
  });

  it('searches usernames and names case-insensitively (Unicode too), escaping LIKE wildcards', async () => {
    const tag = `s${randomUUID().slice(0, 6)}`;
    const emile = await user({ username: `${tag}-emile`, display_name: 'Émile Zola' });
    const grace = await user({ username: `${tag}-grace`, first_name: 'Grace', last_name: 'Hopper' });
    const pct = await user({ username: `${tag}-pct`, nickname: '100%_sure' });
    const gone = await user({ username: `${tag}-gone` });
    await store.users.setDeactivated(gone.id, 5, 5);
    const ids = async (q: string, includeInactive = false) => (await store.users.search({ q, offset: 0, limit: 50, includeInactive })).map((u) => u.id);
    expect(await ids(tag)).toEqual([emile.id, grace.id, pct.id]);
    expect(await ids(tag, true)).toEqual([emile.id, gone.id, grace.id, pct.id]);
    expect(await ids('ÉMILE')).toEqual([emile.id]);
    expect(await ids('émile zo')).toEqual([emile.id]);
    expect(await ids('grace hop')).toEqual([grace.id]);
    expect(await ids('100%_')).toEqual([pct.id]);
    expect(await ids('%')).toEqual([pct.id]);
    expect(await ids('_')).toContain(pct.id);
    expect(await ids('zzz-no-such-user')).toEqual([]);
    // Paging walks the same order.
    const page1 = await store.users.search({ q: tag, offset: 0, limit: 2 });
    const page2 = await store.users.search({ q: tag, offset: 2, limit: 2 });
    expect([...page1, ...page2].map((u) => u.id)).toEqual([emile.id, grace.id, pct.id]);
  });

  it('orders search results by username in byte order whatever the database collation', async () => {
    const tag = `o${randomUUID().slice(0, 6)}`;
    const names = [`${tag}-b`, `${tag}.a`, `${tag}_c`, `${tag}a`, `${tag}0`];
    for (const n of names) await user({ username: n });
    const got = (await store.users.search({ q: tag, offset: 0, limit: 10 })).map((u) => u.username);
    expect(got).toEqual([...names].sort());
  });

  it('counts users', async () => {
    const before = await store.users.count();
    await user();
    expect(await store.users.count()).toBe(before + 1);
  });
});
