/** The store contract for read pointers and unreads, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STORES } from '../../helpers/app.js';
import { newChannel, newPost } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: read pointers and unreads (%s)', (kind) => {
  const { store, world } = contract(kind);

  it('moves the read pointer forwards only, unless asked to go back', async () => {
    const { users: [, b], channel } = await world(2);
    await store.channels.setLastViewed(channel.id, b!.id, 10, 100);
    await store.channels.setLastViewed(channel.id, b!.id, 5, 200);
    expect(await store.channels.getMember(channel.id, b!.id)).toMatchObject({ last_viewed_seq: 10, last_viewed_at: 100 });
    await store.channels.setLastViewed(channel.id, b!.id, 5, 300, true);
    expect(await store.channels.getMember(channel.id, b!.id)).toMatchObject({ last_viewed_seq: 5, last_viewed_at: 300 });
  });

  it('counts unreads and mentions: others\' live posts after my read pointer', async () => {
    const { users: [a, b, c], channel } = await world(3);
    await store.posts.create(newPost(channel.id, a!.id));
    const mark = await store.posts.create(newPost(channel.id, a!.id));
    await store.channels.setLastViewed(channel.id, b!.id, mark.seq, 1);
    const mine = await store.posts.create(newPost(channel.id, b!.id, { mention_all: 1 }));
    const mentioning = await store.posts.create(newPost(channel.id, a!.id));
    await store.posts.replaceMentions(mentioning.id, channel.id, mentioning.seq, [b!.id, c!.id]);
    const all = await store.posts.create(newPost(channel.id, c!.id, { mention_all: 1 }));
    const deleted = await store.posts.create(newPost(channel.id, c!.id, { mention_all: 1 }));
    await store.posts.replaceMentions(deleted.id, channel.id, deleted.seq, [b!.id]);
    await store.posts.softDelete(deleted.id, 1);
    const [row] = await store.channels.unreads(b!.id, channel.id);
    expect(row).toEqual({
      channel_id: channel.id, team_id: channel.team_id, last_viewed_seq: mark.seq, last_post_seq: deleted.seq, unread_count: 2, mention_count: 2,
    });
    expect(mine.seq).toBeLessThan(all.seq);
    // c never read anything: every post by others counts; its own @all does not mention itself.
    const [rowC] = await store.channels.unreads(c!.id, channel.id);
    expect(rowC).toMatchObject({ unread_count: 4, mention_count: 2 });
    expect(await store.channels.unreads(b!.id, randomUUID())).toEqual([]);
  });

  it('gives the unread overview of every channel of a user and marks them all read', async () => {
    const { users: [a, b], channel } = await world(2);
    const dm = newChannel(a!.id, null, { type: 'direct', member_key: `D:${randomUUID()}` });
    await store.channels.create(dm);
    for (const u of [a!, b!]) await store.channels.addMember({ channel_id: dm.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    await store.posts.create(newPost(channel.id, a!.id, { created_at: 1 }));
    const last = await store.posts.create(newPost(dm.id, a!.id, { created_at: 2 }));
    const overview = await store.channels.unreads(b!.id);
    // Every unread message of a direct channel is addressed to me: it counts as a mention.
    expect(overview.map((r) => [r.channel_id, r.unread_count, r.mention_count])).toEqual([[dm.id, 1, 1], [channel.id, 1, 0]]);
    expect((await store.channels.markAllRead(b!.id, 77)).sort()).toEqual([dm.id, channel.id].sort());
    expect((await store.channels.unreads(b!.id)).every((r) => r.unread_count === 0 && r.mention_count === 0)).toBe(true);
    expect((await store.channels.getMember(dm.id, b!.id))?.last_viewed_seq).toBe(last.seq);
    expect(await store.channels.markAllRead(b!.id, 78)).toEqual([]);
  });
});
