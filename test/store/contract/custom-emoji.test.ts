/** The store contract for custom emoji, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CustomEmoji } from '../../../src/domain/entities.js';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

const emoji = (name: string, creatorId: string, at = 1000): CustomEmoji => ({
  id: randomUUID(), name, creator_id: creatorId, storage_key: `emoji/2026/01/${randomUUID()}`, created_at: at, deleted_at: null,
});

describe.each(STORES)('store contract: custom emoji (%s)', (kind) => {
  const { store, user } = contract(kind);

  it('creates, finds by id and name, and keeps names unique among live emoji', async () => {
    const u = await user();
    const parrot = emoji('parrot', u.id, 5_000_000_000_000);
    await store.customEmoji.create(parrot);
    expect(await store.customEmoji.get(parrot.id)).toEqual(parrot);
    expect(await store.customEmoji.getByName('parrot')).toEqual(parrot);
    expect(await store.customEmoji.getByName('PARROT')).toBeUndefined();
    await expect(store.customEmoji.create(emoji('parrot', u.id))).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.customEmoji.get(randomUUID())).toBeUndefined();
  });

  it('marks deleted once: gone from every read, and the name is free again', async () => {
    const u = await user();
    const first = emoji('shortlived', u.id);
    await store.customEmoji.create(first);
    const marked = await store.customEmoji.markDeleted(first.id, 2000);
    expect(marked).toEqual({ ...first, deleted_at: 2000 });
    expect(await store.customEmoji.markDeleted(first.id, 3000)).toBeUndefined();
    expect(await store.customEmoji.get(first.id)).toBeUndefined();
    expect(await store.customEmoji.getByName('shortlived')).toBeUndefined();
    expect((await store.customEmoji.list(0, 1000)).map((e) => e.id)).not.toContain(first.id);
    const second = emoji('shortlived', u.id);
    await store.customEmoji.create(second);
    expect((await store.customEmoji.getByName('shortlived'))?.id).toBe(second.id);
  });

  it('counts live emoji, all of them or one creator\'s', async () => {
    const [u, v] = [await user(), await user()];
    const before = await store.customEmoji.countLive();
    const mine = [emoji(`count_a_${u.id.slice(0, 8)}`, u.id), emoji(`count_b_${u.id.slice(0, 8)}`, u.id), emoji(`count_c_${v.id.slice(0, 8)}`, v.id)];
    for (const e of mine) await store.customEmoji.create(e);
    expect(await store.customEmoji.countLive(u.id)).toBe(2);
    expect(await store.customEmoji.countLive(v.id)).toBe(1);
    expect(await store.customEmoji.countLive()).toBe(before + 3);
    await store.customEmoji.markDeleted(mine[0]!.id, 2000);
    expect(await store.customEmoji.countLive(u.id)).toBe(1);
    expect(await store.customEmoji.countLive()).toBe(before + 2);
  });

  it('lists live emoji in byte order of their names, a page at a time', async () => {
    const u = await user();
    for (const name of ['zz_b', 'zz_A'.toLowerCase() + '2', 'zz_+1', 'zz_-x', 'zz_a', 'zz_10', 'zz_9']) await store.customEmoji.create(emoji(name, u.id));
    const all = (await store.customEmoji.list(0, 1000)).map((e) => e.name).filter((n) => n.startsWith('zz_'));
    expect(all).toEqual(['zz_+1', 'zz_-x', 'zz_10', 'zz_9', 'zz_a', 'zz_a2', 'zz_b']);
    const names = (await store.customEmoji.list(0, 1000)).map((e) => e.name);
    const page = (await store.customEmoji.list(2, 3)).map((e) => e.name);
    expect(page).toEqual(names.slice(2, 5));
  });

  it('refuses an emoji whose creator does not exist', async () => {
    await expect(store.customEmoji.create(emoji('orphan', randomUUID()))).rejects.toThrow();
    expect(await store.customEmoji.getByName('orphan')).toBeUndefined();
  });
});
