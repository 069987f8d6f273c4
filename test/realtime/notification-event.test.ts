/**
 * The notification decision reaches the desktop: after a post commits, each person whose
 * desktop the rules say to notify gets a `notification` event on their own connections
 * (user-addressed, next to the channel's shared `posted`); nobody else does, and nothing comes
 * for a muted channel or for a person in do-not-disturb. "Not delivered" is proven with a
 * private sentinel event, as in delivery.test.ts (per-connection order).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { socketsFor, type WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

describe.each(STORES)('notification event (%s)', (kind) => {
  let live: Live;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let pub: { id: string };
  let bobOwn: { id: string };
  let carolOwn: { id: string };
  const sockets = socketsFor(() => live.url);
  beforeAll(async () => {
    live = await listening(kind);
    t = live.t;
    [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser, TestUser];
    const team = await createTeam(t.api, alice);
    for (const u of [bob, carol]) await addTeamMember(t.api, alice, team.id, u);
    pub = await createChannel(t.api, alice, team.id);
    for (const u of [bob, carol]) await addChannelMember(t.api, alice, pub.id, u);
    bobOwn = await createChannel(t.api, bob, team.id, 'private');
    carolOwn = await createChannel(t.api, carol, team.id, 'private');
  });
  afterAll(async () => {
    sockets.closeAll();
    await live?.t.close();
  });

  const connect = (u: TestUser): Promise<WsClient> => sockets.connect(u);

  /** Proves `ws` got no `notification` for `postId`, once the decisions so far are written. */
  async function noneFor(ws: WsClient, u: TestUser, own: { id: string }, postId: string): Promise<void> {
    await t.app.services.notifications.idle();
    const mark = ws.events.length;
    expect((await t.api.post(`/api/v1/channels/${own.id}/read`, undefined, u.token)).status).toBe(200);
    await ws.waitForEvent('channel_viewed', (d) => d.channel_id === own.id, { from: mark });
    expect(ws.events.filter((e) => e.event === 'notification' && e.data.post_id === postId)).toEqual([]);
  }

  it('tells the person mentioned, and only them, with the reason and their sound setting', async () => {
    const [b, c] = [await connect(bob), await connect(carol)];
    expect((await t.api.put('/api/v1/users/me/preferences/notifications', { desktop_sound: false }, bob.token)).status).toBe(200);
    const post = await createPost(t.api, alice, pub.id, `hello @${bob.username}`);
    const got = await b.waitForEvent('notification', (d) => d.post_id === post.id);
    expect(got.data).toEqual({ post_id: post.id, channel_id: pub.id, root_id: null, team_id: expect.any(String), reason: 'mention', sender_name: alice.username, sound: false });
    expect(got.broadcast).toMatchObject({ user_id: bob.id });
    await noneFor(c, carol, carolOwn, post.id);
  });

  it('says nothing for a muted channel or during do-not-disturb', async () => {
    const b = await connect(bob);
    expect((await t.api.put(`/api/v1/channels/${pub.id}/members/me/mute`, undefined, bob.token)).status).toBe(200);
    const muted = await createPost(t.api, alice, pub.id, `@${bob.username} muted?`);
    await noneFor(b, bob, bobOwn, muted.id);
    expect((await t.api.delete(`/api/v1/channels/${pub.id}/members/me/mute`, bob.token)).status).toBe(200);
    expect((await b.send('presence', { status: 'dnd' })).status).toBe('OK');
    const dnd = await createPost(t.api, alice, pub.id, `@${bob.username} busy?`);
    await noneFor(b, bob, bobOwn, dnd.id);
    expect((await b.send('presence', { status: 'online' })).status).toBe('OK');
    const back = await createPost(t.api, alice, pub.id, `@${bob.username} back?`);
    await b.waitForEvent('notification', (d) => d.post_id === back.id);
  });

  it('reaches people for whom a plain post or a reply is their business: keywords, a channel set to all, a followed thread; not the others', async () => {
    // Newcomers with no preference rows at all: dave will set a keyword, erin keeps the defaults.
    const [dave, erin] = await Promise.all(['dave', 'erin'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser];
    const team = (await t.api.get(`/api/v1/channels/${pub.id}`, alice.token)).body.team_id as string;
    for (const u of [dave, erin]) {
      await addTeamMember(t.api, alice, team, u);
      await addChannelMember(t.api, alice, pub.id, u);
    }
    const [daveOwn, erinOwn] = [await createChannel(t.api, dave, team, 'private'), await createChannel(t.api, erin, team, 'private')];
    const [d, e] = [await connect(dave), await connect(erin)];
    expect((await t.api.put('/api/v1/users/me/preferences/notifications', { keywords: ['rollout'] }, dave.token)).status).toBe(200);
    const keyword = await createPost(t.api, alice, pub.id, 'the rollout starts now');
    expect((await d.waitForEvent('notification', (x) => x.post_id === keyword.id)).data).toMatchObject({ reason: 'keyword' });
    await noneFor(e, erin, erinOwn, keyword.id);
    // A thread erin follows (she replied), her preferences still the defaults: a later reply reaches her, not dave.
    const root = await createPost(t.api, alice, pub.id, 'thread root');
    await createPost(t.api, erin, pub.id, 'my reply', { root_post_id: root.id });
    const reply = await createPost(t.api, alice, pub.id, 'a later reply', { root_post_id: root.id });
    expect((await e.waitForEvent('notification', (x) => x.post_id === reply.id)).data).toMatchObject({ reason: 'thread' });
    await noneFor(d, dave, daveOwn, reply.id);
    // erin sets this channel's desktop to all: a plain post reaches her.
    expect((await t.api.put(`/api/v1/channels/${pub.id}/members/me/notify_props`, { desktop: 'all' }, erin.token)).status).toBe(200);
    const plain = await createPost(t.api, alice, pub.id, 'lunch?');
    expect((await e.waitForEvent('notification', (x) => x.post_id === plain.id)).data).toMatchObject({ reason: 'all' });
    await noneFor(d, dave, daveOwn, plain.id);
  });
});
