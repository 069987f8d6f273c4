/**
 * Several nodes in one process on the machine's real Redis (and, for the apps, one real
 * PostgreSQL database): the Redis bus (fan-out, echo suppression, gaps → resync), presence and
 * the connection cap across nodes, and a crashed node's connections expiring.
 *
 * Redis outages are made by killing the bus's own connections (CLIENT KILL): the shared Redis
 * other test runs use stays up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlMessage, EventMap, RealtimeEvent } from '../../src/domain/events.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { RedisBus } from '../../src/realtime/bus/redis.js';
import { Presence } from '../../src/realtime/presence.js';
import { strongSecret } from '../helpers/app.js';
import { addChannelMember, addTeamMember, createChannel, createPost, createTeam, registerUser, type TestUser } from '../helpers/factories.js';
import { REDIS_URL } from '../helpers/services.js';
import { refused, WsClient } from '../helpers/ws-client.js';
import { listening, until, type Live } from './helpers.js';

const silent = createLogger('silent');

/** Kills the Redis connections whose client name is `name` (what a Redis outage looks like to that connection). */
async function killConnection(admin: Redis, name: string): Promise<number> {
  const list = (await admin.call('CLIENT', 'LIST')) as string;
  let killed = 0;
  for (const line of list.split('\n')) {
    if (!line.includes(` name=${name} `)) continue;
    const id = /(?:^|\s)id=(\d+)/.exec(line)?.[1];
    if (id !== undefined) killed += Number(await admin.call('CLIENT', 'KILL', 'ID', id));
  }
  return killed;
}

class Recorder {
  readonly events: RealtimeEvent[] = [];
  readonly controls: ControlMessage[] = [];
  resyncs = 0;
  onEvent(e: RealtimeEvent): void {
    this.events.push(e);
  }
  onControl(m: ControlMessage): void {
    this.controls.push(m);
  }
  onResync(): void {
    this.resyncs++;
  }
}

const typing = (userId: string): RealtimeEvent<'typing'> => ({ event: 'typing', data: { user_id: userId, channel_id: randomUUID(), parent_id: null }, broadcast: { channel_id: randomUUID() } });

describe('Redis bus', () => {
  let admin: Redis;
  let prefix: string;
  let a: RedisBus;
  let b: RedisBus;
  const ra = new Recorder();
  const rb = new Recorder();
  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
    prefix = `rctest:${randomBytes(6).toString('hex')}:`;
    a = new RedisBus({ url: REDIS_URL, prefix, nodeId: 'node-a', logger: silent, metrics: new Metrics({ defaultMetrics: false }) });
    b = new RedisBus({ url: REDIS_URL, prefix, nodeId: 'node-b', logger: silent, metrics: new Metrics({ defaultMetrics: false }) });
    a.subscribe(ra);
    b.subscribe(rb);
    await a.start();
    await b.start();
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    admin?.disconnect();
  });

  it('delivers to local subscribers at once and to the other node once, never echoing back', async () => {
    const e = typing('u1');
    a.publish(e);
    expect(ra.events).toEqual([e]);
    await until(() => rb.events.length === 1, 5000, 'node b to receive the event');
    expect(rb.events[0]).toEqual(e);
    a.control({ kind: 'user_deactivated', userId: 'u1' });
    await until(() => rb.controls.length === 1, 5000, 'node b to receive the control message');
    // A message from b proves a's subscription is live: by then a's own echo would have arrived too.
    b.publish(typing('u2'));
    await until(() => ra.events.length === 2, 5000, 'node a to receive b\'s event');
    expect(ra.events.map((x) => (x.data as EventMap['typing']).user_id)).toEqual(['u1', 'u2']);
    expect(ra.controls).toHaveLength(1);
  });

  it('resyncs local clients when its subscription was interrupted, and keeps delivering after', async () => {
    const before = rb.resyncs;
    expect(await killConnection(admin, `${prefix}bus-sub:node-b`)).toBe(1);
    await until(() => rb.resyncs === before + 1, 10_000, 'node b to resync after resubscribing');
    const n = rb.events.length;
    a.publish(typing('after-gap'));
    await until(() => rb.events.length === n + 1, 5000, 'delivery after the gap');
    expect(ra.resyncs).toBe(0);
  });

  it('asks the other nodes to resync when one of its publishes could not be sent', async () => {
    const before = rb.resyncs;
    expect(await killConnection(admin, `${prefix}bus-pub:node-a`)).toBe(1);
    await until(() => !a.connected, 5000, 'node a to notice its publisher is gone');
    const lost = typing('lost');
    a.publish(lost);
    expect(ra.events).toContain(lost);
    await until(() => rb.resyncs === before + 1, 10_000, 'node b to be asked to resync');
    expect(rb.events).not.toContain(lost);
  });
});

