/** The store contract for channels and channel members, on SQLite and PostgreSQL (see harness.ts). */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newChannel, newPost, newTeam } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: channels and channel members (%s)', (kind) => {
  const { store, user, world } = contract(kind);

  it('creates and reads channels; names are unique per team, not across teams', async () => {
    const { users: [a], team, channel } = await world(1);
    expect(await store.channels.get(channel.id)).toEqual(channel);
    expect(await store.channels.getByName(team.id, channel.name)).toEqual(channel);
    expect(await store.channels.getByName(team.id, 'no-such-channel')).toBeUndefined();
    await expect(store.channels.create(newChannel(a!.id, team.id, { name: channel.name }))).rejects.toBeInstanceOf(UniqueViolation);
    const other = newTeam(a!.id);
    await store.teams.create(other);
    await expect(store.channels.create(newChannel(a!.id, other.id, { name: channel.name }))).resolves.toBeUndefined();
    const second = newChannel(a!.id, team.id);
    await store.channels.create(second);
    const many = await store.channels.getMany([channel.id, randomUUID(), second.id, channel.id]);
    expect(many.sort((x, y) => x.id.localeCompare(y.id))).toEqual([channel, second].sort((x, y) => x.id.localeCompare(y.id)));
    expect(await store.channels.getMany([])).toEqual([]);
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

    // Many users at once: the same row for each as getAccess gives one by one.
    const teamOnly = await user();
    await store.teams.addMember({ team_id: team.id, user_id: teamOnly.id, role: 'member', created_at: 12 });
    const who = [a!.id, b!.id, stranger.id, teamOnly.id];
    const many = await store.channels.getAccessMany(channel.id, [...who, b!.id]);
    expect([...many.keys()].sort()).toEqual([...who].sort());
    for (const id of who) expect(many.get(id), id).toEqual(await store.channels.getAccess(channel.id, id));
    const inDm = await store.channels.getAccessMany(dm.id, [a!.id]);
    expect(inDm.get(a!.id)).toEqual(await store.channels.getAccess(dm.id, a!.id));
    expect((await store.channels.getAccessMany(randomUUID(), who)).size).toBe(0);
    expect((await store.channels.getAccessMany(channel.id, [])).size).toBe(0);
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
});
