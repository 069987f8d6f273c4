/**
 * The end-to-end cluster check: two real server processes on one PostgreSQL database and one
 * Redis, two "browsers" (scripted `ws` clients plus REST calls) on different nodes chatting in
 * real time. Mid-conversation one browser's network is pulled (a proxy swallows its traffic
 * without closing anything); it notices a ping going unanswered, reconnects with
 * `connection_id` + `sequence_number` and loses nothing. Then a logout on node A closes a
 * socket on node B, and stopping node B closes its sockets with 1001.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cluster, http, type Cluster, type NodeProcess } from '../helpers/nodes.js';
import { PullableProxy } from '../helpers/tcp-proxy.js';
import { WsClient } from '../helpers/ws-client.js';

interface Browser {
  readonly name: string;
  readonly rest: string;
  readonly wsBase: string;
  readonly token: string;
  readonly id: string;
  sockets: WsClient[];
}

const current = (b: Browser): WsClient => b.sockets[b.sockets.length - 1]!;
const postedIds = (b: Browser): string[] => b.sockets.flatMap((s) => s.named('posted').map((e) => (e.data as any).post.id as string));

async function register(rest: string, name: string): Promise<{ token: string; id: string; email: string; password: string }> {
  const username = `${name}${Date.now() % 1_000_000}`;
  const password = `pw-${Math.random().toString(36).slice(2)}-long`;
  const email = `${username}@example.com`;
  expect((await http(rest, 'POST', '/api/v1/auth/register', { username, email, password })).status).toBe(202);
  const res = await http(rest, 'POST', '/api/v1/auth/login', { email, password });
  expect(res.status).toBe(200);
  return { token: res.body.token, id: res.body.user.id, email, password };
}

describe('two server processes', () => {
  let c: Cluster;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  let proxyA: PullableProxy;
  let alice: Browser;
  let bob: Browser;
  let bobAccount: { email: string; password: string };
  let channelId: string;
  const sent: string[] = [];

  async function say(from: Browser, text: string): Promise<string> {
    const res = await http(from.rest, 'POST', `/api/v1/channels/${channelId}/posts`, { message: text }, from.token);
    expect(res.status).toBe(201);
    sent.push(res.body.id);
    return res.body.id as string;
  }

  beforeAll(async () => {
    c = await cluster();
    // One after the other: two first starts racing on a fresh database hit a known migration race
    // (CREATE TABLE IF NOT EXISTS schema_migrations runs before the advisory lock is taken).
    nodeA = await c.start();
    nodeB = await c.start();
    proxyA = await PullableProxy.start(nodeA.url);
    const a = await register(nodeA.url, 'alice');
    const b = await register(nodeB.url, 'bob');
    bobAccount = b;
    // Alice's browser talks to node A through a network that can be pulled; Bob's talks to node B.
    alice = { name: 'alice', rest: nodeA.url, wsBase: proxyA.url, token: a.token, id: a.id, sockets: [] };
    bob = { name: 'bob', rest: nodeB.url, wsBase: nodeB.url, token: b.token, id: b.id, sockets: [] };
    const team = await http(nodeA.url, 'POST', '/api/v1/teams', { name: `t${Date.now()}`, display_name: 'Team' }, a.token);
    expect(team.status).toBe(201);
    expect((await http(nodeA.url, 'POST', `/api/v1/teams/${team.body.id}/members`, { user_id: b.id }, a.token)).status).toBe(201);
    const channel = await http(nodeA.url, 'POST', '/api/v1/channels', { team_id: team.body.id, name: 'pair', channel_type: 'private' }, a.token);
    expect(channel.status).toBe(201);
    channelId = channel.body.id;
    expect((await http(nodeA.url, 'POST', `/api/v1/channels/${channelId}/members`, { user_id: b.id }, a.token)).status).toBe(201);
    alice.sockets.push(await WsClient.connect(alice.wsBase, { token: alice.token, via: 'protocol' }));
    bob.sockets.push(await WsClient.connect(bob.wsBase, { token: bob.token, via: 'protocol' }));
  }, 180_000);

  afterAll(async () => {
    for (const b of [alice, bob]) for (const s of b?.sockets ?? []) s.terminate();
    await proxyA?.close();
    await c?.close();
  }, 60_000);

  it('lets two browsers on two nodes chat in real time, and loses nothing when one loses its network', async () => {
    for (let i = 0; i < 4; i++) {
      const fromAlice = await say(alice, `alice says ${i}`);
      await current(bob).waitForEvent('posted', (d) => d.post.id === fromAlice);
      const fromBob = await say(bob, `bob says ${i}`);
      await current(alice).waitForEvent('posted', (d) => d.post.id === fromBob);
    }

    // Alice's network goes away mid-conversation; Bob keeps talking.
    proxyA.pull();
    const whileGone: string[] = [];
    for (let i = 0; i < 5; i++) whileGone.push(await say(bob, `are you there? ${i}`));
    // Her client notices: its ping goes unanswered.
    await expect(current(alice).send('ping', undefined, 1500)).rejects.toThrow(/no reply/);
    const dead = current(alice);
    dead.terminate();
    alice.sockets.push(await dead.resume(alice.wsBase, { token: alice.token, via: 'protocol' }));
    await current(alice).waitForEvent('posted', (d) => d.post.id === whileGone[4]);
    expect(current(alice).named('hello')).toEqual([]);

    for (let i = 0; i < 3; i++) {
      const fromAlice = await say(alice, `back again ${i}`);
      await current(bob).waitForEvent('posted', (d) => d.post.id === fromAlice);
      const fromBob = await say(bob, `welcome back ${i}`);
      await current(alice).waitForEvent('posted', (d) => d.post.id === fromBob);
    }

    // Each browser saw every message exactly once, in order, with no seq gap. (Bob's own last
    // post reaches his socket from node B while Alice's copy crosses Redis: wait for both.)
    await current(bob).waitForEvent('posted', (d) => d.post.id === sent[sent.length - 1]);
    expect(postedIds(alice)).toEqual(sent);
    expect(postedIds(bob)).toEqual(sent);
    for (const s of [...alice.sockets, ...bob.sockets]) expect(s.seqErrors).toEqual([]);
    const history = await http(nodeB.url, 'GET', `/api/v1/channels/${channelId}/posts?limit=100`, undefined, bob.token);
    expect(history.body.messages.map((p: any) => p.id).reverse()).toEqual(sent);
  });

  it('closes a socket on node B within two seconds of a logout on node A', async () => {
    const login = await http(nodeA.url, 'POST', '/api/v1/auth/login', { email: bobAccount.email, password: bobAccount.password });
    expect(login.status).toBe(200);
    const onB = await WsClient.connect(nodeB.url, { token: login.body.token });
    const started = Date.now();
    expect((await http(nodeA.url, 'POST', '/api/v1/auth/logout', undefined, login.body.token)).status).toBe(200);
    expect((await onB.waitClose(2000)).code).toBe(1008);
    expect(Date.now() - started).toBeLessThan(2000);
    // Bob's other session on node B is untouched.
    expect((await current(bob).send('ping')).status).toBe('OK');
  });

  it('closes sockets with 1001 when a node shuts down; the client moves to the other node and refetches', async () => {
    const stopping = nodeB.stop();
    expect((await current(bob).waitClose(15_000)).code).toBe(1001);
    expect(await stopping).toBe(0);
    const moved = await current(bob).resume(nodeA.url, { token: bob.token });
    bob.sockets.push(moved);
    // Node A never had that connection: a new hello tells the client to refetch.
    await moved.waitForEvent('hello', (d) => d.connection_id !== bob.sockets[0]!.connectionId);
    const p = await say(alice, 'still here?');
    await moved.waitForEvent('posted', (d) => d.post.id === p);
  });
});