describe('presence across nodes', () => {
  let admin: Redis;
  beforeAll(() => {
    admin = new Redis(REDIS_URL);
  });
  afterAll(() => admin?.disconnect());

  function presence(prefix: string, nodeId: string, redis: Redis, published: RealtimeEvent[], ttl = 1500): Presence {
    return new Presence({
      redis, prefix, nodeId, logger: silent, nodeTtlMs: ttl, heartbeatMs: 300,
      events: { publish: (e) => published.push(e), control: () => undefined },
      channelsOf: () => Promise.resolve(['channel-1']),
    });
  }

  it('counts connections cluster-wide for the cap and presence, and expires a crashed node', async () => {
    const prefix = `rctest:${randomBytes(6).toString('hex')}:`;
    const r1 = new Redis(REDIS_URL);
    const r2 = new Redis(REDIS_URL);
    await Promise.all([r1.ping(), r2.ping()]);
    const seen1: RealtimeEvent[] = [];
    const seen2: RealtimeEvent[] = [];
    const p1 = presence(prefix, 'n1', r1, seen1);
    const p2 = presence(prefix, 'n2', r2, seen2);
    // Only p2 runs its heartbeat: p1 is a node that will "crash" (stop answering) after connecting users.
    p2.start();
    try {
      expect(await p1.acquire('u', 2)).toBe(true);
      expect(seen1.map((e) => [e.event, e.data, e.broadcast])).toEqual([['status_change', { user_id: 'u', status: 'online' }, { user_id: 'u', channel_ids: ['channel-1'] }]]);
      expect(await p2.acquire('u', 2)).toBe(true);
      expect(await p2.acquire('u', 2)).toBe(false);
      expect(await p1.acquire('u', 2)).toBe(false);
      expect((await p2.presenceOf(['u', 'nobody'])).get('u')).toBe('online');
      expect(await p2.isOnline('u')).toBe(true);
      p2.release('u');
      expect(await p2.setStatus('u', 'away')).toBe('away');
      expect((await p1.presenceOf(['u'])).get('u')).toBe('away');
      // n1 stops heartbeating: after the TTL its connection no longer counts and n2 announces u offline.
      await until(async () => seen2.some((e) => e.event === 'status_change' && e.data.status === 'offline'), 10_000, 'n2 to expire n1');
      expect((await p2.presenceOf(['u'])).get('u')).toBe('offline');
      expect(await p2.acquire('u', 1)).toBe(true);
    } finally {
      await p2.close();
      // Leave nothing behind in the shared Redis.
      const keys = await r1.keys(`${prefix}*`);
      if (keys.length > 0) await r1.del(...keys);
      r1.disconnect();
      r2.disconnect();
    }
  });
});

