/** The store contract for saved posts, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: saved posts (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('saves posts per user, newest save first, live posts only', async () => {
    const { users: [a, b], channel } = await world(2);
    const p1 = await store.posts.create(newPost(channel.id, a!.id));
    const p2 = await store.posts.create(newPost(channel.id, a!.id));
    const p3 = await store.posts.create(newPost(channel.id, a!.id));
    expect(await store.posts.save(b!.id, p1.id, 10)).toBe(true);
    expect(await store.posts.save(b!.id, p1.id, 11)).toBe(false);
    await store.posts.save(b!.id, p2.id, 20);
    await store.posts.save(b!.id, p3.id, 30);
    await store.posts.save(a!.id, p3.id, 30);
    await store.posts.softDelete(p3.id, 1);
    expect((await store.posts.listSaved(b!.id, 0, 10)).map((p) => p.id)).toEqual([p2.id, p1.id]);
    expect((await store.posts.listSaved(b!.id, 1, 10)).map((p) => p.id)).toEqual([p1.id]);
    expect(await store.posts.unsave(b!.id, p2.id)).toBe(true);
    expect(await store.posts.unsave(b!.id, p2.id)).toBe(false);
    expect((await store.posts.listSaved(b!.id, 0, 10)).map((p) => p.id)).toEqual([p1.id]);
  });
});
