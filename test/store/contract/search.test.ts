/**
 * The search contract: the same queries on SQLite FTS5 and PostgreSQL tsvector give the same
 * answers, the index follows every create, edit and delete in the same transaction, the read
 * scope is applied inside the query, and older posts are indexed by the backfill.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Post } from '../../../src/domain/entities.js';
import { channelReadScope, type Actor } from '../../../src/domain/policy.js';
import { parseSearchQuery, searchDocument } from '../../../src/domain/search.js';
import { SEARCH_COUNT_CAP, type PostQuery, type SearchStore } from '../../../src/store/search.js';
import { Search } from '../../../src/store/kysely/search.js';
import type { Db } from '../../../src/store/kysely/shared.js';
import { STORES } from '../../helpers/app.js';
import { newChannel, newPost, newTeam } from '../../helpers/store.js';
import { contract } from './harness.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

describe.each(STORES)('store contract: search (%s)', (kind) => {
  const { store, world } = contract(kind);

  const actor = (u: { id: string; username: string; role: 'system_admin' | 'system_user' }): Actor => ({ userId: u.id, username: u.username, role: u.role, sessionId: 's' });

  async function post(channelId: string, userId: string, message: string, extra: Partial<Post> = {}): Promise<Post> {
    return store.posts.create(newPost(channelId, userId, { message, ...extra }), { search: searchDocument(message) });
  }

  /**
   * The store's search, or the same engine made to take the paths of larger scopes: the
   * readable channels as a bound list (hundreds of channels), or as the membership subquery
   * (thousands, or a system admin's every channel).
   */
  let engine: () => SearchStore = () => store.search;
  const scopeAsList = (): SearchStore => new Search((store as unknown as { options: { db: Db } }).options.db, kind, 0);
  const scopeAsSubquery = (): SearchStore => new Search((store as unknown as { options: { db: Db } }).options.db, kind, 0, 0);
  const ALL_PATHS = [['scope in the match', () => store.search], ['scope as a list', scopeAsList], ['scope as a subquery', scopeAsSubquery]] as const;

  async function find(who: Actor, q: string, extra: Partial<PostQuery> = {}, order: 'newest' | 'relevance' = 'newest'): Promise<string[]> {
    const parsed = parseSearchQuery(q, T0 + 30 * DAY);
    const users = parsed.from.length === 0 ? undefined : (await store.users.getByUsernames(parsed.from)).map((u) => u.id);
    const { posts, total } = await engine().posts({
      scope: channelReadScope(who), clauses: parsed.clauses, userIds: users, createdFrom: parsed.createdFrom, createdBefore: parsed.createdBefore,
      isPinned: parsed.isPinned, hasFile: parsed.hasFile, hasImage: parsed.hasImage, ...extra,
    }, { order, offset: 0, limit: 50 });
    expect(total).toBe(posts.length);
    return posts.map((p) => p.message);
  }

  it('answers the query language the same on both engines', async () => {
    const { users: [a, b, c], team, channel } = await world(3);
    const priv = newChannel(a!.id, team.id, { type: 'private' });
    await store.channels.create(priv);
    for (const u of [a!, b!]) await store.channels.addMember({ channel_id: priv.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    const m = {
      deployed: 'We deployed the release to production yesterday',
      identifiers: 'Deploying deploy_prod now; ping user@example.com',
      cafe: 'Café meeting at noon #planning',
      fox: 'The quick brown fox jumps',
      secret: 'secret launch codes',
      checklist: 'deployment checklist: #release-1.2',
    };
    await post(channel.id, a!.id, m.deployed, { created_at: T0 + 1 * DAY });
    await post(channel.id, b!.id, m.identifiers, { created_at: T0 + 2 * DAY });
    await post(channel.id, a!.id, m.cafe, { created_at: T0 + 3 * DAY });
    await post(channel.id, b!.id, m.fox, { created_at: T0 + 4 * DAY, is_pinned: 1 });
    await post(priv.id, a!.id, m.secret, { created_at: T0 + 5 * DAY });
    await post(channel.id, a!.id, m.checklist, { created_at: T0 + 6 * DAY });
    const A = actor(a!);
    const set = (...xs: string[]) => xs.sort();
    const cases: [string, string[]][] = [
      // Porter keeps `deployment` apart from `deploy` (a prefix finds both).
      ['deploy', [m.identifiers, m.deployed]],
      ['"quick brown"', [m.fox]],
      ['"brown quick"', []],
      ['deploy -production', [m.identifiers]],
      ['depl*', [m.checklist, m.identifiers, m.deployed]],
      ['deploy_prod', [m.identifiers]],
      ['user@example.com', [m.identifiers]],
      ['cafe', [m.cafe]],
      ['CAFÉ', [m.cafe]],
      ['#planning', [m.cafe]],
      ['#release-1.2', [m.checklist]],
      ['planning', [m.cafe]],
      [`from:${b!.username}`, [m.fox, m.identifiers]],
      [`from:@${b!.username} deploy`, [m.identifiers]],
      ['is:pinned', [m.fox]],
      ['secret', [m.secret]],
      // Posted on 2 (deployed), 3 (identifiers), 4 (cafe), 5 (fox), 6 (secret) and 7 (checklist) November.
      ['after:2026-11-03', [m.checklist, m.secret, m.fox, m.cafe]],
      ['before:2026-11-03', [m.deployed]],
      ['on:2026-11-04', [m.cafe]],
      ['after:2026-11-02 before:2026-11-05', [m.cafe, m.identifiers]],
      ['NEAR(deploy prod) AND OR NOT', []],
    ];
    const wrong: string[] = [];
    for (const [path, chosen] of ALL_PATHS) {
      engine = chosen;
      for (const [q, expected] of cases) {
        const got = await find(A, q);
        // Newest first: the expectations are listed newest first.
        if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${path}: ${q}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
        const byRelevance = await find(A, q, {}, 'relevance');
        if (JSON.stringify(set(...byRelevance)) !== JSON.stringify(set(...expected))) wrong.push(`${path}: ${q} (relevance): got ${JSON.stringify(byRelevance)}`);
      }
      // The read scope is inside the query: c is not in the private channel.
      const checks: [string, string[], string[]][] = [
        ['c secret', await find(actor(c!), 'secret'), []],
        ['c deploy', await find(actor(c!), 'deploy'), [m.identifiers, m.deployed]],
        ['in channel', await find(A, 'secret', { channelIds: [channel.id] }), []],
        ['in no channel', await find(A, 'deploy', { channelIds: [] }), []],
        // A system admin reads team channels, private ones included.
        ['admin', await find({ ...actor(c!), role: 'system_admin' }, 'secret'), [m.secret]],
      ];
      for (const [label, got, expected] of checks) if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push(`${path}: ${label}: got ${JSON.stringify(got)}`);
    }
    engine = () => store.search;
    expect(wrong).toEqual([]);
  });

  it('follows edits and deletes in the same transaction, and pages newest first with a cursor', async () => {
    const { users: [a], channel } = await world(1);
    const p = await post(channel.id, a!.id, 'original wording zebra');
    expect(await find(actor(a!), 'zebra')).toEqual(['original wording zebra']);
    await store.transaction(async (tx) => tx.posts.updateMessage(p.id, 'rewritten giraffe', false, Date.now(), searchDocument('rewritten giraffe')));
    expect(await find(actor(a!), 'zebra')).toEqual([]);
    expect(await find(actor(a!), 'giraffe')).toEqual(['rewritten giraffe']);
    await store.transaction(async (tx) => tx.posts.softDelete(p.id, Date.now()));
    expect(await find(actor(a!), 'giraffe')).toEqual([]);
    for (let i = 0; i < 7; i++) await post(channel.id, a!.id, `paged okapi ${i}`);
    const scope = channelReadScope(actor(a!));
    const clauses = parseSearchQuery('okapi').clauses;
    // Every path: the scope inside the engine's match, as a list, as a subquery.
    for (const search of ALL_PATHS.map(([, make]) => make())) {
      const first = await search.posts({ scope, clauses }, { order: 'newest', offset: 0, limit: 3 });
      expect(first.total).toBe(7);
      expect(first.posts.map((x) => x.message)).toEqual(['paged okapi 6', 'paged okapi 5', 'paged okapi 4']);
      const second = await search.posts({ scope, clauses }, { order: 'newest', beforeSeq: first.posts[2]!.seq, offset: 0, limit: 3 });
      expect(second.posts.map((x) => x.message)).toEqual(['paged okapi 3', 'paged okapi 2', 'paged okapi 1']);
      // The total is the whole answer's, whichever page (counted, not the page's length).
      expect(second.total).toBe(7);
      const last = await search.posts({ scope, clauses }, { order: 'newest', beforeSeq: second.posts[2]!.seq, offset: 0, limit: 3 });
      expect(last.posts.map((x) => x.message)).toEqual(['paged okapi 0']);
      expect(last.total).toBe(7);
      const byOffset = await search.posts({ scope, clauses }, { order: 'relevance', offset: 6, limit: 3 });
      expect(byOffset.posts).toHaveLength(1);
      expect(byOffset.total).toBe(7);
      // Past the end: an empty page still says how many there are.
      const past = await search.posts({ scope, clauses }, { order: 'newest', beforeSeq: last.posts[0]!.seq, offset: 0, limit: 3 });
      expect([past.posts.length, past.total]).toEqual([0, 7]);
      const pastByOffset = await search.posts({ scope, clauses }, { order: 'relevance', offset: 9, limit: 3 });
      expect([pastByOffset.posts.length, pastByOffset.total]).toEqual([0, 7]);
    }
  });

  it('narrows to a team (its channels, plus direct and group messages) and to `in:` channels, on every path', async () => {
    const { users: [a, b], team, channel } = await world(2);
    const other = newTeam(a!.id);
    await store.teams.create(other);
    await store.teams.addMember({ team_id: other.id, user_id: a!.id, role: 'member', created_at: 1 });
    const elsewhere = newChannel(a!.id, other.id);
    await store.channels.create(elsewhere);
    const dm = newChannel(a!.id, null);
    await store.channels.create(dm);
    for (const u of [a!, b!]) await store.channels.addMember({ channel_id: dm.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    await post(channel.id, a!.id, 'wombat in the team');
    await post(elsewhere.id, a!.id, 'wombat in the other team (public, not joined)');
    await post(dm.id, b!.id, 'wombat in a direct message');
    const wrong: string[] = [];
    for (const [path, chosen] of ALL_PATHS) {
      engine = chosen;
      const checks: [string, string[], string[]] [] = [
        ['no team', await find(actor(a!), 'wombat'), ['wombat in a direct message', 'wombat in the other team (public, not joined)', 'wombat in the team']],
        ['team', await find(actor(a!), 'wombat', { teamId: team.id }), ['wombat in a direct message', 'wombat in the team']],
        ['other team', await find(actor(a!), 'wombat', { teamId: other.id }), ['wombat in a direct message', 'wombat in the other team (public, not joined)']],
        ['in: one channel', await find(actor(a!), 'wombat', { channelIds: [elsewhere.id] }), ['wombat in the other team (public, not joined)']],
        ['in: a channel outside the team', await find(actor(a!), 'wombat', { teamId: team.id, channelIds: [elsewhere.id] }), []],
        ['b: not in the other team', await find(actor(b!), 'wombat'), ['wombat in a direct message', 'wombat in the team']],
      ];
      for (const [label, got, expected] of checks) if (JSON.stringify([...got].sort()) !== JSON.stringify(expected)) wrong.push(`${path}: ${label}: got ${JSON.stringify(got)}`);
    }
    engine = () => store.search;
    expect(wrong).toEqual([]);
  });

  it('reads a public channel through its team (joined or not) and any other channel through membership only, on every path', async () => {
    // On PostgreSQL the default path matches a team token for "public channel of one of my
    // teams" and channel tokens for memberships; the others list or subquery the channels.
    const { users: [a, b, c], team, channel } = await world(3);
    await store.channels.removeMember(channel.id, c!.id);
    const priv = newChannel(a!.id, team.id, { type: 'private' });
    await store.channels.create(priv);
    await store.channels.addMember({ channel_id: priv.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    const group = newChannel(a!.id, null, { type: 'group' });
    await store.channels.create(group);
    for (const u of [a!, b!]) await store.channels.addMember({ channel_id: group.id, user_id: u.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    const other = newTeam(a!.id);
    await store.teams.create(other);
    await store.teams.addMember({ team_id: other.id, user_id: b!.id, role: 'member', created_at: 1 });
    const otherPublic = newChannel(b!.id, other.id);
    await store.channels.create(otherPublic);
    await store.channels.addMember({ channel_id: otherPublic.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
    await post(channel.id, a!.id, 'quokka public');
    await post(priv.id, b!.id, 'quokka private');
    await post(group.id, b!.id, 'quokka group');
    await post(otherPublic.id, b!.id, 'quokka other team');
    // b leaves the other team but stays in its public channel: still a member of the channel.
    await store.teams.removeMember(other.id, b!.id);
    const wrong: string[] = [];
    for (const [path, chosen] of ALL_PATHS) {
      engine = chosen;
      const checks: [string, string[], string[]][] = [
        ['c: public channel left, still in the team', await find(actor(c!), 'quokka'), ['quokka public']],
        ['c in the team', await find(actor(c!), 'quokka', { teamId: team.id }), ['quokka public']],
        ['b: in every channel but one left team', await find(actor(b!), 'quokka'), ['quokka group', 'quokka other team', 'quokka private', 'quokka public']],
        ['b in the team', await find(actor(b!), 'quokka', { teamId: team.id }), ['quokka group', 'quokka private', 'quokka public']],
        ['b in the team left', await find(actor(b!), 'quokka', { teamId: other.id }), ['quokka group', 'quokka other team']],
        ['a: not in the private one', await find(actor(a!), 'quokka'), ['quokka group', 'quokka public']],
      ];
      for (const [label, got, expected] of checks) if (JSON.stringify([...got].sort()) !== JSON.stringify(expected)) wrong.push(`${path}: ${label}: got ${JSON.stringify(got)}`);
      // Out of the team entirely: nothing of its public channels, joined or not.
      await store.teams.removeMember(team.id, c!.id);
      if ((await find(actor(c!), 'quokka')).length !== 0) wrong.push(`${path}: c out of the team still finds something`);
      await store.teams.addMember({ team_id: team.id, user_id: c!.id, role: 'member', created_at: 1 });
    }
    engine = () => store.search;
    expect(wrong).toEqual([]);
  });

  it('counts up to SEARCH_COUNT_CAP and no further, on every path', async () => {
    const { users: [a], channel, team } = await world(1);
    await store.transaction(async (tx) => {
      for (let i = 0; i <= SEARCH_COUNT_CAP; i++) await tx.posts.create(newPost(channel.id, a!.id, { message: `capybara ${i}` }), { search: searchDocument(`capybara ${i}`) });
    });
    const scope = channelReadScope(actor(a!));
    for (const search of ALL_PATHS.map(([, make]) => make())) {
      const { posts, total } = await search.posts({ scope, clauses: parseSearchQuery('capybara').clauses }, { order: 'newest', offset: 0, limit: 20 });
      expect(posts).toHaveLength(20);
      expect(total).toBe(SEARCH_COUNT_CAP);
      const inTeam = await search.posts({ scope, clauses: parseSearchQuery('capybara').clauses, teamId: team.id }, { order: 'newest', offset: 0, limit: 20 });
      expect([inTeam.posts.length, inTeam.total]).toEqual([20, SEARCH_COUNT_CAP]);
      const elsewhere = await search.posts({ scope, clauses: parseSearchQuery('capybara').clauses, teamId: newChannel(a!.id, team.id).id }, { order: 'newest', offset: 0, limit: 20 });
      expect([elsewhere.posts.length, elsewhere.total]).toEqual([0, 0]);
      const fromOther = await search.posts({ scope, clauses: parseSearchQuery('capybara').clauses, userIds: [team.id] }, { order: 'newest', offset: 0, limit: 20 });
      expect([fromOther.posts.length, fromOther.total]).toEqual([0, 0]);
    }
  });

  it('indexes posts written before the index existed (the backfill), newest first, then stops', async () => {
    const { users: [a], channel } = await world(1);
    // Posts stored without an index entry, as before migration 7.
    for (let i = 0; i < 5; i++) await store.posts.create(newPost(channel.id, a!.id, { message: `legacy narwhal ${i}` }));
    expect(await find(actor(a!), 'narwhal')).toEqual([]);
    const newest = (await store.posts.listChannel(channel.id, { limit: 1 })).posts[0]!.seq;
    await sql`UPDATE search_backfill SET pending_through = ${newest}`.execute((store as unknown as { options: { db: never } }).options.db);
    let rounds = 0;
    for (;;) {
      const { remaining } = await store.search.backfill(2, searchDocument);
      rounds++;
      if (remaining === 0) break;
      expect(rounds).toBeLessThan(1000);
    }
    expect((await find(actor(a!), 'narwhal')).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `legacy narwhal ${i}`));
    expect(await store.search.backfill(2, searchDocument)).toEqual({ indexed: 0, remaining: 0 });
  });
});