describe('two nodes in one process', () => {
  let nodeA: Live;
  let nodeB: Live;
  let admin: Redis;
  let alice: TestUser;
  let bob: TestUser;
  let channel: { id: string };

  beforeAll(async () => {
    admin = new Redis(REDIS_URL);
    const shared = {
      RUSTCHAT_REDIS_URL: REDIS_URL,
      RUSTCHAT_REDIS_PREFIX: `rctest:${randomBytes(6).toString('hex')}:`,
      RUSTCHAT_JWT_SECRET: strongSecret(),
      RUSTCHAT_ENCRYPTION_KEY: strongSecret(),
      RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: '2',
    };
    nodeA = await listening('postgres', { env: shared });
    nodeB = await listening('postgres', { env: shared, databaseUrl: nodeA.t.config.database.url! });
    alice = await registerUser(nodeA.t.api, 'alice');
    bob = await registerUser(nodeA.t.api, 'bob');
    const team = await createTeam(nodeA.t.api, alice);
    await addTeamMember(nodeA.t.api, alice, team.id, bob);
    channel = await createChannel(nodeA.t.api, alice, team.id, 'private');
    await addChannelMember(nodeA.t.api, alice, channel.id, bob);
  });
  afterAll(async () => {
    await nodeB?.t.close();
    await nodeA?.t.close();
    admin?.disconnect();
  });

  it('delivers a post made on node A to a client on node B, once', async () => {
    const onB = await WsClient.connect(nodeB.url, { token: bob.token });
    const onA = await WsClient.connect(nodeA.url, { token: alice.token });
    const p = await createPost(nodeA.t.api, alice, channel.id, 'across the cluster');
    await onB.waitForEvent('posted', (d) => d.post.id === p.id);
    const q = await createPost(nodeB.t.api, bob, channel.id, 'and back');
    await onA.waitForEvent('posted', (d) => d.post.id === q.id);
    await onB.waitForEvent('posted', (d) => d.post.id === q.id);
    for (const c of [onA, onB]) {
      expect(c.named('posted').map((e) => (e.data as any).post.id)).toEqual([p.id, q.id]);
      expect(c.seqErrors).toEqual([]);
      c.close();
    }
  });

  it('shares presence and the connection cap between nodes', async () => {
    const one = await WsClient.connect(nodeA.url, { token: bob.token });
    expect((await nodeB.t.api.get(`/api/v1/users/${bob.id}/status`, alice.token)).body.status).toBe('online');
    const two = await WsClient.connect(nodeB.url, { token: bob.token });
    expect((await refused(nodeA.url, { token: bob.token })).body.error.code).toBe('TOO_MANY_CONNECTIONS');
    expect((await refused(nodeB.url, { token: bob.token })).body.error.code).toBe('TOO_MANY_CONNECTIONS');
    one.close();
    two.close();
    await until(async () => (await nodeB.t.api.get(`/api/v1/users/${bob.id}/status`, alice.token)).body.status === 'offline', 10_000, 'bob to be offline');
  });

  it('closes the socket on node B within two seconds of a logout on node A', async () => {
    const session = await nodeA.t.api.post('/api/v1/auth/login', { email: bob.email, password: bob.password });
    const onB = await WsClient.connect(nodeB.url, { token: session.body.token });
    const started = Date.now();
    expect((await nodeA.t.api.post('/api/v1/auth/logout', undefined, session.body.token)).status).toBe(200);
    expect((await onB.waitClose(2000)).code).toBe(1008);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives node B\'s clients a new hello after its Redis subscription dropped, then delivers again', async () => {
    const onB = await WsClient.connect(nodeB.url, { token: bob.token });
    const firstId = onB.connectionId;
    expect(await killConnection(admin, `${nodeB.t.config.redisPrefix}bus-sub:${nodeB.t.app.realtime.nodeId}`)).toBe(1);
    const hello = await onB.waitForEvent('hello', (d) => d.connection_id !== firstId, { timeout: 10_000 });
    expect(hello.seq).toBe(0);
    const p = await createPost(nodeA.t.api, alice, channel.id, 'after the outage');
    await onB.waitForEvent('posted', (d) => d.post.id === p.id);
    expect(onB.seqErrors).toEqual([]);
    onB.close();
  });
});
