/** Unread tracking on both stores: per-channel counts, the overview and mark-all-read stay consistent. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, directChannel, registerUser, type TestUser } from '../helpers/factories.js';

describe.each(STORES)('unreads (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let team: { id: string };
  beforeAll(async () => {
    t = await startApp(kind);
    alice = await registerUser(t.api, 'alice');
    bob = await registerUser(t.api, 'bob');
    team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
  });
  afterAll(async () => t?.close());

  const overview = async (u: TestUser) => (await t.api.get('/api/v1/unreads/overview', u.token)).body;
  const row = async (u: TestUser, channelId: string) => (await overview(u)).channels.find((r: any) => r.channel_id === channelId);

  it('counts others\' posts (and replies, when shown inline) after my read pointer, never my own or deleted ones', async () => {
    const c = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, c.id, bob);
    const root = await createPost(t.api, alice, c.id, 'root');
    await createPost(t.api, alice, c.id, 'reply', { root_post_id: root.id });
    await createPost(t.api, bob, c.id, 'my own');
    // Bob posting marked the channel read for him.
    expect(await row(bob, c.id)).toMatchObject({ unread_count: 0, mention_count: 0 });
    const later = await createPost(t.api, alice, c.id, `ping @${bob.username}`);
    await createPost(t.api, alice, c.id, `reply later @${bob.username}`, { root_post_id: root.id });
    // Collapsed threads (the default): a reply counts in its thread, not in the channel.
    expect(await row(bob, c.id)).toMatchObject({ unread_count: 1, mention_count: 1 });
    expect((await t.api.get(`/api/v1/channels/${c.id}/unread`, bob.token)).body).toEqual(await row(bob, c.id));
    // Replies shown inline: they count in the channel too (as before collapsed threads).
    expect((await t.api.put('/api/v1/users/me/preferences/threads', { collapsed_threads: false }, bob.token)).status).toBe(200);
    expect(await row(bob, c.id)).toMatchObject({ unread_count: 2, mention_count: 2 });
    await t.api.delete(`/api/v1/posts/${later.id}`, alice.token);
    expect(await row(bob, c.id)).toMatchObject({ unread_count: 1, mention_count: 1 });
    // The channel endpoint and the overview agree.
    expect((await t.api.get(`/api/v1/channels/${c.id}/unread`, bob.token)).body).toEqual(await row(bob, c.id));
    await t.api.put('/api/v1/users/me/preferences/threads', { collapsed_threads: true }, bob.token);
    expect(await row(bob, c.id)).toMatchObject({ unread_count: 0, mention_count: 0 });
  });

  it('sums the overview over team, direct and group channels', async () => {
    const fresh = await registerUser(t.api, 'fresh');
    const dm = await directChannel(t.api, alice, fresh);
    const g = (await t.api.post('/api/v1/channels', { channel_type: 'group', user_ids: [bob.id, fresh.id] }, alice.token)).body;
    await createPost(t.api, alice, dm.id, `hello @${fresh.username}`);
    await createPost(t.api, alice, dm.id, 'are you there?');
    await createPost(t.api, bob, g.id, 'hi all');
    const o = await overview(fresh);
    // Every unread message in a direct or group channel counts as a mention.
    expect(o.channels.map((r: any) => [r.channel_id, r.unread_count, r.mention_count])).toEqual(expect.arrayContaining([[dm.id, 2, 2], [g.id, 1, 1]]));
    expect(o.channels).toHaveLength(2);
    expect(o.total_unread).toBe(3);
    expect(o.total_mentions).toBe(3);
    expect(o.channels.find((r: any) => r.channel_id === dm.id).team_id).toBeNull();
  });

  it('marks everything read, reporting the channels that changed', async () => {
    const fresh = await registerUser(t.api, 'mark');
    const dm1 = await directChannel(t.api, alice, fresh);
    const dm2 = await directChannel(t.api, bob, fresh);
    const quiet = await directChannel(t.api, fresh, (await registerUser(t.api, 'quiet')));
    await createPost(t.api, alice, dm1.id, 'one');
    await createPost(t.api, bob, dm2.id, 'two');
    const res = await t.api.post('/api/v1/unreads/mark_all_read', undefined, fresh.token);
    expect(res.status).toBe(200);
    expect(res.body.channel_ids.sort()).toEqual([dm1.id, dm2.id].sort());
    expect(res.body.channel_ids).not.toContain(quiet.id);
    const after = await overview(fresh);
    expect(after).toMatchObject({ total_unread: 0, total_mentions: 0 });
    expect((await t.api.post('/api/v1/unreads/mark_all_read', undefined, fresh.token)).body.channel_ids).toEqual([]);
    // New posts count again from there.
    await createPost(t.api, alice, dm1.id, 'three');
    expect((await overview(fresh)).total_unread).toBe(1);
  });

  it('forgets the unreads of a channel I left', async () => {
    const c = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, c.id, bob);
    await createPost(t.api, alice, c.id, 'unread');
    expect(await row(bob, c.id)).toBeDefined();
    await t.api.delete(`/api/v1/channels/${c.id}/members/${bob.id}`, bob.token);
    expect(await row(bob, c.id)).toBeUndefined();
  });
});
