/**
 * Backpressure: a client that stops reading fills its socket, then its bounded queue; typing
 * is dropped before posts; a removal purges what is still queued; a client that stays behind
 * is cut off (it may resume) — and none of this slows down anybody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

const BIG = 'x'.repeat(16_000);
const QUEUE = 16;
const SOCKET_BYTES = 64 * 1024;

describe('backpressure', () => {
  let live: Live;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let open: { id: string };
  let secret: { id: string };

  beforeAll(async () => {
    live = await listening('sqlite', {
      env: { RUSTCHAT_WS_SEND_QUEUE_SIZE: String(QUEUE), RUSTCHAT_WS_SOCKET_BUFFER_BYTES: String(SOCKET_BYTES), RUSTCHAT_WS_MAX_ACTIONS_PER_SECOND: '100' },
    });
    alice = await registerUser(live.t.api, 'alice');
    bob = await registerUser(live.t.api, 'bob');
    carol = await registerUser(live.t.api, 'carol');
    dave = await registerUser(live.t.api, 'dave');
    const team = await createTeam(live.t.api, alice);
    for (const u of [bob, carol, dave]) await addTeamMember(live.t.api, alice, team.id, u);
    open = await createChannel(live.t.api, alice, team.id, 'public');
    secret = await createChannel(live.t.api, alice, team.id, 'private');
    for (const u of [bob, carol, dave]) {
      await addChannelMember(live.t.api, alice, open.id, u);
      await addChannelMember(live.t.api, alice, secret.id, u);
    }
  });
  afterAll(async () => live?.t.close());

  const hub = () => live.t.app.realtime.hub;

  /** Posts big messages until frames for `client` start waiting in its queue; returns the post ids. */
  async function fillSocket(client: WsClient, channelId: string): Promise<string[]> {
    const ids: string[] = [];
    while ((hub().inspect(client.connectionId!)?.queued ?? 0) < 1) {
      if (ids.length > 2000) throw new Error('the socket never filled up');
      ids.push((await createPost(live.t.api, alice, channelId, BIG)).id);
    }
    return ids;
  }

  it('drops typing before posts when a slow client\'s queue is full', async () => {
    const slow = await WsClient.connect(live.url, { token: bob.token });
    const typist = await WsClient.connect(live.url, { token: carol.token });
    const watcher = await WsClient.connect(live.url, { token: dave.token });
    slow.pauseReading();
    const filler = await fillSocket(slow, open.id);
    const queuedBefore = hub().inspect(slow.connectionId!)!.queued;
    // Ten typing indicators (distinct threads, so none is throttled) join the queue.
    const parents = Array.from({ length: 10 }, () => crypto.randomUUID());
    for (const parent_id of parents) expect((await typist.send('user_typing', { channel_id: open.id, parent_id })).status).toBe('OK');
    for (const parent_id of parents) await watcher.waitForEvent('typing', (d) => d.parent_id === parent_id);
    expect(hub().inspect(slow.connectionId!)!.queued).toBe(queuedBefore + 10);
    // Posts that overfill the queue push typing out, never a post.
    const room = QUEUE - queuedBefore;
    const more: string[] = [];
    for (let i = 0; i < room; i++) more.push((await createPost(live.t.api, alice, open.id, `important ${i}`)).id);
    expect(hub().inspect(slow.connectionId!)).toMatchObject({ state: 'live', queued: QUEUE });

    slow.resumeReading();
    await slow.waitForEvent('posted', (d) => d.post.id === more[more.length - 1], { timeout: 20_000 });
    const got = slow.named('posted').map((e) => (e.data as any).post.id);
    expect(got).toEqual([...filler, ...more]);
    const typing = slow.named('typing').length;
    expect(typing).toBe(10 - (queuedBefore + 10 + room - QUEUE));
    expect(typing).toBeLessThan(10);
    expect(slow.seqErrors).toEqual([]);
    for (const c of [slow, typist, watcher]) c.close();
  });

  it('purges queued frames of a channel the user is removed from', async () => {
    const slow = await WsClient.connect(live.url, { token: bob.token });
    slow.pauseReading();
    await fillSocket(slow, open.id);
    const queuedSecret: string[] = [];
    for (let i = 0; i < 5; i++) queuedSecret.push((await createPost(live.t.api, alice, secret.id, `secret ${i}`)).id);
    expect(hub().inspect(slow.connectionId!)!.queued).toBeGreaterThanOrEqual(6);
    expect((await live.t.api.delete(`/api/v1/channels/${secret.id}/members/${bob.id}`, alice.token)).status).toBe(200);
    const later = await createPost(live.t.api, alice, open.id, 'after the removal');
    slow.resumeReading();
    await slow.waitForEvent('posted', (d) => d.post.id === later.id, { timeout: 20_000 });
    const removedAt = slow.events.findIndex((e) => e.event === 'user_removed' && (e.data as any).channel_id === secret.id);
    expect(removedAt).toBeGreaterThan(0);
    const secretPosts = slow.events.filter((e) => e.event === 'posted' && (e.data as any).post.channel_id === secret.id);
    expect(secretPosts).toEqual([]);
    expect(slow.seqErrors).toEqual([]);
    slow.close();
    await addChannelMember(live.t.api, alice, secret.id, bob);
  });

  it('cuts off a client that stops reading, without delaying the others or growing without bound', async () => {
    const slow = await WsClient.connect(live.url, { token: bob.token });
    const fast1 = await WsClient.connect(live.url, { token: carol.token });
    const fast2 = await WsClient.connect(live.url, { token: dave.token });
    slow.pauseReading();
    const created = new Map<string, number>();
    let n = 0;
    while (hub().connectionState(slow.connectionId!) === 'live') {
      if (n++ > 2000) throw new Error('the slow client was never cut off');
      const p = await createPost(live.t.api, alice, open.id, BIG);
      created.set(p.id, Date.now());
      const state = hub().inspect(slow.connectionId!)!;
      // Bounded while it lasts: the queue never exceeds its size, the socket buffer stays near its mark;
      // once cut off, what is kept for a resume is bounded too.
      expect(state.queued).toBeLessThanOrEqual(state.state === 'live' ? QUEUE : 2 * QUEUE);
      expect(state.buffered).toBeLessThanOrEqual(SOCKET_BYTES + 2 * BIG.length);
    }
    expect(hub().connectionState(slow.connectionId!)).toBe('dormant');
    const cut = await live.t.app.metrics.wsDisconnects.get();
    expect(cut.values.find((v) => v.labels.reason === 'slow_consumer')?.value).toBeGreaterThanOrEqual(1);

    // The others got every post, each within a moment of its creation.
    const last = [...created.keys()].pop()!;
    for (const fast of [fast1, fast2]) {
      await fast.waitForEvent('posted', (d) => d.post.id === last);
      fast.events.forEach((e, i) => {
        if (e.event !== 'posted') return;
        const at = created.get((e.data as any).post.id);
        if (at !== undefined) expect(fast.arrivals[i]! - at).toBeLessThan(2000);
      });
      expect(fast.seqErrors).toEqual([]);
    }

    // The slow client notices, reconnects and resumes (or refetches after a new hello): never a silent gap.
    slow.resumeReading();
    await slow.waitClose(20_000);
    const back = await slow.resume(live.url, { token: bob.token });
    const tail = await createPost(live.t.api, alice, open.id, 'after the cut');
    await back.waitForEvent('posted', (d) => d.post.id === tail.id);
    expect([...slow.seqErrors, ...back.seqErrors]).toEqual([]);
    if (back.named('hello').length === 0) {
      const seen = new Set([...slow.named('posted'), ...back.named('posted')].map((e) => (e.data as any).post.id));
      for (const id of created.keys()) expect(seen.has(id)).toBe(true);
    }
    for (const c of [back, fast1, fast2]) c.close();
  });
});
