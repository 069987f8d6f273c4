/**
 * A person's notification preferences for a channel follow them to every device: muting,
 * unmuting or changing a channel's levels sends `channel_notify_props_changed` to their own
 * connections only (the web client draws the channel muted everywhere at once). "Not
 * delivered" is proven with a private sentinel event, as in notification-event.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, type TestApp } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { socketsFor, type WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

describe.each(STORES)('channel_notify_props_changed (%s)', (kind) => {
  let live: Live;
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let pub: { id: string };
  let aliceOwn: { id: string };
  const sockets = socketsFor(() => live.url);
  beforeAll(async () => {
    live = await listening(kind);
    t = live.t;
    [alice, bob] = await Promise.all(['alice', 'bob'].map((n) => registerUser(t.api, n))) as [TestUser, TestUser];
    const team = await createTeam(t.api, alice);
    await addTeamMember(t.api, alice, team.id, bob);
    pub = await createChannel(t.api, alice, team.id);
    await addChannelMember(t.api, alice, pub.id, bob);
    aliceOwn = await createChannel(t.api, alice, team.id, 'private');
  });
  afterAll(async () => {
    sockets.closeAll();
    await live?.t.close();
  });

  const connect = (u: TestUser): Promise<WsClient> => sockets.connect(u);

  it('reaches every connection of the person, with the new preferences, and nobody else', async () => {
    const [phone, desktop, other] = [await connect(bob), await connect(bob), await connect(alice)];
    const muted = await t.api.put(`/api/v1/channels/${pub.id}/members/me/mute`, undefined, bob.token);
    expect(muted.status).toBe(200);
    for (const ws of [phone, desktop]) {
      const ev = await ws.waitForEvent('channel_notify_props_changed', (d) => d.channel_id === pub.id && d.props.mark_unread === 'mention');
      expect(ev.data).toEqual({ channel_id: pub.id, props: muted.body });
      expect(ev.broadcast).toMatchObject({ user_id: bob.id });
    }
    const changed = await t.api.put(`/api/v1/channels/${pub.id}/members/me/notify_props`, { push: 'none', mark_unread: 'all' }, bob.token);
    expect(changed.status).toBe(200);
    const ev = await desktop.waitForEvent('channel_notify_props_changed', (d) => d.channel_id === pub.id && d.props.push === 'none');
    expect(ev.data).toEqual({ channel_id: pub.id, props: changed.body });

    // Alice, in the same channel, heard nothing of it (her own read marker comes after).
    const mark = other.events.length;
    expect((await t.api.post(`/api/v1/channels/${aliceOwn.id}/read`, undefined, alice.token)).status).toBe(200);
    await other.waitForEvent('channel_viewed', (d) => d.channel_id === aliceOwn.id, { from: mark });
    expect(other.events.filter((e) => e.event === 'channel_notify_props_changed')).toEqual([]);
  });

  it('a refused change (a channel they cannot see) sends nothing', async () => {
    const outsider = await registerUser(t.api, 'outsider');
    const ws = await connect(outsider);
    // Not in the team: the channel is not even visible to them.
    expect((await t.api.put(`/api/v1/channels/${pub.id}/members/me/mute`, undefined, outsider.token)).status).toBe(404);
    const own = await createTeam(t.api, outsider);
    const ownChannel = await createChannel(t.api, outsider, own.id, 'private');
    const mark = ws.events.length;
    expect((await t.api.post(`/api/v1/channels/${ownChannel.id}/read`, undefined, outsider.token)).status).toBe(200);
    await ws.waitForEvent('channel_viewed', (d) => d.channel_id === ownChannel.id, { from: mark });
    expect(ws.events.filter((e) => e.event === 'channel_notify_props_changed')).toEqual([]);
  });
});
