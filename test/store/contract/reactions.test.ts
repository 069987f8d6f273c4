/** The store contract for reactions, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: reactions (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('adds and removes reactions idempotently, listed in the order they were made', async () => {
    const { users: [a, b], channel } = await world(2);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    const q = await store.posts.create(newPost(channel.id, a!.id));
    const r1 = { post_id: p.id, user_id: b!.id, emoji_name: 'tada', created_at: 5 };
    const r2 = { post_id: p.id, user_id: a!.id, emoji_name: 'tada', created_at: 6 };
    const r3 = { post_id: q.id, user_id: a!.id, emoji_name: '+1', created_at: 1 };
    expect(await store.posts.addReaction(r1)).toBe(true);
    expect(await store.posts.addReaction({ ...r1, created_at: 99 })).toBe(false);
    expect(await store.posts.addReaction(r2)).toBe(true);
    expect(await store.posts.addReaction(r3)).toBe(true);
    expect(await store.posts.reactionsFor([p.id])).toEqual([r1, r2]);
    expect(await store.posts.reactionsFor([p.id, q.id])).toEqual([r3, r1, r2]);
    expect(await store.posts.reactionsFor([])).toEqual([]);
    expect(await store.posts.removeReaction(p.id, b!.id, 'tada')).toBe(true);
    expect(await store.posts.removeReaction(p.id, b!.id, 'tada')).toBe(false);
    expect(await store.posts.reactionsFor([p.id])).toEqual([r2]);
  });
});
