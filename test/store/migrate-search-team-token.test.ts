/**
 * Migration 19 on a database that already has indexed posts: on PostgreSQL the index rows of
 * posts in public channels gain their team's token and the word indexes become multi-column
 * with `chan`, so posts indexed before it are found through the team (by a team member who
 * never joined the channel) and never outside it. SQLite needs nothing.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { channelReadScope } from '../../src/domain/policy.js';
import { parseSearchQuery, searchDocument } from '../../src/domain/search.js';
import { channelToken, Search, tsvectorLiteral, writeIndex } from '../../src/store/kysely/search.js';
import { KyselyStore } from '../../src/store/kysely/store.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { STORES } from '../helpers/app.js';
import { newChannel, newPost, newTeam, newUser, useEmptyDatabases } from '../helpers/store.js';

describe.each(STORES)('migration 19: search team token (%s)', (kind) => {
  const { open } = useEmptyDatabases(kind);

  it('posts indexed before it are found by their team through public channels, and private ones by members only', async () => {
    const db = await open();
    await migrate(db, kind, MIGRATIONS.filter((m) => m.version < 19));
    const store = new KyselyStore({ dialect: kind, db });
    const [a, b, outsider] = [await store.users.create(newUser()), await store.users.create(newUser()), await store.users.create(newUser())];
    const team = newTeam(a.id);
    await store.teams.create(team);
    for (const u of [a, b]) await store.teams.addMember({ team_id: team.id, user_id: u.id, role: 'member', created_at: 1 });
    const pub = newChannel(a.id, team.id);
    const priv = newChannel(a.id, team.id, { type: 'private' });
    for (const c of [pub, priv]) {
      await store.channels.create(c);
      await store.channels.addMember({ channel_id: c.id, user_id: a.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    }
    const posts = [await store.posts.create(newPost(pub.id, a.id, { message: 'ibex public' })), await store.posts.create(newPost(priv.id, a.id, { message: 'ibex private' }))];
    for (const p of posts) {
      const doc = searchDocument(p.message);
      if (kind === 'sqlite') await writeIndex(db, kind, p.seq, p.channel_id, doc);
      // Indexed as the store did before migration 19: the channel token only.
      else await sql`INSERT INTO post_search (seq, words, stems, tags, chan, channel_id) VALUES (${p.seq}, ${tsvectorLiteral(doc.words)}::tsvector, ${tsvectorLiteral(doc.stems)}::tsvector, ''::tsvector, ${tsvectorLiteral(channelToken(p.channel_id))}::tsvector, ${p.channel_id})`.execute(db);
    }

    const report = await migrate(db, kind);
    expect(report.applied).toEqual([19]);
    if (kind === 'postgres') {
      const indexes = (await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE tablename = 'post_search' AND indexdef LIKE '%gin%' ORDER BY indexname`.execute(db)).rows.map((r) => r.indexdef.replace(/^.*USING gin /, ''));
      expect(indexes).toEqual(['(stems, chan)', '(tags, chan)', '(words, chan)']);
    }
    const { clauses } = parseSearchQuery('ibex');
    // The store's own path (on PostgreSQL the team token), then the list and the subquery.
    for (const search of [new Search(db, kind), new Search(db, kind, 0), new Search(db, kind, 0, 0)]) {
      for (const [who, expected] of [[a, ['ibex private', 'ibex public']], [b, ['ibex public']], [outsider, []]] as const) {
        const scope = channelReadScope({ userId: who.id, username: who.username, role: who.role, sessionId: 's' });
        const found = await search.posts({ scope, clauses, teamId: team.id }, { order: 'newest', offset: 0, limit: 10 });
        expect(found.posts.map((p) => p.message).sort()).toEqual(expected);
        expect(found.total).toBe(expected.length);
      }
    }
  });
});
