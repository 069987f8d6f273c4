/** The store contract for posts, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotFound, UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newChannel, newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: posts (%s)', (kind) => {
  const { store, t, world } = contract(kind);

  it('gives each post a global, increasing seq and moves the channel\'s last post', async () => {
    const { users: [a], channel, team } = await world(1);
    const other = newChannel(a!.id, team.id);
    await store.channels.create(other);
    const p1 = await store.posts.create(newPost(channel.id, a!.id, { created_at: 123 }));
    const p2 = await store.posts.create(newPost(other.id, a!.id));
    const p3 = await store.posts.create(newPost(channel.id, a!.id, { created_at: 456 }));
    expect(p1.seq).toBeGreaterThan(0);
    expect(p2.seq).toBeGreaterThan(p1.seq);
    expect(p3.seq).toBeGreaterThan(p2.seq);
    expect(await store.channels.get(channel.id)).toMatchObject({ last_post_seq: p3.seq, last_post_at: 456 });
    expect(await store.posts.get(p1.id)).toEqual(p1);
    expect(await store.posts.get(randomUUID())).toBeUndefined();
    expect((await store.posts.getMany([p1.id, p3.id, p1.id])).map((p) => p.id).sort()).toEqual([p1.id, p3.id].sort());
    expect(await store.posts.getMany([])).toEqual([]);
  });

  it('refuses a post into a channel that does not exist with the store\'s own NotFound, in and out of a transaction', async () => {
    // A channel deleted between the service's access check and the insert looks like this.
    const { users: [a] } = await world(1);
    const orphan = newPost(randomUUID(), a!.id);
    await expect(store.posts.create(orphan)).rejects.toMatchObject({ name: 'NotFound', entity: 'channel' });
    await expect(store.write((tx) => tx.posts.create(newPost(randomUUID(), a!.id), { readBy: a!.id }))).rejects.toBeInstanceOf(NotFound);
    await expect(store.transaction((tx) => tx.posts.create(newPost(randomUUID(), a!.id)))).rejects.toBeInstanceOf(NotFound);
    expect(await store.posts.get(orphan.id)).toBeUndefined();
  });

  it('makes client_msg_id unique per user, not globally', async () => {
    const { users: [a, b], channel } = await world(2);
    const p = await store.posts.create(newPost(channel.id, a!.id, { client_msg_id: 'abc' }));
    await expect(store.posts.create(newPost(channel.id, a!.id, { client_msg_id: 'abc' }))).rejects.toBeInstanceOf(UniqueViolation);
    await expect(store.posts.create(newPost(channel.id, b!.id, { client_msg_id: 'abc' }))).resolves.toBeDefined();
    await expect(store.posts.create(newPost(channel.id, a!.id))).resolves.toBeDefined();
    await expect(store.posts.create(newPost(channel.id, a!.id))).resolves.toBeDefined();
    expect(await store.posts.getByClientMsgId(a!.id, 'abc')).toEqual(p);
    expect(await store.posts.getByClientMsgId(a!.id, 'nope')).toBeUndefined();
  });

  it('edits live posts only', async () => {
    const { users: [a], channel } = await world(1);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    expect(await store.posts.updateMessage(p.id, 'edited', true, 5_000)).toEqual({ ...p, message: 'edited', mention_all: 1, edited_at: 5_000 });
    await store.posts.softDelete(p.id, 6_000);
    expect((await store.posts.updateMessage(p.id, 'again', false, 7_000))?.message).toBe('edited');
  });

  it('soft-deletes a root with its replies and their mentions and pins', async () => {
    const { users: [a, b], channel } = await world(2);
    const root = await store.posts.create(newPost(channel.id, a!.id, { is_pinned: 1 }));
    const r1 = await store.posts.create(newPost(channel.id, b!.id, { root_post_id: root.id }));
    await store.posts.replaceMentions(r1.id, channel.id, r1.seq, [a!.id]);
    const unrelated = await store.posts.create(newPost(channel.id, b!.id));
    expect((await store.posts.softDelete(root.id, 9)).sort()).toEqual([root.id, r1.id].sort());
    expect(await store.posts.softDelete(root.id, 10)).toEqual([]);
    expect(await store.posts.get(root.id)).toMatchObject({ deleted_at: 9, is_pinned: 0 });
    expect((await store.posts.get(r1.id))?.deleted_at).toBe(9);
    expect((await store.posts.get(unrelated.id))?.deleted_at).toBeNull();
    expect(await t.query('SELECT * FROM post_mentions WHERE post_id = ?', [r1.id])).toEqual([]);
  });

  it('keeps thread counters: bump on reply, recount on removal', async () => {
    const { users: [a], channel } = await world(1);
    const root = await store.posts.create(newPost(channel.id, a!.id));
    const r1 = await store.posts.create(newPost(channel.id, a!.id, { root_post_id: root.id, created_at: 10 }));
    await store.posts.touchThread(root.id, 1, 10);
    const r2 = await store.posts.create(newPost(channel.id, a!.id, { root_post_id: root.id, created_at: 20 }));
    await store.posts.touchThread(root.id, 1, 20);
    expect(await store.posts.get(root.id)).toMatchObject({ reply_count: 2, last_reply_at: 20 });
    await store.posts.softDelete(r2.id, 30);
    await store.posts.touchThread(root.id, -1, null);
    expect(await store.posts.get(root.id)).toMatchObject({ reply_count: 1, last_reply_at: 10 });
    await store.posts.softDelete(r1.id, 40);
    await store.posts.touchThread(root.id, -1, null);
    expect(await store.posts.get(root.id)).toMatchObject({ reply_count: 0, last_reply_at: null });
  });

  it('pins live posts only', async () => {
    const { users: [a], channel } = await world(1);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    expect((await store.posts.setPinned(p.id, true))?.is_pinned).toBe(1);
    expect((await store.posts.setPinned(p.id, false))?.is_pinned).toBe(0);
    await store.posts.softDelete(p.id, 1);
    expect((await store.posts.setPinned(p.id, true))?.is_pinned).toBe(0);
    expect(await store.posts.setPinned(randomUUID(), true)).toBeUndefined();
  });

  it('pages a channel newest first, with before/after cursors, and skips deleted posts', async () => {
    const { users: [a], channel } = await world(1);
    const ps = [];
    for (let i = 0; i < 7; i++) ps.push(await store.posts.create(newPost(channel.id, a!.id, { is_pinned: i % 3 === 0 ? 1 : 0 })));
    await store.posts.softDelete(ps[5]!.id, 1);
    const seqs = (page: { posts: { seq: number }[] }) => page.posts.map((p) => p.seq);
    const s = ps.map((p) => p.seq);
    expect(await store.posts.listChannel(channel.id, { limit: 3 }).then(seqs)).toEqual([s[6], s[4], s[3]]);
    expect((await store.posts.listChannel(channel.id, { limit: 3 })).hasMore).toBe(true);
    expect(await store.posts.listChannel(channel.id, { limit: 3, before: s[3] }).then(seqs)).toEqual([s[2], s[1], s[0]]);
    expect((await store.posts.listChannel(channel.id, { limit: 3, before: s[3] })).hasMore).toBe(false);
    // `after` alone walks forwards from the cursor but still answers newest first.
    expect(await store.posts.listChannel(channel.id, { limit: 2, after: s[0] }).then(seqs)).toEqual([s[2], s[1]]);
    expect((await store.posts.listChannel(channel.id, { limit: 2, after: s[0] })).hasMore).toBe(true);
    expect(await store.posts.listChannel(channel.id, { limit: 10, after: s[1], before: s[6] }).then(seqs)).toEqual([s[4], s[3], s[2]]);
    expect(await store.posts.listChannel(channel.id, { limit: 10, pinnedOnly: true }).then(seqs)).toEqual([s[6], s[3], s[0]]);
    expect(await store.posts.listChannel(randomUUID(), { limit: 10 })).toEqual({ posts: [], hasMore: false });
  });

  it('pages a thread oldest first after a cursor', async () => {
    const { users: [a], channel } = await world(1);
    const root = await store.posts.create(newPost(channel.id, a!.id));
    const replies = [];
    for (let i = 0; i < 5; i++) replies.push(await store.posts.create(newPost(channel.id, a!.id, { root_post_id: root.id })));
    await store.posts.softDelete(replies[2]!.id, 1);
    const page1 = await store.posts.listThread(root.id, 0, 2);
    expect(page1.posts.map((p) => p.id)).toEqual([replies[0]!.id, replies[1]!.id]);
    expect(page1.hasMore).toBe(true);
    const page2 = await store.posts.listThread(root.id, replies[1]!.seq, 2);
    expect(page2.posts.map((p) => p.id)).toEqual([replies[3]!.id, replies[4]!.id]);
    expect(page2.hasMore).toBe(false);
  });

  it('replaces a post\'s mentions', async () => {
    const { users: [a, b, c], channel } = await world(3);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    await store.posts.replaceMentions(p.id, channel.id, p.seq, [b!.id, b!.id, c!.id]);
    expect((await t.query<{ user_id: string }>('SELECT user_id FROM post_mentions WHERE post_id = ?', [p.id])).map((r) => r.user_id).sort()).toEqual([b!.id, c!.id].sort());
    await store.posts.replaceMentions(p.id, channel.id, p.seq, [c!.id]);
    expect((await t.query<{ user_id: string }>('SELECT user_id FROM post_mentions WHERE post_id = ?', [p.id])).map((r) => r.user_id)).toEqual([c!.id]);
    await store.posts.replaceMentions(p.id, channel.id, p.seq, []);
    expect(await t.query('SELECT user_id FROM post_mentions WHERE post_id = ?', [p.id])).toEqual([]);
  });

  it('finds the newest live post before a seq', async () => {
    const { users: [a], channel } = await world(1);
    const p1 = await store.posts.create(newPost(channel.id, a!.id));
    const p2 = await store.posts.create(newPost(channel.id, a!.id));
    const p3 = await store.posts.create(newPost(channel.id, a!.id));
    expect(await store.posts.seqBefore(channel.id, p3.seq)).toBe(p2.seq);
    await store.posts.softDelete(p2.id, 1);
    expect(await store.posts.seqBefore(channel.id, p3.seq)).toBe(p1.seq);
    expect(await store.posts.seqBefore(channel.id, p1.seq)).toBe(0);
  });
});
