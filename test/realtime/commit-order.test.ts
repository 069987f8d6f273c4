/**
 * A channel's posts reach clients in commit order even when they were written by different
 * processes on one database (one SQLite file; one PostgreSQL database) and the bus between
 * them delivers out of order.
 *
 * Two real apps, A and B, share the database and the secrets. The "bus between processes" is
 * the test: it forwards what each publishes to the other's bus, and can hold A's events on
 * their way to B, which is what a slow route between processes looks like (B delivers its own
 * events on the same tick). A client is connected to B. A post committed by A is held back; B then commits a
 * later post to the same channel; B's client must not see B's post until A's has arrived,
 * and then sees both in commit order. "Not yet" is shown without sleeping: a private
 * sentinel event (the client marks its channel read → channel_viewed to it alone) passes the
 * ordering layer at once, and delivery is ordered per connection, so once the sentinel is in,
 * an event handed to the hub before it would be in too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../src/domain/events.js';
import { STORES, startApp, strongSecret, type TestApp } from '../helpers/app.js';
import { createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { WsClient } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

describe.each(STORES)('channel commit order across processes (%s)', (kind) => {
  let a: TestApp;
  let b: Live;
  let alice: TestUser;
  let channel: { id: string };
  let ws: WsClient;
  /** A's events on their way to B; `hold` keeps them here until released. */
  const held: RealtimeEvent[] = [];
  let hold = false;

  beforeAll(async () => {
    // One set of secrets: a token A issued is good on B, as between the processes of one deployment.
    const env = { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_ENCRYPTION_KEY: strongSecret() };
    // A gap is never skipped here (60 s): the order seen is the order of the stamps.
    a = await startApp(kind, { env, eventOrderGapMs: 60_000 });
    b = await listening(kind, { env, dataDir: a.dataDir, ...(a.config.database.url !== undefined ? { databaseUrl: a.config.database.url } : {}), eventOrderGapMs: 60_000 });
    // What one process hands to the other: each message once (a forwarded one comes back
    // through the receiver's subscribers, and must not go round again).
    const forwarded = new WeakSet<object>();
    const link = (from: TestApp, to: TestApp, toB: boolean) => from.app.bus.subscribe({
      onEvent: (event) => {
        if (forwarded.has(event)) return;
        forwarded.add(event);
        if (toB && hold) held.push(event);
        else to.app.bus.publish(event);
      },
      onControl: (message) => {
        if (forwarded.has(message)) return;
        forwarded.add(message);
        to.app.bus.control(message);
      },
    });
    link(a, b.t, true);
    link(b.t, a, false);
    alice = await registerUser(b.t.api, 'alice');
    const team = await createTeam(b.t.api, alice);
    channel = await createChannel(b.t.api, alice, team.id);
    ws = await WsClient.connect(b.url, { token: alice.token });
  });
  afterAll(async () => {
    ws?.ws.close();
    await b?.t.close();
    await a?.close();
  });

  const posted = () => ws.named('posted').map((e) => (e.data as { post: { message: string } }).post.message);
  async function sentinel(): Promise<void> {
    const from = ws.events.length;
    expect((await b.t.api.post(`/api/v1/channels/${channel.id}/read`, {}, alice.token)).status).toBeLessThan(300);
    await ws.waitFor((e) => e.event === 'channel_viewed', { from, what: 'the sentinel' });
  }

  it('holds a later post of B until the earlier post of A arrives, then delivers both in commit order', async () => {
    // B has seen the channel: its order starts here.
    await createPost(b.t.api, alice, channel.id, 'zero (B)');
    await ws.waitForEvent('posted', (d) => d.post.message === 'zero (B)');

    hold = true;
    const first = await createPost(a.api, alice, channel.id, 'one (A)');
    const second = await createPost(b.t.api, alice, channel.id, 'two (B)');
    expect(second.seq).toBeGreaterThan(first.seq);
    expect(held.map((e) => e.event)).toEqual(['posted']);
    const stamp = held[0]!.order!;
    expect(stamp).toEqual({ channel_id: channel.id, from: stamp.from, to: stamp.from });

    await sentinel();
    expect(posted()).toEqual(['zero (B)']);

    hold = false;
    for (const event of held.splice(0)) b.t.app.bus.publish(event);
    await ws.waitForEvent('posted', (d) => d.post.message === 'two (B)');
    expect(posted()).toEqual(['zero (B)', 'one (A)', 'two (B)']);
    expect(ws.seqErrors).toEqual([]);
  });

  it('orders an edit after the post it edits, whichever process wrote each', async () => {
    hold = true;
    const post = await createPost(a.api, alice, channel.id, 'draft (A)');
    expect((await b.t.api.put(`/api/v1/posts/${post.id}`, { message: 'final (B)' }, alice.token)).status).toBe(200);
    await sentinel();
    expect(ws.named('post_edited').filter((e) => (e.data as { post: { id: string } }).post.id === post.id)).toEqual([]);

    hold = false;
    for (const event of held.splice(0)) b.t.app.bus.publish(event);
    const edited = await ws.waitForEvent('post_edited', (d) => d.post.id === post.id);
    const created = ws.events.findIndex((e) => e.event === 'posted' && (e.data as { post: { id: string } }).post.id === post.id);
    expect(created).toBeGreaterThan(-1);
    expect(created).toBeLessThan(ws.events.indexOf(edited));
  });

  it('never shows a client the stamp', () => {
    for (const e of ws.events) expect(Object.keys(e).sort()).toEqual(['broadcast', 'data', 'event', 'seq']);
  });
});
