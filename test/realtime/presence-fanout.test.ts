/**
 * Presence reaches the people a user shares a channel with, but not through channels with
 * more people online than RUSTCHAT_WS_PRESENCE_FANOUT_LIMIT (one change times everyone in a
 * huge channel is n² work); those people load presence on demand over REST.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannelMember, addTeamMember, createChannel, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

describe('presence fan-out limit', () => {
  let live: Live;
  const ws: WsClient[] = [];
  afterAll(async () => {
    for (const w of ws) w.close();
    await live?.t.close();
  });

  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let eve: TestUser;
  let carolSentinel: string;

  beforeAll(async () => {
    live = await listening('sqlite', { env: { RUSTCHAT_WS_PRESENCE_FANOUT_LIMIT: '3' } });
    const { api } = live.t;
    alice = await registerUser(api, 'alice');
    bob = await registerUser(api, 'bob');
    carol = await registerUser(api, 'carol');
    dave = await registerUser(api, 'dave');
    eve = await registerUser(api, 'eve');
    const team = await createTeam(api, alice);
    for (const u of [bob, carol, dave, eve]) await addTeamMember(api, alice, team.id, u);
    // Eve and Bob share a small private channel; Eve and Dave a direct channel; Carol shares
    // only the town square (five members, all online: over the limit of three).
    const small = await createChannel(api, bob, team.id, 'private');
    await addChannelMember(api, bob, small.id, eve);
    expect((await api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: dave.id }, eve.token)).status).toBe(201);
    // Carol's own channel, for the "nothing arrived" sentinel.
    carolSentinel = (await createChannel(api, carol, team.id, 'private')).id;
  });

  it('sends status_change to co-members of small channels and direct partners, not through a crowded channel', async () => {
    const [a, b, c, d] = await Promise.all([alice, bob, carol, dave].map((u) => WsClient.connect(live.url, { token: u.token })));
    ws.push(a!, b!, c!, d!);
    const e = await WsClient.connect(live.url, { token: eve.token });
    ws.push(e);
    const online = (data: any) => data.user_id === eve.id && data.status === 'online';
    await e.waitForEvent('status_change', online);
    await b!.waitForEvent('status_change', online);
    await d!.waitForEvent('status_change', online);
    // Carol: her own channel_viewed comes after anything addressed to her before it.
    const mark = c!.events.length;
    expect((await live.t.api.post(`/api/v1/channels/${carolSentinel}/read`, undefined, carol.token)).status).toBe(200);
    await c!.waitForEvent('channel_viewed', (data) => data.channel_id === carolSentinel, { from: mark });
    expect(c!.events.filter((ev) => ev.event === 'status_change' && online(ev.data))).toEqual([]);
    // She can still read Eve's presence when she shows her.
    expect((await live.t.api.post('/api/v1/users/status/ids', [eve.id], carol.token)).body).toEqual([{ user_id: eve.id, status: 'online' }]);
  });
});
