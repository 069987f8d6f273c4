/**
 * Every event type reaches the users allowed to see it and nobody else, on both stores.
 *
 * "Nobody else" is shown without sleeping: after an action, each user who must NOT get its
 * event triggers a private sentinel event (marking their own channel read → channel_viewed to
 * them only). Delivery is ordered per connection, so once the sentinel has arrived, any event
 * addressed to them earlier would have arrived before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEventName } from '../../src/domain/events.js';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

interface Person {
  readonly user: TestUser;
  readonly ws: WsClient;
  /** A channel only this person's sentinel uses (their team's town square). */
  sentinel: string;
}

describe.each(STORES)('event delivery (%s)', (kind) => {
  let live: Live;
  let alice: Person;
  let bob: Person;
  let carol: Person;
  let dave: Person;
  let bob2: WsClient;
  let team: { id: string };
  let priv: { id: string };

  async function townSquare(teamId: string, user: TestUser): Promise<string> {
    const res = await live.t.api.get(`/api/v1/teams/${teamId}/channels`, user.token);
    return res.body.find((c: any) => c.name === 'town-square').id;
  }

  async function person(prefix: string): Promise<Person> {
    const user = await registerUser(live.t.api, prefix);
    return { user, ws: await WsClient.connect(live.url, { token: user.token }), sentinel: '' };
  }

  /** Proves that `p` did not receive an event matching `pred` (see the file comment). */
  async function notDelivered(p: Person, name: ServerEventName, pred: (data: any) => boolean = () => true): Promise<void> {
    const mark = p.ws.events.length;
    const res = await live.t.api.post(`/api/v1/channels/${p.sentinel}/read`, undefined, p.user.token);
    expect(res.status).toBe(200);
    await p.ws.waitForEvent('channel_viewed', (d) => d.channel_id === p.sentinel, { from: mark });
    expect(p.ws.events.filter((e) => e.event === name && pred(e.data)).map((e) => e.event)).toEqual([]);
  }

  async function onlyTo(yes: Person[], no: Person[], name: ServerEventName, pred: (data: any) => boolean = () => true): Promise<void> {
    for (const p of yes) await p.ws.waitForEvent(name, pred);
    for (const p of no) await notDelivered(p, name, pred);
  }

  beforeAll(async () => {
    live = await listening(kind);
    alice = await person('alice');
    bob = await person('bob');
    carol = await person('carol');
    dave = await person('dave');
    team = await createTeam(live.t.api, alice.user);
    await addTeamMember(live.t.api, alice.user, team.id, bob.user);
    await addTeamMember(live.t.api, alice.user, team.id, carol.user);
    const daveTeam = await createTeam(live.t.api, dave.user);
    for (const p of [alice, bob, carol]) p.sentinel = await townSquare(team.id, p.user);
    dave.sentinel = await townSquare(daveTeam.id, dave.user);
    priv = await createChannel(live.t.api, alice.user, team.id, 'private');
    await addChannelMember(live.t.api, alice.user, priv.id, bob.user);
    bob2 = await WsClient.connect(live.url, { token: bob.user.token });
  });
  afterAll(async () => live?.t.close());

  it('delivers a private channel\'s post events to its members only', async () => {
    const post = await createPost(live.t.api, alice.user, priv.id, 'secret plan');
    await onlyTo([alice, bob], [carol, dave], 'posted', (d) => d.post.id === post.id);
    const posted = bob.ws.events.find((e) => e.event === 'posted' && e.data.post.id === post.id)!;
    expect(posted).toMatchObject({ data: { channel_type: 'private', team_id: team.id, sender_name: alice.user.username, post: { message: 'secret plan' } }, broadcast: { channel_id: priv.id, team_id: '', user_id: '' } });
    await bob2.waitForEvent('posted', (d) => d.post.id === post.id);

    expect((await live.t.api.put(`/api/v1/posts/${post.id}`, { message: 'secret plan v2' }, alice.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'post_edited', (d) => d.post.id === post.id && d.post.message === 'secret plan v2');

    expect((await live.t.api.post(`/api/v1/posts/${post.id}/reactions`, { emoji_name: 'eyes' }, bob.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'reaction_added', (d) => d.reaction.post_id === post.id && d.reaction.user_id === bob.user.id);
    expect((await live.t.api.delete(`/api/v1/posts/${post.id}/reactions/eyes`, bob.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'reaction_removed', (d) => d.reaction.post_id === post.id);

    expect((await live.t.api.post(`/api/v1/posts/${post.id}/unread`, undefined, bob.user.token)).status).toBe(200);
    await onlyTo([bob], [alice, carol, dave], 'post_unread', (d) => d.post_id === post.id);
    await bob2.waitForEvent('post_unread', (d) => d.post_id === post.id);

    expect((await live.t.api.post(`/api/v1/channels/${priv.id}/read`, undefined, bob.user.token)).status).toBe(200);
    await onlyTo([bob], [alice, carol, dave], 'channel_viewed', (d) => d.channel_id === priv.id);

    expect((await live.t.api.delete(`/api/v1/posts/${post.id}`, alice.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'post_deleted', (d) => d.post.id === post.id && d.post.message === '');
  });

  it('lets only members send typing, delivers it to the other members, and stops it when they post', async () => {
    const denied = await carol.ws.send('user_typing', { channel_id: priv.id });
    expect(denied).toMatchObject({ status: 'FAIL', error: { code: 'NOT_FOUND' } });
    const ok = await bob.ws.send('user_typing', { channel_id: priv.id });
    expect(ok).toMatchObject({ status: 'OK' });
    await onlyTo([alice], [bob, carol, dave], 'typing', (d) => d.user_id === bob.user.id && d.channel_id === priv.id);
    await createPost(live.t.api, bob.user, priv.id, 'done typing');
    await onlyTo([alice], [bob, carol, dave], 'stop_typing', (d) => d.user_id === bob.user.id && d.channel_id === priv.id);
  });

  it('announces channels to those who can see them', async () => {
    const pub = await createChannel(live.t.api, alice.user, team.id, 'public');
    await onlyTo([alice, bob, carol], [dave], 'channel_created', (d) => d.channel.id === pub.id);
    const secret = await createChannel(live.t.api, alice.user, team.id, 'private');
    await onlyTo([alice], [bob, carol, dave], 'channel_created', (d) => d.channel.id === secret.id);

    expect((await live.t.api.patch(`/api/v1/channels/${priv.id}`, { header: 'new header' }, alice.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'channel_updated', (d) => d.channel.id === priv.id && d.channel.header === 'new header');
  });

  it('subscribes an added member at once and unsubscribes a removed one at once', async () => {
    await addChannelMember(live.t.api, alice.user, priv.id, carol.user);
    await onlyTo([alice, bob, carol], [dave], 'user_added', (d) => d.user_id === carol.user.id && d.channel_id === priv.id);
    const welcome = await createPost(live.t.api, alice.user, priv.id, 'welcome carol');
    await onlyTo([carol], [dave], 'posted', (d) => d.post.id === welcome.id);

    expect((await live.t.api.delete(`/api/v1/channels/${priv.id}/members/${carol.user.id}`, alice.user.token)).status).toBe(200);
    await onlyTo([alice, bob, carol], [dave], 'user_removed', (d) => d.user_id === carol.user.id && d.channel_id === priv.id);
    // The very next event of the channel no longer reaches her.
    const after = await createPost(live.t.api, alice.user, priv.id, 'carol is gone');
    await onlyTo([alice, bob], [carol, dave], 'posted', (d) => d.post.id === after.id);
    expect((await carol.ws.send('user_typing', { channel_id: priv.id })).status).toBe('FAIL');
  });

  it('subscribes both people of a new direct channel', async () => {
    const dm = await live.t.api.post('/api/v1/channels', { channel_type: 'direct', target_user_id: dave.user.id }, alice.user.token);
    expect(dm.status).toBe(201);
    await onlyTo([alice, dave], [bob, carol], 'channel_created', (d) => d.channel.id === dm.body.id);
    const hi = await createPost(live.t.api, dave.user, dm.body.id, 'hi alice');
    await onlyTo([alice, dave], [bob, carol], 'posted', (d) => d.post.id === hi.id);
  });

  it('sends status changes to the user and the people they share a channel with', async () => {
    const eve = await registerUser(live.t.api, 'eve');
    await addTeamMember(live.t.api, alice.user, team.id, eve);
    const eveWs = await WsClient.connect(live.url, { token: eve.token });
    await onlyTo([alice, bob, carol], [dave], 'status_change', (d) => d.user_id === eve.id && d.status === 'online');
    await eveWs.waitForEvent('status_change', (d) => d.user_id === eve.id && d.status === 'online');
    expect((await live.t.api.get(`/api/v1/users/${eve.id}/status`, dave.user.token)).body.status).toBe('online');

    expect(await eveWs.send('presence', { status: 'dnd' })).toMatchObject({ status: 'OK', data: { status: 'dnd' } });
    await onlyTo([alice, bob, carol], [dave], 'status_change', (d) => d.user_id === eve.id && d.status === 'dnd');
    expect((await live.t.api.get(`/api/v1/users/${eve.id}/status`, alice.user.token)).body.status).toBe('dnd');

    eveWs.close();
    await onlyTo([alice, bob, carol], [dave], 'status_change', (d) => d.user_id === eve.id && d.status === 'offline');
    expect((await live.t.api.get(`/api/v1/users/${eve.id}/status`, alice.user.token)).body.status).toBe('offline');
  });

  it('mentions online members for @here', async () => {
    const post = await createPost(live.t.api, alice.user, priv.id, 'look @here');
    const seen = (await bob.ws.waitForEvent('posted', (d) => d.post.id === post.id)).data as any;
    expect(seen.mentions).toEqual([bob.user.id]);
  });

  it('stops team events for a member who leaves the team', async () => {
    expect((await live.t.api.delete(`/api/v1/teams/${team.id}/members/${carol.user.id}`, alice.user.token)).status).toBe(200);
    await carol.ws.waitForEvent('user_removed', (d) => d.user_id === carol.user.id && d.channel_id === carol.sentinel);
    // Her sentinel channel is gone with the team: use a team of her own.
    const own = await createTeam(live.t.api, carol.user);
    carol.sentinel = await townSquare(own.id, carol.user);
    const pub = await createChannel(live.t.api, alice.user, team.id, 'public');
    await onlyTo([alice, bob], [carol, dave], 'channel_created', (d) => d.channel.id === pub.id);
  });

  it('announces an archived channel to its members', async () => {
    expect((await live.t.api.delete(`/api/v1/channels/${priv.id}`, alice.user.token)).status).toBe(200);
    await onlyTo([alice, bob], [carol, dave], 'channel_deleted', (d) => d.channel_id === priv.id);
  });

  it('numbered every event of every connection without a gap', () => {
    for (const c of [alice.ws, bob.ws, bob2, carol.ws, dave.ws]) expect(c.seqErrors).toEqual([]);
  });
});
