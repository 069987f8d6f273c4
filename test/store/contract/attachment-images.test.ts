/** The store contract for attachment images, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import type { AttachmentImage } from '../../../src/domain/entities.js';
import { STORES } from '../../helpers/app.js';
import { newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

const row = (postId: string, index: number, kind: 'image' | 'thumb', overrides: Partial<AttachmentImage> = {}): AttachmentImage => ({
  post_id: postId, attachment_index: index, kind, image_key: `previews/${postId}-${index}-${kind}`, width: 600, height: 315, created_at: 1_700_000_000_000, ...overrides,
});

describe.each(STORES)('store contract: attachment images (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('writes a post\'s rows once, all or none, and lists them by post, attachment and kind', async () => {
    const { users: [a], channel } = await world(1);
    const [p1, p2] = [await store.posts.create(newPost(channel.id, a!.id)), await store.posts.create(newPost(channel.id, a!.id))];
    expect(await store.attachmentImages.forPosts([p1.id])).toEqual([]);
    expect(await store.attachmentImages.add([])).toBe(false);
    expect(await store.transaction((tx) => tx.attachmentImages.add([row(p1.id, 2, 'thumb'), row(p1.id, 0, 'image'), row(p1.id, 2, 'image')]))).toBe(true);
    expect(await store.attachmentImages.forPosts([p1.id, p2.id])).toEqual([row(p1.id, 0, 'image'), row(p1.id, 2, 'image'), row(p1.id, 2, 'thumb')]);
    // A second write for the same post changes nothing, even for an attachment it did not have.
    expect(await store.attachmentImages.add([row(p1.id, 1, 'image'), row(p1.id, 0, 'image', { width: 1 })])).toBe(false);
    expect(await store.attachmentImages.forPosts([p1.id])).toHaveLength(3);
    expect((await store.attachmentImages.forPosts([p1.id]))[0]!.width).toBe(600);
    // Two rows may share one stored image (the same URL twice).
    expect(await store.attachmentImages.add([row(p2.id, 0, 'image', { image_key: 'previews/shared' }), row(p2.id, 0, 'thumb', { image_key: 'previews/shared' })])).toBe(true);
    expect(await store.attachmentImages.forPosts([])).toEqual([]);
  });

  it('deletes by post (handing the rows back) and lists every key for files check', async () => {
    const { users: [a], channel } = await world(1);
    const [p1, p2] = [await store.posts.create(newPost(channel.id, a!.id)), await store.posts.create(newPost(channel.id, a!.id))];
    await store.attachmentImages.add([row(p1.id, 0, 'image'), row(p1.id, 0, 'thumb')]);
    await store.attachmentImages.add([row(p2.id, 3, 'image')]);
    const keys: string[] = [];
    for await (const k of store.attachmentImages.allImageKeys()) keys.push(k);
    expect(keys).toEqual(expect.arrayContaining([row(p1.id, 0, 'image').image_key, row(p1.id, 0, 'thumb').image_key, row(p2.id, 3, 'image').image_key]));
    const gone = await store.transaction((tx) => tx.attachmentImages.deleteForPosts([p1.id]));
    expect(gone.map((r) => `${r.attachment_index}.${r.kind}`).sort()).toEqual(['0.image', '0.thumb']);
    expect(gone[0]).toMatchObject({ post_id: p1.id, width: 600, height: 315, created_at: 1_700_000_000_000 });
    expect(await store.attachmentImages.forPosts([p1.id])).toEqual([]);
    expect(await store.attachmentImages.forPosts([p2.id])).toEqual([row(p2.id, 3, 'image')]);
    expect(await store.attachmentImages.deleteForPosts([])).toEqual([]);
    // Deleted rows can be written again (a post is never re-fetched, but nothing forbids it).
    expect(await store.attachmentImages.add([row(p1.id, 0, 'image')])).toBe(true);
  });

  it('pages through many keys', async () => {
    const { users: [a], channel } = await world(1);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    const others: { id: string }[] = [];
    const many = Array.from({ length: 20 }, (_, i) => [row(p.id, i, 'image'), row(p.id, i, 'thumb')]).flat();
    await store.attachmentImages.add(many);
    // 500 rows a page: more than one page across a few posts.
    for (let n = 0; n < 13; n++) {
      const q = await store.posts.create(newPost(channel.id, a!.id));
      others.push(q);
      await store.attachmentImages.add(Array.from({ length: 20 }, (_, i) => [row(q.id, i, 'image'), row(q.id, i, 'thumb')]).flat());
    }
    const keys = new Set<string>();
    for await (const k of store.attachmentImages.allImageKeys()) keys.add(k);
    for (const r of many) expect(keys.has(r.image_key)).toBe(true);
    for (const q of others) expect(keys.has(row(q.id, 19, 'thumb').image_key)).toBe(true);
  });
});
