/**
 * Migration 8 (followed threads) on a database that already has threads, on both dialects:
 * each thread's root author and repliers follow it, read up to its newest reply; roots
 * without replies and deleted ones get no memberships; existing posts get an empty
 * participant list.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { KyselyStore } from '../../src/store/kysely/store.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { STORES } from '../helpers/app.js';
import { newChannel, newPost, newTeam, newUser, useEmptyDatabases } from '../helpers/store.js';

describe.each(STORES)('migration 8: threads (%s)', (kind) => {
  const { open } = useEmptyDatabases(kind);

  it('follows existing threads for their authors and repliers, read up to the newest reply', async () => {
    const db = await open();
    // Every migration but threads (8): a database from before it, with the later columns the
    // current store writes when it makes the fixtures (users.status_expires_at, 11).
    await migrate(db, kind, MIGRATIONS.filter((m) => m.version !== 8));
    const store = new KyselyStore({ dialect: kind, db });
    const [a, b, c] = [await store.users.create(newUser()), await store.users.create(newUser()), await store.users.create(newUser())];
    const team = newTeam(a.id);
    await store.teams.create(team);
    const channel = newChannel(a.id, team.id);
    await store.channels.create(channel);
    const root = await store.posts.create(newPost(channel.id, a.id, { created_at: 100 }));
    await store.posts.create(newPost(channel.id, b.id, { root_post_id: root.id, created_at: 110 }));
    const last = await store.posts.create(newPost(channel.id, c.id, { root_post_id: root.id, created_at: 120 }));
    await sql`UPDATE posts SET reply_count = 2, last_reply_at = 120 WHERE id = ${root.id}`.execute(db);
    const lonely = await store.posts.create(newPost(channel.id, a.id, { created_at: 130 }));
    const gone = await store.posts.create(newPost(channel.id, a.id, { created_at: 140 }));
    await store.posts.create(newPost(channel.id, b.id, { root_post_id: gone.id, created_at: 150 }));
    await sql`UPDATE posts SET reply_count = 1, deleted_at = 160 WHERE id = ${gone.id}`.execute(db);

    const report = await migrate(db, kind);
    expect(report.applied).toContain(8);
    const rows = await db.selectFrom('thread_memberships').selectAll().orderBy('user_id').execute();
    expect(rows.map((r) => r.root_id)).toEqual([root.id, root.id, root.id]);
    expect(rows.map((r) => r.user_id).sort()).toEqual([a.id, b.id, c.id].sort());
    for (const r of rows) {
      expect({ following: Number(r.following), seq: Number(r.last_viewed_seq), unread: Number(r.unread_replies), updated: Number(r.updated_at), channel: r.channel_id })
        .toEqual({ following: 1, seq: last.seq, unread: 0, updated: 120, channel: channel.id });
    }
    expect((await store.threads.followers(lonely.id))).toEqual([]);
    expect((await store.posts.get(root.id))!.reply_participants).toBe('[]');
  });
});
