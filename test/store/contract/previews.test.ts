/** The store contract for link previews, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import type { PostPreview } from '../../../src/domain/entities.js';
import { STORES } from '../../helpers/app.js';
import { newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

const preview = (postId: string, overrides: Partial<PostPreview> = {}): PostPreview => ({
  post_id: postId, url: 'https://example.com/a', title: 'A title', description: 'Words ✓', site_name: 'Example', image_key: `previews/${postId}`,
  image_width: 600, image_height: 315, dismissed: 0, created_at: 1_700_000_000_000, ...overrides,
});

describe.each(STORES)('store contract: link previews (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('keeps one row per post: put replaces and hands back what it replaced', async () => {
    const { users: [a], channel } = await world(1);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    expect(await store.previews.get(p.id)).toBeUndefined();
    expect(await store.previews.put(preview(p.id))).toBeUndefined();
    expect(await store.previews.get(p.id)).toEqual(preview(p.id));
    const replaced = await store.transaction((tx) => tx.previews.put(preview(p.id, { url: 'https://example.com/b', title: null, image_key: null, image_width: null, image_height: null })));
    expect(replaced).toEqual(preview(p.id));
    expect((await store.previews.get(p.id))?.url).toBe('https://example.com/b');
    expect((await store.previews.get(p.id))?.image_key).toBeNull();
  });

  it('lists only shown (not dismissed) rows of the posts asked for, and deletes by post', async () => {
    const { users: [a], channel } = await world(1);
    const [p1, p2, p3] = [await store.posts.create(newPost(channel.id, a!.id)), await store.posts.create(newPost(channel.id, a!.id)), await store.posts.create(newPost(channel.id, a!.id))];
    await store.previews.put(preview(p1.id));
    await store.previews.put(preview(p2.id, { dismissed: 1, title: null, description: null, site_name: null, image_key: null, image_width: null, image_height: null }));
    await store.previews.put(preview(p3.id));
    expect((await store.previews.forPosts([p1.id, p2.id])).map((r) => r.post_id)).toEqual([p1.id]);
    expect(await store.previews.forPosts([])).toEqual([]);
    const keys: string[] = [];
    for await (const k of store.previews.allImageKeys()) keys.push(k);
    expect(keys).toEqual(expect.arrayContaining([`previews/${p1.id}`, `previews/${p3.id}`]));
    expect(keys).not.toContain(`previews/${p2.id}`);
    const gone = await store.previews.deleteForPosts([p1.id, p2.id]);
    expect(gone.map((r) => r.post_id).sort()).toEqual([p1.id, p2.id].sort());
    expect(await store.previews.get(p1.id)).toBeUndefined();
    expect(await store.previews.get(p3.id)).toEqual(preview(p3.id));
    expect(await store.previews.deleteForPosts([])).toEqual([]);
  });

  it('concurrent writers of one post\'s row both succeed (the later one wins), never a unique violation', async () => {
    const { users: [a], channel } = await world(1);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    const writes = Array.from({ length: 6 }, (_, i) => store.transaction((tx) => tx.previews.put(preview(p.id, { title: `t${i}` }))));
    await expect(Promise.all(writes)).resolves.toHaveLength(6);
    expect((await store.previews.get(p.id))?.title).toMatch(/^t[0-5]$/);
  });
});
