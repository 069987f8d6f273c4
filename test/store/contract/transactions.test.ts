/** The store contract for transactions, on SQLite and PostgreSQL (see harness.ts). */
import { describe, expect, it } from 'vitest';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newPost, newUser } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: transactions (%s)', (kind) => {
  const { store, world, secondWaitsForFirst } = contract(kind);

  it('reports its dialect and answers ping', async () => {
    expect(store.dialect).toBe(kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('commits everything or nothing', async () => {
    const a = newUser();
    const b = newUser();
    await expect(store.transaction(async (tx) => {
      await tx.users.create(a);
      await tx.users.create({ ...b, username: a.username });
    })).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.users.get(a.id)).toBeUndefined();
    await store.transaction(async (tx) => {
      await tx.users.create(a);
      // A nested transaction joins the outer one.
      await tx.transaction(async (inner) => inner.users.create(b));
    });
    expect(await store.users.get(b.id)).toBeDefined();
  });

  it('rolls back on any error thrown inside', async () => {
    const a = newUser();
    await expect(store.transaction(async (tx) => {
      await tx.users.create(a);
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(await store.users.get(a.id)).toBeUndefined();
  });

  it('write: concurrent single-statement writes all land, a failing one fails alone', async () => {
    const { users: [a, b], channel } = await world(2);
    const post = await store.posts.create(newPost(channel.id, a!.id));
    const results = await Promise.allSettled([
      store.write((tx) => tx.posts.addReaction({ post_id: post.id, user_id: a!.id, emoji_name: 'tada', created_at: 1 })),
      store.write((tx) => tx.users.create({ ...newUser(), username: a!.username })),
      store.write((tx) => tx.posts.addReaction({ post_id: post.id, user_id: b!.id, emoji_name: 'tada', created_at: 2 })),
      store.write((tx) => tx.channels.setLastViewed(channel.id, b!.id, post.seq, 3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(UniqueViolation);
    expect((await store.posts.reactionsFor([post.id])).map((r) => r.user_id).sort()).toEqual([a!.id, b!.id].sort());
    expect((await store.channels.unreads(b!.id, channel.id))[0]?.last_viewed_seq).toBe(post.seq);
  });

  it('orders posts of a channel by commit: a post cannot commit with a lower seq than a visible one', async () => {
    // Readers page with `after=<seq>` and mark read up to the channel's last seq; if a
    // post could commit after a higher-seq post of the same channel became visible, they
    // would skip it for ever. So a second writer waits for the first one's commit.
    const { users: [a, b], channel } = await world(2);
    const { finishedWhileFirstOpen, first: p1, second: p2 } = await secondWaitsForFirst(
      (tx) => tx.posts.create(newPost(channel.id, a!.id)),
      () => store.posts.create(newPost(channel.id, b!.id)),
    );
    expect(finishedWhileFirstOpen).toBe(false);
    expect(p2.seq).toBeGreaterThan(p1.seq);
    expect((await store.channels.get(channel.id))?.last_post_seq).toBe(p2.seq);
  });

  it('memberCounts inside a transaction holds off a second membership check until the first commits', async () => {
    // The last-team-admin rule counts admins and then changes a role; two such changes
    // must not both count before either commits, or a team could lose its last admin.
    const { users: [a, b], team } = await world(2);
    await store.teams.setMemberRole(team.id, b!.id, 'team_admin');
    const { finishedWhileFirstOpen, first: c1, second: c2 } = await secondWaitsForFirst(
      (tx) => tx.teams.memberCounts(team.id),
      () => store.transaction((tx) => tx.teams.memberCounts(team.id)),
      (tx) => tx.teams.setMemberRole(team.id, a!.id, 'member'),
    );
    expect(finishedWhileFirstOpen).toBe(false);
    expect(c1).toEqual({ members: 2, admins: 2 });
    expect(c2).toEqual({ members: 2, admins: 1 });
  });

  it('keeps last_post_seq at the highest seq under concurrent writers', async () => {
    const { users: [a], channel } = await world(1);
    const posts = await Promise.all(Array.from({ length: 12 }, () => store.posts.create(newPost(channel.id, a!.id))));
    const max = Math.max(...posts.map((p) => p.seq));
    expect(new Set(posts.map((p) => p.seq)).size).toBe(12);
    expect((await store.channels.get(channel.id))?.last_post_seq).toBe(max);
  });
});
