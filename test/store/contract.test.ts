/**
 * The store contract: one suite, written once, run against the embedded SQLite store and
 * the PostgreSQL store. Every behaviour a service relies on is pinned here, so the two
 * implementations cannot drift apart (ordering, case folding, uniqueness, counting,
 * transactions and commit order included).
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UniqueViolation } from '../../src/store/errors.js';
import type { Store } from '../../src/store/store.js';
import { STORES } from '../helpers/app.js';
import { newChannel, newPost, newTeam, newUser, openTestStore, type TestStore } from '../helpers/store.js';

describe.each(STORES)('store contract (%s)', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(async () => t?.close());

  async function user(overrides: Parameters<typeof newUser>[0] = {}) {
    return store.users.create(newUser(overrides));
  }

  /** A team with `members` (the first is team admin), and a public channel everyone is in. */
  async function world(memberCount = 2) {
    const users = [];
    for (let i = 0; i < memberCount; i++) users.push(await user());
    const team = newTeam(users[0]!.id);
    await store.teams.create(team);
    for (const [i, u] of users.entries()) await store.teams.addMember({ team_id: team.id, user_id: u.id, role: i === 0 ? 'team_admin' : 'member', created_at: 10 + i });
    const channel = newChannel(users[0]!.id, team.id);
    await store.channels.create(channel);
    for (const [i, u] of users.entries()) {
      await store.channels.addMember({ channel_id: channel.id, user_id: u.id, role: i === 0 ? 'channel_admin' : 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 10 + i });
    }
    return { users, team, channel };
  }

  /**
   * Runs `first` in a transaction and holds that transaction open (then runs `then` in it);
   * meanwhile starts `second` and waits until it has either finished or is blocked behind
   * the first. Reports whether it finished while the first was still open.
   */
  async function secondWaitsForFirst<A, B>(first: (tx: Store) => Promise<A>, second: () => Promise<B>, then?: (tx: Store) => Promise<unknown>) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const firstStarted = new Promise<void>((r) => (started = r));
    const one = store.transaction(async (tx) => {
      const value = await first(tx);
      started();
      await gate;
      await then?.(tx);
      return value;
    });
    await firstStarted;
    let secondDone = false;
    const two = second().then((v) => {
      secondDone = true;
      return v;
    });
    await waitFor(async () => secondDone || (await blockedWriters(t)) > 0);
    const finishedWhileFirstOpen = secondDone;
    release();
    const [a, b] = await Promise.all([one, two]);
    return { finishedWhileFirstOpen, first: a, second: b };
  }

  it('reports its dialect and answers ping', async () => {
    expect(store.dialect).toBe(kind);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  describe('users', () => {
    it('creates and reads back exactly what was written', async () => {
      const input = newUser({ display_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace', password_hash: '$argon2id$x', is_bot: 0, email_verified: 1, timezone: 'Europe/London' });
      const created = await store.users.create(input);
      expect(created).toEqual({ ...input, deactivated_at: null });
      expect(await store.users.get(input.id)).toEqual({ ...input, deactivated_at: null });
      expect(await store.users.get(randomUUID())).toBeUndefined();
    });

    it('refuses a taken username or e-mail with a UniqueViolation naming the column', async () => {
      const a = await user();
      const dupName = store.users.create(newUser({ username: a.username, email: `other-${a.email}` }));
      await expect(dupName).rejects.toBeInstanceOf(UniqueViolation);
      await expect(dupName).rejects.toMatchObject({ constraint: expect.stringContaining('username') });
      const dupEmail = store.users.create(newUser({ email: a.email }));
      await expect(dupEmail).rejects.toMatchObject({ constraint: expect.stringContaining('email') });
    });

    it('finds a user by e-mail or username, trimmed and case-insensitively', async () => {
      const a = await user();
      expect((await store.users.getByLogin(a.email))?.id).toBe(a.id);
      expect((await store.users.getByLogin(`  ${a.email.toUpperCase()} `))?.id).toBe(a.id);
      expect((await store.users.getByLogin(a.username.toUpperCase()))?.id).toBe(a.id);
      expect(await store.users.getByLogin('nobody@example.com')).toBeUndefined();
    });

    it('reads many by id and by username, ignoring unknown and repeated ones', async () => {
      const a = await user();
      const b = await user();
      expect((await store.users.getMany([a.id, b.id, a.id, randomUUID()])).map((u) => u.id).sort()).toEqual([a.id, b.id].sort());
      expect(await store.users.getMany([])).toEqual([]);
      expect((await store.users.getByUsernames([b.username, 'ghost', b.username])).map((u) => u.id)).toEqual([b.id]);
      expect(await store.users.getByUsernames([])).toEqual([]);
    });

    it('updates profile fields, password hash, role and deactivation', async () => {
      const a = await user();
      const updated = await store.users.update(a.id, { display_name: 'New', nickname: 'nick' }, 99_999);
      expect(updated).toMatchObject({ display_name: 'New', nickname: 'nick', updated_at: 99_999, username: a.username });
      expect(await store.users.update(randomUUID(), { display_name: 'x' }, 1)).toBeUndefined();
      await store.users.setPasswordHash(a.id, 'hash2', 100_000);
      await store.users.setRole(a.id, 'system_admin', 100_001);
      await store.users.setDeactivated(a.id, 100_002, 100_002);
      expect(await store.users.get(a.id)).toMatchObject({ password_hash: 'hash2', role: 'system_admin', deactivated_at: 100_002, updated_at: 100_002 });
      await store.users.setDeactivated(a.id, null, 100_003);
      expect((await store.users.get(a.id))?.deactivated_at).toBeNull();
    });

    it('refuses an update to a taken e-mail', async () => {
      const a = await user();
      const b = await user();
      await expect(store.users.update(b.id, { email: a.email }, 1)).rejects.toBeInstanceOf(UniqueViolation);
      expect((await store.users.get(b.id))?.email).toBe(b.email);
    });

    it('searches usernames and names case-insensitively (Unicode too), escaping LIKE wildcards', async () => {
      const tag = `s${randomUUID().slice(0, 6)}`;
      const emile = await user({ username: `${tag}-emile`, display_name: 'Émile Zola' });
      const grace = await user({ username: `${tag}-grace`, first_name: 'Grace', last_name: 'Hopper' });
      const pct = await user({ username: `${tag}-pct`, nickname: '100%_sure' });
      const gone = await user({ username: `${tag}-gone` });
      await store.users.setDeactivated(gone.id, 5, 5);
      const ids = async (q: string, includeInactive = false) => (await store.users.search({ q, offset: 0, limit: 50, includeInactive })).map((u) => u.id);
      expect(await ids(tag)).toEqual([emile.id, grace.id, pct.id]);
      expect(await ids(tag, true)).toEqual([emile.id, gone.id, grace.id, pct.id]);
      expect(await ids('ÉMILE')).toEqual([emile.id]);
      expect(await ids('émile zo')).toEqual([emile.id]);
      expect(await ids('grace hop')).toEqual([grace.id]);
      expect(await ids('100%_')).toEqual([pct.id]);
      expect(await ids('%')).toEqual([pct.id]);
      expect(await ids('_')).toContain(pct.id);
      expect(await ids('zzz-no-such-user')).toEqual([]);
      // Paging walks the same order.
      const page1 = await store.users.search({ q: tag, offset: 0, limit: 2 });
      const page2 = await store.users.search({ q: tag, offset: 2, limit: 2 });
      expect([...page1, ...page2].map((u) => u.id)).toEqual([emile.id, grace.id, pct.id]);
    });

    it('orders search results by username in byte order whatever the database collation', async () => {
      const tag = `o${randomUUID().slice(0, 6)}`;
      const names = [`${tag}-b`, `${tag}.a`, `${tag}_c`, `${tag}a`, `${tag}0`];
      for (const n of names) await user({ username: n });
      const got = (await store.users.search({ q: tag, offset: 0, limit: 10 })).map((u) => u.username);
      expect(got).toEqual([...names].sort());
    });

    it('counts users', async () => {
      const before = await store.users.count();
      await user();
      expect(await store.users.count()).toBe(before + 1);
    });
  });

  describe('sessions', () => {
    const session = (userId: string, overrides: Partial<Parameters<Store['sessions']['create']>[0]> = {}) => ({
      id: randomUUID(), user_id: userId, kind: 'password' as const, created_at: 1_000, expires_at: 10_000, revoked_at: null, user_agent: 'ua', ip: '127.0.0.1', ...overrides,
    });

    it('stores a session and reads it back with its user', async () => {
      const a = await user();
      const s = session(a.id);
      await store.sessions.create(s);
      const found = await store.sessions.getWithUser(s.id);
      expect(found?.session).toEqual(s);
      expect(found?.user).toEqual(await store.users.get(a.id));
      expect(await store.sessions.getWithUser(randomUUID())).toBeUndefined();
    });

    it('revokes once', async () => {
      const a = await user();
      const s = session(a.id);
      await store.sessions.create(s);
      expect(await store.sessions.revoke(s.id, 5_000)).toBe(true);
      expect(await store.sessions.revoke(s.id, 6_000)).toBe(false);
      expect(await store.sessions.revoke(randomUUID(), 6_000)).toBe(false);
      expect((await store.sessions.getWithUser(s.id))?.session.revoked_at).toBe(5_000);
    });

    it('revokes every live session of one user except one, and lists the live ones', async () => {
      const a = await user();
      const b = await user();
      const keep = session(a.id, { created_at: 3 });
      const kill1 = session(a.id, { created_at: 2 });
      const kill2 = session(a.id, { created_at: 1 });
      const expired = session(a.id, { expires_at: 500 });
      const other = session(b.id);
      for (const s of [keep, kill1, kill2, expired, other]) await store.sessions.create(s);
      expect((await store.sessions.listActiveForUser(a.id, 1_000)).map((s) => s.id)).toEqual([keep.id, kill1.id, kill2.id]);
      expect((await store.sessions.revokeAllForUser(a.id, 1_000, keep.id)).sort()).toEqual([kill1.id, kill2.id].sort());
      expect((await store.sessions.listActiveForUser(a.id, 1_000)).map((s) => s.id)).toEqual([keep.id]);
      expect(await store.sessions.revokeAllForUser(a.id, 1_000)).toEqual([keep.id]);
      expect(await store.sessions.revokeAllForUser(a.id, 1_000)).toEqual([]);
      expect((await store.sessions.getWithUser(other.id))?.session.revoked_at).toBeNull();
    });
  });

  describe('teams', () => {
    it('creates, reads and updates a team; names are unique', async () => {
      const a = await user();
      const team = newTeam(a.id, { description: 'd' });
      await store.teams.create(team);
      expect(await store.teams.get(team.id)).toEqual(team);
      await expect(store.teams.create(newTeam(a.id, { name: team.name }))).rejects.toBeInstanceOf(UniqueViolation);
      expect(await store.teams.update(team.id, { display_name: 'Renamed', type: 'open' }, 7_777)).toEqual({ ...team, display_name: 'Renamed', type: 'open', updated_at: 7_777 });
      expect(await store.teams.update(randomUUID(), { display_name: 'x' }, 1)).toBeUndefined();
      expect(await store.teams.get(randomUUID())).toBeUndefined();
    });

    it('reads a team with the membership of a given user', async () => {
      const { users: [admin, member], team } = await world(2);
      const stranger = await user();
      expect(await store.teams.getWithMember(team.id, admin!.id)).toEqual({ team, member: { team_id: team.id, user_id: admin!.id, role: 'team_admin', created_at: 10 } });
      expect((await store.teams.getWithMember(team.id, member!.id))?.member?.role).toBe('member');
      expect(await store.teams.getWithMember(team.id, stranger.id)).toEqual({ team, member: undefined });
      expect(await store.teams.getWithMember(randomUUID(), admin!.id)).toBeUndefined();
    });

    it('adds members idempotently, changes roles, removes them', async () => {
      const { team } = await world(1);
      const b = await user();
      const m = { team_id: team.id, user_id: b.id, role: 'member' as const, created_at: 50 };
      expect(await store.teams.addMember(m)).toBe(true);
      expect(await store.teams.addMember({ ...m, role: 'team_admin' })).toBe(false);
      expect(await store.teams.getMember(team.id, b.id)).toEqual(m);
      expect(await store.teams.setMemberRole(team.id, b.id, 'team_admin')).toBe(true);
      expect((await store.teams.getMember(team.id, b.id))?.role).toBe('team_admin');
      expect(await store.teams.setMemberRole(team.id, randomUUID(), 'member')).toBe(false);
      expect(await store.teams.teamIdsForUser(b.id)).toEqual([team.id]);
      expect(await store.teams.removeMember(team.id, b.id)).toBe(true);
      expect(await store.teams.removeMember(team.id, b.id)).toBe(false);
      expect(await store.teams.getMember(team.id, b.id)).toBeUndefined();
      expect(await store.teams.teamIdsForUser(b.id)).toEqual([]);
    });

    it('lists members in joining order, paged', async () => {
      const { users, team } = await world(4);
      const all = await store.teams.listMembers(team.id, 0, 10);
      expect(all.map((m) => m.user_id)).toEqual(users.map((u) => u.id));
      expect((await store.teams.listMembers(team.id, 1, 2)).map((m) => m.user_id)).toEqual([users[1]!.id, users[2]!.id]);
    });

    it('lists my teams by display name, case-insensitively, archived ones only on request', async () => {
      const a = await user();
      const mk = async (display_name: string, archived = false) => {
        const team = newTeam(a.id, { display_name, archived_at: archived ? 1 : null });
        await store.teams.create(team);
        await store.teams.addMember({ team_id: team.id, user_id: a.id, role: 'member', created_at: 1 });
        return team;
      };
      const charlie = await mk('charlie');
      const bravo = await mk('Bravo');
      const alpha = await mk('alpha');
      const old = await mk('Archived', true);
      expect((await store.teams.listForUser(a.id, false)).map((x) => x.id)).toEqual([alpha.id, bravo.id, charlie.id]);
      expect((await store.teams.listForUser(a.id, true)).map((x) => x.id)).toEqual([alpha.id, old.id, bravo.id, charlie.id]);
    });

    it('lists open, live teams I am not in as joinable', async () => {
      const a = await user();
      const b = await user();
      const open = newTeam(a.id, { type: 'open', display_name: `Joinable ${randomUUID()}` });
      const invite = newTeam(a.id, { type: 'invite' });
      const archived = newTeam(a.id, { type: 'open', archived_at: 5 });
      const mine = newTeam(a.id, { type: 'open' });
      for (const x of [open, invite, archived, mine]) await store.teams.create(x);
      await store.teams.addMember({ team_id: mine.id, user_id: b.id, role: 'member', created_at: 1 });
      const ids = (await store.teams.listJoinable(b.id)).map((x) => x.id);
      expect(ids).toContain(open.id);
      expect(ids).not.toContain(invite.id);
      expect(ids).not.toContain(archived.id);
      expect(ids).not.toContain(mine.id);
    });

    it('lists all teams by name, paged', async () => {
      const all = await store.teams.listAll(0, 1000);
      expect(all.map((x) => x.name)).toEqual(all.map((x) => x.name).sort());
      expect(await store.teams.listAll(1, 2)).toEqual(all.slice(1, 3));
    });
  });

  describe('channels', () => {
    it('creates and reads channels; names are unique per team, not across teams', async () => {
      const { users: [a], team, channel } = await world(1);
      expect(await store.channels.get(channel.id)).toEqual(channel);
      expect(await store.channels.getByName(team.id, channel.name)).toEqual(channel);
      expect(await store.channels.getByName(team.id, 'no-such-channel')).toBeUndefined();
      await expect(store.channels.create(newChannel(a!.id, team.id, { name: channel.name }))).rejects.toBeInstanceOf(UniqueViolation);
      const other = newTeam(a!.id);
      await store.teams.create(other);
      await expect(store.channels.create(newChannel(a!.id, other.id, { name: channel.name }))).resolves.toBeUndefined();
    });

    it('keeps direct channels unique by member key, and their shared name does not collide', async () => {
      const a = await user();
      const key = `D:${randomUUID()},${randomUUID()}`;
      const dm = newChannel(a.id, null, { type: 'direct', name: 'dm', member_key: key });
      await store.channels.create(dm);
      expect(await store.channels.getByMemberKey(key)).toEqual(dm);
      expect(await store.channels.getByMemberKey('D:none')).toBeUndefined();
      await expect(store.channels.create(newChannel(a.id, null, { type: 'direct', name: 'dm2', member_key: key }))).rejects.toBeInstanceOf(UniqueViolation);
      // Team-less channels may share a name (the unique name index is per team).
      await expect(store.channels.create(newChannel(a.id, null, { type: 'group', name: 'dm', member_key: `G:${randomUUID()}` }))).resolves.toBeUndefined();
    });

    it('answers the access row: channel, team, team membership and channel membership', async () => {
      const { users: [a, b], team, channel } = await world(2);
      const stranger = await user();
      const row = await store.channels.getAccess(channel.id, b!.id);
      expect(row).toEqual({
        channel,
        team,
        teamMember: { team_id: team.id, user_id: b!.id, role: 'member', created_at: 11 },
        member: { channel_id: channel.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 11 },
      });
      expect(await store.channels.getAccess(channel.id, stranger.id)).toEqual({ channel, team, teamMember: undefined, member: undefined });
      expect(await store.channels.getAccess(randomUUID(), a!.id)).toBeUndefined();
      const dm = newChannel(a!.id, null, { type: 'direct', member_key: `D:${randomUUID()}` });
      await store.channels.create(dm);
      expect(await store.channels.getAccess(dm.id, a!.id)).toEqual({ channel: dm, team: undefined, teamMember: undefined, member: undefined });
    });

    it('updates a channel and refuses a name taken in its team', async () => {
      const { users: [a], team, channel } = await world(1);
      const other = newChannel(a!.id, team.id);
      await store.channels.create(other);
      expect(await store.channels.update(channel.id, { header: 'h', purpose: 'p' }, 9_999)).toEqual({ ...channel, header: 'h', purpose: 'p', updated_at: 9_999 });
      await expect(store.channels.update(other.id, { name: channel.name }, 1)).rejects.toBeInstanceOf(UniqueViolation);
      expect(await store.channels.update(randomUUID(), { header: 'x' }, 1)).toBeUndefined();
    });

    it('lists the channels of a team I can see: public ones and my private ones, by display name', async () => {
      const { users: [a, b], team, channel } = await world(2);
      await store.channels.update(channel.id, { display_name: 'middle' }, 1);
      const priv = newChannel(a!.id, team.id, { type: 'private', display_name: 'Zeta private' });
      const privB = newChannel(a!.id, team.id, { type: 'private', display_name: 'B-private' });
      const pubUpper = newChannel(a!.id, team.id, { display_name: 'alpha' });
      const archived = newChannel(a!.id, team.id, { display_name: 'archived', archived_at: 5 });
      for (const c of [priv, privB, pubUpper, archived]) await store.channels.create(c);
      await store.channels.addMember({ channel_id: privB.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
      expect((await store.channels.listVisibleInTeam(team.id, b!.id, false)).map((c) => c.id)).toEqual([pubUpper.id, privB.id, channel.id]);
      expect((await store.channels.listVisibleInTeam(team.id, b!.id, true)).map((c) => c.id)).toEqual([pubUpper.id, archived.id, privB.id, channel.id]);
    });

    it('lists every channel I am a member of, most recent activity first', async () => {
      const { users: [a, b], team, channel } = await world(2);
      const dm = newChannel(a!.id, null, { type: 'direct', member_key: `D:${randomUUID()}` });
      const quiet = newChannel(a!.id, team.id, { type: 'private' });
      await store.channels.create(dm);
      await store.channels.create(quiet);
      for (const c of [dm, quiet]) await store.channels.addMember({ channel_id: c.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
      await store.posts.create(newPost(channel.id, a!.id, { created_at: 50_000 }));
      await store.posts.create(newPost(dm.id, a!.id, { created_at: 60_000 }));
      const ids = (await store.channels.listForUser(b!.id)).map((c) => c.id);
      expect(ids.slice(0, 2)).toEqual([dm.id, channel.id]);
      expect(ids.sort()).toEqual([dm.id, quiet.id, channel.id].sort());
      expect((await store.channels.channelIdsForUser(b!.id)).sort()).toEqual([dm.id, quiet.id, channel.id].sort());
    });

    it('adds members idempotently, lists them, changes roles, removes them', async () => {
      const { users: [a], channel } = await world(1);
      const b = await user();
      const m = { channel_id: channel.id, user_id: b.id, role: 'member' as const, last_viewed_seq: 3, last_viewed_at: 4, created_at: 99 };
      expect(await store.channels.addMember(m)).toBe(true);
      expect(await store.channels.addMember({ ...m, role: 'channel_admin' })).toBe(false);
      expect(await store.channels.getMember(channel.id, b.id)).toEqual(m);
      expect((await store.channels.listMembers(channel.id, 0, 10)).map((x) => x.user_id)).toEqual([a!.id, b.id]);
      expect((await store.channels.listMembers(channel.id, 1, 10)).map((x) => x.user_id)).toEqual([b.id]);
      expect((await store.channels.memberIds(channel.id)).sort()).toEqual([a!.id, b.id].sort());
      expect(await store.channels.setMemberRole(channel.id, b.id, 'channel_admin')).toBe(true);
      expect((await store.channels.getMember(channel.id, b.id))?.role).toBe('channel_admin');
      expect(await store.channels.setMemberRole(channel.id, randomUUID(), 'member')).toBe(false);
      expect(await store.channels.removeMember(channel.id, b.id)).toBe(true);
      expect(await store.channels.removeMember(channel.id, b.id)).toBe(false);
      expect(await store.channels.getMember(channel.id, b.id)).toBeUndefined();
    });

    it('removes a user from every channel of one team, leaving other teams and direct channels', async () => {
      const { users: [a, b], team, channel } = await world(2);
      const priv = newChannel(a!.id, team.id, { type: 'private' });
      const dm = newChannel(a!.id, null, { type: 'direct', member_key: `D:${randomUUID()}` });
      const otherTeam = newTeam(a!.id);
      await store.teams.create(otherTeam);
      const elsewhere = newChannel(a!.id, otherTeam.id);
      for (const c of [priv, dm, elsewhere]) {
        await store.channels.create(c);
        await store.channels.addMember({ channel_id: c.id, user_id: b!.id, role: 'member', last_viewed_seq: 0, last_viewed_at: 0, created_at: 1 });
      }
      expect((await store.channels.removeUserFromTeamChannels(team.id, b!.id)).sort()).toEqual([channel.id, priv.id].sort());
      expect((await store.channels.channelIdsForUser(b!.id)).sort()).toEqual([dm.id, elsewhere.id].sort());
      expect(await store.channels.removeUserFromTeamChannels(team.id, b!.id)).toEqual([]);
      expect(await store.channels.getMember(channel.id, a!.id)).toBeDefined();
    });

    it('moves the read pointer forwards only, unless asked to go back', async () => {
      const { users: [, b], channel } = await world(2);
      await store.channels.setLastViewed(channel.id, b!.id, 10, 100);
      await store.channels.setLastViewed(channel.id, b!.id, 5, 200);
      expect(await store.channels.getMember(channel.id, b!.id)).toMatchObject({ last_viewed_seq: 10, last_viewed_at: 100 });
      await store.channels.setLastViewed(channel.id, b!.id, 5, 300, true);
      expect(await store.channels.getMember(channel.id, b!.id)).toMatchObject({ last_viewed_seq: 5, last_viewed_at: 300 });
    });

    it('counts members, live posts and pinned posts', async () => {
      const { users: [a, b], channel } = await world(2);
      const p1 = await store.posts.create(newPost(channel.id, a!.id));
      await store.posts.create(newPost(channel.id, b!.id, { is_pinned: 1 }));
      const p3 = await store.posts.create(newPost(channel.id, b!.id, { is_pinned: 1 }));
      await store.posts.softDelete(p3.id, 1);
      expect(await store.channels.stats(channel.id)).toEqual({ member_count: 2, post_count: 2, pinned_post_count: 1 });
      await store.posts.setPinned(p1.id, true);
      expect((await store.channels.stats(channel.id)).pinned_post_count).toBe(2);
      expect(await store.channels.stats(randomUUID())).toEqual({ member_count: 0, post_count: 0, pinned_post_count: 0 });
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

  describe('posts', () => {
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

    it('adds and removes reactions idempotently, listed in the order they were made', async () => {
      const { users: [a, b], channel } = await world(2);
      const p = await store.posts.create(newPost(channel.id, a!.id));
      const q = await store.posts.create(newPost(channel.id, a!.id));
      const r1 = { post_id: p.id, user_id: b!.id, emoji_name: 'tada', created_at: 5 };
      const r2 = { post_id: p.id, user_id: a!.id, emoji_name: 'tada', created_at: 6 };
      const r3 = { post_id: q.id, user_id: a!.id, emoji_name: '+1', created_at: 1 };
      expect(await store.posts.addReaction(r1)).toBe(true);
      expect(await store.posts.addReaction({ ...r1, created_at: 99 })).toBe(false);
      expect(await store.posts.addReaction(r2)).toBe(true);
      expect(await store.posts.addReaction(r3)).toBe(true);
      expect(await store.posts.reactionsFor([p.id])).toEqual([r1, r2]);
      expect(await store.posts.reactionsFor([p.id, q.id])).toEqual([r3, r1, r2]);
      expect(await store.posts.reactionsFor([])).toEqual([]);
      expect(await store.posts.removeReaction(p.id, b!.id, 'tada')).toBe(true);
      expect(await store.posts.removeReaction(p.id, b!.id, 'tada')).toBe(false);
      expect(await store.posts.reactionsFor([p.id])).toEqual([r2]);
    });

    it('saves posts per user, newest save first, live posts only', async () => {
      const { users: [a, b], channel } = await world(2);
      const p1 = await store.posts.create(newPost(channel.id, a!.id));
      const p2 = await store.posts.create(newPost(channel.id, a!.id));
      const p3 = await store.posts.create(newPost(channel.id, a!.id));
      expect(await store.posts.save(b!.id, p1.id, 10)).toBe(true);
      expect(await store.posts.save(b!.id, p1.id, 11)).toBe(false);
      await store.posts.save(b!.id, p2.id, 20);
      await store.posts.save(b!.id, p3.id, 30);
      await store.posts.save(a!.id, p3.id, 30);
      await store.posts.softDelete(p3.id, 1);
      expect((await store.posts.listSaved(b!.id, 0, 10)).map((p) => p.id)).toEqual([p2.id, p1.id]);
      expect((await store.posts.listSaved(b!.id, 1, 10)).map((p) => p.id)).toEqual([p1.id]);
      expect(await store.posts.unsave(b!.id, p2.id)).toBe(true);
      expect(await store.posts.unsave(b!.id, p2.id)).toBe(false);
      expect((await store.posts.listSaved(b!.id, 0, 10)).map((p) => p.id)).toEqual([p1.id]);
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

  describe('audit log', () => {
    it('appends entries and lists them newest first', async () => {
      const a = await user();
      const e1 = { id: randomUUID(), actor_id: a.id, action: 'user.role', target_type: 'user', target_id: a.id, ip: '::1', details: '{"role":"x"}', created_at: 9_000_000_000_001 };
      const e2 = { ...e1, id: randomUUID(), actor_id: null, created_at: 9_000_000_000_002 };
      await store.audit.append(e1);
      await store.audit.append(e2);
      expect(await store.audit.list(0, 2)).toEqual([e2, e1]);
      expect(await store.audit.list(1, 1)).toEqual([e1]);
    });
  });

  describe('transactions', () => {
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
});

/** Writers waiting for a lock: PostgreSQL's pg_locks; SQLite serialises in-process, so a waiter is always "blocked". */
async function blockedWriters(t: TestStore): Promise<number> {
  if (t.location.databaseUrl === undefined) return 1;
  const client = new pg.Client({ connectionString: t.location.databaseUrl });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      'SELECT COUNT(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.datname = current_database()',
    );
    return Number(r.rows[0]!.n);
  } finally {
    await client.end();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
