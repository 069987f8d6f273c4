/**
 * Migration 15 on a database that already has indexed posts: on PostgreSQL each index row gets
 * its post's channel (the read scope and the count filter on it), so posts indexed before the
 * migration are still found through the list and subquery scope paths, and only in their own
 * channel's scope. SQLite (FTS5 keeps the channel as a token) only gains the channels index.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { channelReadScope } from '../../src/domain/policy.js';
import { parseSearchQuery, searchDocument } from '../../src/domain/search.js';
import { Search, writeIndex } from '../../src/store/kysely/search.js';
import { KyselyStore } from '../../src/store/kysely/store.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { STORES } from '../helpers/app.js';
import { newChannel, newPost, newTeam, newUser, useEmptyDatabases } from '../helpers/store.js';

describe.each(STORES)('migration 15: search channel (%s)', (kind) => {
  const { open } = useEmptyDatabases(kind);

  it('posts indexed before it are found in their own channel only, on every scope path', async () => {
    const db = await open();
    // A database from before version 15 (later migrations build on it: 18 tunes its column).
    await migrate(db, kind, MIGRATIONS.filter((m) => m.version < 15));
    const store = new KyselyStore({ dialect: kind, db });
    const [a, b] = [await store.users.create(newUser()), await store.users.create(newUser())];
    const team = newTeam(a.id);
    await store.teams.create(team);
    for (const u of [a, b]) await store.teams.addMember({ team_id: team.id, user_id: u.id, role: 'member', created_at: 1 });
    const open1 = newChannel(a.id, team.id, { type: 'private' });
    const other = newChannel(b.id, team.id, { type: 'private' });
    await store.channels.create(open1);
    await store.channels.create(other);
    for (const [c, u] of [[open1, a], [other, b]] as const) await store.channels.addMember({ channel_id: c.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    // Indexed as the store did before migration 15 (no channel column on PostgreSQL).
    const posts = [await store.posts.create(newPost(open1.id, a.id, { message: 'zebra alpha' })), await store.posts.create(newPost(other.id, b.id, { message: 'zebra beta' }))];
    for (const p of posts) {
      const doc = searchDocument(p.message);
      if (kind === 'sqlite') await writeIndex(db, kind, p.seq, p.channel_id, doc);
      else await sql`INSERT INTO post_search (seq, words, stems, tags, chan) VALUES (${p.seq}, to_tsvector('simple', ${doc.words}), to_tsvector('simple', ${doc.stems}), ''::tsvector, ''::tsvector)`.execute(db);
    }

    const report = await migrate(db, kind);
    expect(report.applied).toEqual(MIGRATIONS.map((m) => m.version).filter((v) => v >= 15).sort((x, y) => x - y));
    if (kind === 'postgres') {
      const rows = (await sql<{ seq: string; channel_id: string }>`SELECT seq, channel_id FROM post_search ORDER BY seq`.execute(db)).rows;
      expect(rows.map((r) => r.channel_id)).toEqual([open1.id, other.id]);
      // Migration 18: few statistics on the column that only channel lists filter.
      const target = (await sql<{ t: number }>`SELECT attstattarget AS t FROM pg_attribute WHERE attrelid = 'post_search'::regclass AND attname = 'channel_id'`.execute(db)).rows[0]?.t;
      expect(Number(target)).toBe(10);
    }
    const { clauses } = parseSearchQuery('zebra');
    for (const search of [new Search(db, kind, 0), new Search(db, kind, 0, 0)]) {
      for (const [who, expected] of [[a, 'zebra alpha'], [b, 'zebra beta']] as const) {
        const scope = channelReadScope({ userId: who.id, username: who.username, role: who.role, sessionId: 's' });
        const found = await search.posts({ scope, clauses }, { order: 'newest', offset: 0, limit: 10 });
        expect(found.posts.map((p) => p.message)).toEqual([expected]);
        expect(found.total).toBe(1);
      }
    }
  });
});
