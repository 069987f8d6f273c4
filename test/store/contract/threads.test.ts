/** The store contract for followed threads (collapsed reply threads), on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { newPost } from '../../helpers/store.js';
import type { Store } from '../../../src/store/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: threads (%s)', (kind) => {
  const { store, world } = contract(kind);

  /** A reply as PostService writes one: the post, its mentions, the root's counters, then the followers' counts. */
  async function reply(s: Store, root: { id: string; channel_id: string }, userId: string, at: number, mentioned: string[] = [], mentionAll = false) {
    return s.transaction(async (tx) => {
      const p = await tx.posts.create(newPost(root.channel_id, userId, { root_post_id: root.id, created_at: at, mention_all: mentionAll ? 1 : 0 }));
      if (mentioned.length > 0) await tx.posts.replaceMentions(p.id, root.channel_id, p.seq, mentioned);
      await tx.posts.touchThread(root.id, 1, at, userId);
      await tx.threads.replied(root.id, p, mentioned, mentionAll);
      return p;
    });
  }

  it('counts unread replies and mentions for followers, not for the author, and clears them on read', async () => {
    const { users: [a, b, c], channel } = await world(3);
    const root = await store.posts.create(newPost(channel.id, a!.id, { created_at: 100 }));
    expect(await store.threads.get(a!.id, root.id)).toBeUndefined();
    const r1 = await reply(store, root, b!.id, 110);
    // The replier follows and has read their own reply; the root's author follows once it has a reply.
    expect(await store.threads.follow(root.id, channel.id, [b!.id], 110, 'always')).toEqual([b!.id]);
    await store.threads.markRead(b!.id, root.id, channel.id, 110, r1.seq);
    expect(await store.threads.follow(root.id, channel.id, [a!.id], 110, 'if_new')).toEqual([a!.id]);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ following: 1, unread_replies: 1, unread_mentions: 0, updated_at: 110, channel_id: channel.id });
    expect(await store.threads.get(b!.id, root.id)).toMatchObject({ following: 1, unread_replies: 0, last_viewed_seq: r1.seq });
    // Again: nothing changes for someone who already follows.
    expect(await store.threads.follow(root.id, channel.id, [a!.id, b!.id], 111, 'always')).toEqual([]);

    await reply(store, root, b!.id, 120, [a!.id]);
    await reply(store, root, c!.id, 130);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ unread_replies: 3, unread_mentions: 1, updated_at: 130 });
    // b wrote the second reply (their own never counts): only c's is unread for them.
    expect(await store.threads.get(b!.id, root.id)).toMatchObject({ unread_replies: 1, unread_mentions: 0 });
    // A recount from the posts agrees with the running counts.
    await store.threads.recount(root.id);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ unread_replies: 3, unread_mentions: 1 });
    expect(await store.threads.get(b!.id, root.id)).toMatchObject({ unread_replies: 1, unread_mentions: 0 });

    const read = await store.threads.markRead(a!.id, root.id, channel.id, 140);
    expect(read).toMatchObject({ unread_replies: 0, unread_mentions: 0, last_viewed_at: 140, following: 1 });
    expect((await store.posts.get(root.id))!).toMatchObject({ reply_count: 3, last_reply_at: 130, reply_participants: JSON.stringify([c!.id, b!.id]) });
    // @all counts as a mention for every follower but its author.
    await reply(store, root, c!.id, 150, [], true);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ unread_replies: 1, unread_mentions: 1 });
    expect(await store.threads.get(b!.id, root.id)).toMatchObject({ unread_replies: 2, unread_mentions: 1 });
  });

  it('unfollowing stops the counts; following again counts from the read position; if_new never overrides an unfollow', async () => {
    const { users: [a, b], channel } = await world(2);
    const root = await store.posts.create(newPost(channel.id, a!.id, { created_at: 200 }));
    expect(await store.threads.setFollowing(a!.id, root.id, channel.id, true, 200)).toBe(true);
    expect(await store.threads.setFollowing(a!.id, root.id, channel.id, true, 200)).toBe(false);
    await reply(store, root, b!.id, 210);
    expect((await store.threads.get(a!.id, root.id))!.unread_replies).toBe(1);
    expect(await store.threads.setFollowing(a!.id, root.id, channel.id, false, 220)).toBe(true);
    await reply(store, root, b!.id, 230);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ following: 0, unread_replies: 1 });
    expect(await store.threads.follow(root.id, channel.id, [a!.id], 231, 'if_new')).toEqual([]);
    expect((await store.threads.followers(root.id)).map((m) => m.user_id)).toEqual([]);
    expect(await store.threads.setFollowing(a!.id, root.id, channel.id, true, 240)).toBe(true);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ following: 1, unread_replies: 2 });
    expect((await store.threads.followers(root.id)).map((m) => m.user_id)).toEqual([a!.id]);
    // Marking read a thread one does not follow keeps it unfollowed.
    const other = await store.posts.create(newPost(channel.id, a!.id, { created_at: 250 }));
    expect(await store.threads.markRead(b!.id, other.id, channel.id, 260)).toMatchObject({ following: 0, last_viewed_seq: other.seq, unread_replies: 0 });
  });

  it('a deleted reply leaves the counts, the participants and the reply count', async () => {
    const { users: [a, b, c], channel } = await world(3);
    const root = await store.posts.create(newPost(channel.id, a!.id, { created_at: 300 }));
    await store.threads.setFollowing(a!.id, root.id, channel.id, true, 300);
    await reply(store, root, b!.id, 310);
    const r2 = await reply(store, root, c!.id, 320, [a!.id]);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ unread_replies: 2, unread_mentions: 1 });
    await store.posts.softDelete(r2.id, 330);
    await store.posts.touchThread(root.id, -1, null);
    await store.threads.recount(root.id);
    expect(await store.threads.get(a!.id, root.id)).toMatchObject({ unread_replies: 1, unread_mentions: 0 });
    expect((await store.posts.get(root.id))!).toMatchObject({ reply_count: 1, last_reply_at: 310, reply_participants: JSON.stringify([b!.id]) });
  });

  it('lists followed threads with live roots in the given channels, newest activity first, paged; totals per channel', async () => {
    const { users: [a, b], channel, team } = await world(2);
    const roots = [];
    for (let i = 0; i < 4; i++) {
      const root = await store.posts.create(newPost(channel.id, a!.id, { created_at: 400 + i }));
      await store.threads.setFollowing(a!.id, root.id, channel.id, true, 400 + i);
      roots.push(root);
    }
    // Activity in the oldest thread brings it to the top; the same time for two threads is ordered by root (newest first).
    await reply(store, roots[0]!, b!.id, 500, [a!.id]);
    await reply(store, roots[2]!, b!.id, 500);
    await store.posts.softDelete(roots[3]!.id, 510);
    const all = await store.threads.list(a!.id, { channelIds: [channel.id], limit: 10 });
    expect(all.map((m) => m.root_id)).toEqual([roots[2]!.id, roots[0]!.id, roots[1]!.id]);
    const first = await store.threads.list(a!.id, { channelIds: [channel.id], limit: 2 });
    expect(first.map((m) => m.root_id)).toEqual([roots[2]!.id, roots[0]!.id]);
    const rest = await store.threads.list(a!.id, { channelIds: [channel.id], limit: 2, before: { updated_at: first[1]!.updated_at, root_seq: roots[0]!.seq } });
    expect(rest.map((m) => m.root_id)).toEqual([roots[1]!.id]);
    expect((await store.threads.list(a!.id, { channelIds: [channel.id], limit: 10, unreadOnly: true })).map((m) => m.root_id)).toEqual([roots[2]!.id, roots[0]!.id]);
    expect(await store.threads.list(a!.id, { channelIds: [], limit: 10 })).toEqual([]);
    expect(await store.threads.totals(a!.id)).toEqual([{ channel_id: channel.id, team_id: team.id, threads: 3, unread_threads: 2, unread_mentions: 1 }]);
    expect(await store.threads.totals(b!.id)).toEqual([]);
  });

  it('tells whom a post mentions', async () => {
    const { users: [a, b, c], channel } = await world(3);
    const p = await store.posts.create(newPost(channel.id, a!.id));
    expect(await store.posts.mentionedBy(p.id)).toEqual([]);
    await store.posts.replaceMentions(p.id, channel.id, p.seq, [c!.id, b!.id]);
    expect(await store.posts.mentionedBy(p.id)).toEqual([b!.id, c!.id].sort());
  });

  it('keeps the collapsed-threads preference per user', async () => {
    const { users: [a, b] } = await world(2);
    expect(await store.threads.collapsed(a!.id)).toBeUndefined();
    await store.threads.setCollapsed(a!.id, false, 1);
    expect(await store.threads.collapsed(a!.id)).toBe(false);
    await store.threads.setCollapsed(a!.id, true, 2);
    expect(await store.threads.collapsed(a!.id)).toBe(true);
    expect(await store.threads.collapsed(b!.id)).toBeUndefined();
  });

  it('lists channel posts without replies when asked', async () => {
    const { users: [a, b], channel } = await world(2);
    const root = await store.posts.create(newPost(channel.id, a!.id));
    const r = await reply(store, root, b!.id, 600);
    expect((await store.posts.listChannel(channel.id, { limit: 10 })).posts.map((p) => p.id)).toEqual([r.id, root.id]);
    expect((await store.posts.listChannel(channel.id, { limit: 10, rootsOnly: true })).posts.map((p) => p.id)).toEqual([root.id]);
  });
});

