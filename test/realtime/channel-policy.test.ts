/**
 * WebSocket actions and delivery answer as REST does for the same channel, because both ask
 * the channel policy (services/access.ts): typing is answered like posting (404 → NOT_FOUND,
 * 403 → FORBIDDEN), and a channel's events reach exactly those who may read it as members.
 *
 * Cases: a private channel the caller is not in, one they left, one they were removed from,
 * and an archived one they still belong to (readable, so its events still arrive; not
 * writable, so typing is refused like posting and nobody sees a typing indicator).
 * Non-delivery is shown without sleeping, with the sentinel of delivery.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEventName } from '../../src/domain/events.js';
import { STORES } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, securityEvents, type Live } from './helpers.js';

interface Person {
  readonly user: TestUser;
  readonly ws: WsClient;
  sentinel: string;
}

/** The WebSocket answer that matches a REST status. */
const WS_FOR_REST: Record<number, string> = { 201: 'OK', 403: 'FORBIDDEN', 404: 'NOT_FOUND' };

describe.each(STORES)('WebSocket actions and delivery follow the channel policy (%s)', (kind) => {
  let live: Live;
  let alice: Person;
  let bob: Person;
  let team: { id: string };

  async function person(prefix: string): Promise<Person> {
    const user = await registerUser(live.t.api, prefix);
    return { user, ws: await WsClient.connect(live.url, { token: user.token }), sentinel: '' };
  }

  async function notDelivered(p: Person, name: ServerEventName, pred: (data: any) => boolean): Promise<void> {
    const mark = p.ws.events.length;
    expect((await live.t.api.post(`/api/v1/channels/${p.sentinel}/read`, undefined, p.user.token)).status).toBe(200);
    await p.ws.waitForEvent('channel_viewed', (d) => d.channel_id === p.sentinel, { from: mark });
    expect(p.ws.events.filter((e) => e.event === name && pred(e.data))).toEqual([]);
  }

  /** REST posting and WebSocket typing as `p` in `channelId`: the same answer. */
  async function sameAnswer(p: Person, channelId: string, expectedRest: number): Promise<void> {
    const rest = await live.t.api.post(`/api/v1/channels/${channelId}/posts`, { message: 'probe' }, p.user.token);
    expect(rest.status).toBe(expectedRest);
    const ws = await p.ws.send('user_typing', { channel_id: channelId });
    expect(ws.status === 'OK' ? 'OK' : ws.error.code).toBe(WS_FOR_REST[expectedRest]);
    if (ws.status === 'FAIL') expect(ws.error.message).toBe(rest.body.error.message);
  }

  async function privateWithBob(): Promise<string> {
    const ch = await createChannel(live.t.api, alice.user, team.id, 'private');
    await addChannelMember(live.t.api, alice.user, ch.id, bob.user);
    await bob.ws.waitForEvent('user_added', (d) => d.channel_id === ch.id && d.user_id === bob.user.id);
    return ch.id;
  }

  beforeAll(async () => {
    live = await listening(kind);
    alice = await person('alice');
    bob = await person('bob');
    team = await createTeam(live.t.api, alice.user);
    await addTeamMember(live.t.api, alice.user, team.id, bob.user);
    const channels = (await live.t.api.get(`/api/v1/teams/${team.id}/channels`, alice.user.token)).body as Array<{ id: string; name: string }>;
    const townSquare = channels.find((c) => c.name === 'town-square')!.id;
    alice.sentinel = townSquare;
    bob.sentinel = townSquare;
  });
  afterAll(async () => live?.t.close());

  it('as a member of a live channel: allowed both ways, and events arrive', async () => {
    const ch = await privateWithBob();
    await sameAnswer(bob, ch, 201);
    await alice.ws.waitForEvent('typing', (d) => d.channel_id === ch && d.user_id === bob.user.id);
  });

  it('a private channel the caller is not in: 404 / NOT_FOUND, nothing delivered', async () => {
    const ch = await createChannel(live.t.api, alice.user, team.id, 'private');
    await sameAnswer(bob, ch.id, 404);
    const post = await createPost(live.t.api, alice.user, ch.id, 'not for bob');
    await notDelivered(bob, 'posted', (d) => d.post.id === post.id);
    await notDelivered(alice, 'typing', (d) => d.channel_id === ch.id);
  });

  it('a public channel of the team the caller has not joined: readable, so 403 / FORBIDDEN', async () => {
    const ch = await createChannel(live.t.api, alice.user, team.id, 'public');
    expect((await live.t.api.get(`/api/v1/channels/${ch.id}/posts`, bob.user.token)).status).toBe(200);
    await sameAnswer(bob, ch.id, 403);
  });

  it('a channel the caller left: 404 / NOT_FOUND, nothing delivered', async () => {
    const ch = await privateWithBob();
    expect((await live.t.api.delete(`/api/v1/channels/${ch}/members/${bob.user.id}`, bob.user.token)).status).toBe(200);
    await bob.ws.waitForEvent('user_removed', (d) => d.channel_id === ch && d.user_id === bob.user.id);
    await sameAnswer(bob, ch, 404);
    const post = await createPost(live.t.api, alice.user, ch, 'after bob left');
    await notDelivered(bob, 'posted', (d) => d.post.id === post.id);
    await notDelivered(alice, 'typing', (d) => d.channel_id === ch && d.user_id === bob.user.id);
  });

  it('a channel the caller was removed from: 404 / NOT_FOUND, nothing delivered', async () => {
    const ch = await privateWithBob();
    expect((await live.t.api.delete(`/api/v1/channels/${ch}/members/${bob.user.id}`, alice.user.token)).status).toBe(200);
    await bob.ws.waitForEvent('user_removed', (d) => d.channel_id === ch && d.user_id === bob.user.id);
    await sameAnswer(bob, ch, 404);
    const post = await createPost(live.t.api, alice.user, ch, 'after bob was removed');
    await notDelivered(bob, 'posted', (d) => d.post.id === post.id);
  });

  it('an archived channel the caller belongs to: readable (its events arrive), not writable (403 / FORBIDDEN, no typing shown)', async () => {
    const ch = await privateWithBob();
    expect((await live.t.api.delete(`/api/v1/channels/${ch}`, alice.user.token)).status).toBe(200);
    await bob.ws.waitForEvent('channel_deleted', (d) => d.channel_id === ch);
    expect((await live.t.api.get(`/api/v1/channels/${ch}/posts`, bob.user.token)).status).toBe(200);
    const denials = securityEvents(live.t, 'access_denied').length;
    await sameAnswer(bob, ch, 403);
    // Both refusals (REST and WebSocket) are access_denied events.
    expect(securityEvents(live.t, 'access_denied').length).toBe(denials + 2);
    await notDelivered(alice, 'typing', (d) => d.channel_id === ch);
  });
});