describe.each(STORES)('store contract: channel unreads with collapsed threads (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('rootsOnly leaves replies (and their mentions) out of the channel counts', async () => {
    const { users: [a, b], channel } = await world(2);
    const root = await store.posts.create(newPost(channel.id, a!.id));
    await store.channels.setLastViewed(channel.id, b!.id, root.seq, 1);
    const r1 = await store.posts.create(newPost(channel.id, a!.id, { root_post_id: root.id }));
    await store.posts.replaceMentions(r1.id, channel.id, r1.seq, [b!.id]);
    await store.posts.create(newPost(channel.id, a!.id, { root_post_id: root.id, mention_all: 1 }));
    const other = await store.posts.create(newPost(channel.id, a!.id));
    await store.posts.replaceMentions(other.id, channel.id, other.seq, [b!.id]);
    expect((await store.channels.unreads(b!.id, channel.id))[0]).toMatchObject({ unread_count: 3, mention_count: 3 });
    expect((await store.channels.unreads(b!.id, channel.id, { rootsOnly: true }))[0]).toMatchObject({ unread_count: 1, mention_count: 1 });
    expect((await store.channels.unreads(b!.id, undefined, { rootsOnly: true })).find((r) => r.channel_id === channel.id)).toMatchObject({ unread_count: 1, mention_count: 1 });
  });
});
