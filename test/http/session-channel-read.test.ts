/**
 * A request on a channel (the routes with `channelParam`: read a channel, its posts, its unread
 * counts, mark it read, post in it) reads its session and the caller's access row for the
 * channel in one statement (services/sessions.ts authenticate → SessionStore.getWithUserAndChannel),
 * and Access.channel decides from that row instead of reading it again — once per request,
 * never inside a transaction, never for another channel. On PostgreSQL, where every statement
 * is a round trip, a plain post is then three statements in all; counted here with the real
 * driver, so that a statement added to the hot path fails this test.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { createPost, envelope, makeSystemAdmin, registerUser, twoInAChannel, type TestUser } from '../helpers/factories.js';
import { CHANNEL_READ_FRESH_MS } from '../../src/services/access.js';
import type { CallContext } from '../../src/services/context.js';

/** The SQL texts `pg` sends while `fn` runs (every client of every pool in this process). */
async function statementsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: pg.Client, ...args: unknown[]): unknown {
    const q = args[0];
    seen.push(typeof q === 'string' ? q : ((q as { text?: string } | undefined)?.text ?? ''));
    return original.apply(this, args);
  };
  try {
    await fn();
  } finally {
    proto.query = original;
  }
  return seen.map((s) => s.replace(/\s+/g, ' ').trim());
}

describe.each(STORES)('the session and the channel read in one statement (%s)', (kind) => {
  let t: TestApp;
  let alice: TestUser;
  let bob: TestUser;
  let channel: { id: string };
  /** The services' clock, moved by the tests. */
  let now = Date.now();

  beforeAll(async () => {
    t = await startApp(kind, { clock: () => now });
    ({ alice, bob, channel } = await twoInAChannel(t.api));
  });
  afterAll(async () => t?.close());

  it('decides from the row read with the session: members post and read, someone removed is refused at once', async () => {
    const post = await createPost(t.api, bob, channel.id, 'still here');
    expect((await t.api.get(`/api/v1/channels/${channel.id}/posts`, bob.token)).body.messages.map((p: { id: string }) => p.id)).toContain(post.id);
    expect((await t.api.post(`/api/v1/channels/${channel.id}/read`, undefined, bob.token)).status).toBe(200);
    expect((await t.api.delete(`/api/v1/channels/${channel.id}/members/${bob.id}`, alice.token)).status).toBe(200);
    // Public channel, same team: bob may still read it, no longer post or have a read position.
    expect(envelope(await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'gone' }, bob.token))).toMatchObject({ status: 403 });
    expect((await t.api.get(`/api/v1/channels/${channel.id}/posts`, bob.token)).status).toBe(200);
    // An unknown channel and a malformed id are what they were.
    expect(envelope(await t.api.post(`/api/v1/channels/${randomUUID()}/posts`, { message: 'x' }, alice.token))).toMatchObject({ status: 404 });
    expect((await t.api.post('/api/v1/channels/not-a-uuid/posts', { message: 'x' }, alice.token)).status).toBe(400);
    expect((await t.api.post(`/api/v1/channels/${channel.id}/members`, { user_id: bob.id }, alice.token)).status).toBe(201);
  });

  it('uses the row once, for its own channel, while fresh, outside transactions only', async () => {
    const access = t.app.services.access;
    const stranger = await t.app.store.users.get(bob.id);
    const real = await t.app.store.channels.getAccess(channel.id, bob.id);
    expect(real?.member).toBeDefined();
    // A row that says bob is not in the team or the channel, as if read with his session just before he was added.
    const stale = { ...real!, member: undefined, teamMember: undefined };
    const read = (readAt = now): CallContext['channel'] => ({ id: channel.id, row: stale, readAt });
    const ctxWith = (r: CallContext['channel']): CallContext => ({ actor: { userId: stranger!.id, username: stranger!.username, role: stranger!.role, sessionId: randomUUID() }, ip: '127.0.0.1', requestId: randomUUID(), channel: r });
    const first = read();
    // Decided from the row (not his team: 404)...
    await expect(access.channel(ctxWith(first), channel.id, 'post')).rejects.toMatchObject({ status: 404 });
    // ...once: the same request again (contexts share the read) reads the store, where he is a member.
    expect((await access.channel(ctxWith(first), channel.id, 'post')).member?.user_id).toBe(bob.id);
    // Another channel's id never uses it.
    await expect(access.channel(ctxWith(read()), randomUUID(), 'read')).rejects.toMatchObject({ status: 404 });
    // A transaction reads its own, and uses the read up: a later decision outside it reads again.
    const inTx = read();
    expect((await t.app.store.transaction((tx) => access.channel(ctxWith(inTx), channel.id, 'post', tx))).member?.user_id).toBe(bob.id);
    expect((await access.channel(ctxWith(inTx), channel.id, 'post')).member?.user_id).toBe(bob.id);
    // Older than CHANNEL_READ_FRESH_MS: read again.
    expect((await access.channel(ctxWith(read(now - CHANNEL_READ_FRESH_MS - 1)), channel.id, 'post')).member?.user_id).toBe(bob.id);
    await expect(access.channel(ctxWith(read(now - CHANNEL_READ_FRESH_MS)), channel.id, 'post')).rejects.toMatchObject({ status: 404 });
  });

  it('refuses a post whose body arrived after its author was removed: the row read with the session is too old by then', async () => {
    const { alice: owner, bob: member, channel: secret } = await twoInAChannel(t.api, 'private');
    const { port } = await t.app.listen();
    // Resolved once the server has read the session and the access row (before the body).
    const sessions = t.app.store.sessions;
    const original = sessions.getWithUserAndChannel.bind(sessions);
    let readDone!: () => void;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    sessions.getWithUserAndChannel = async (...args) => {
      const found = await original(...args);
      readDone();
      return found;
    };
    const socket = connect(port, '127.0.0.1');
    try {
      await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      let answer = '';
      const answered = new Promise<string>((resolve) => socket.on('data', (d: Buffer) => {
        answer += d.toString('utf8');
        if (answer.includes('\r\n\r\n')) resolve(answer.split('\r\n')[0]!);
      }));
      const body = JSON.stringify({ message: 'posted after removal' });
      socket.write(`POST /api/v1/channels/${secret.id}/posts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${member.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      await read;
      expect((await t.api.delete(`/api/v1/channels/${secret.id}/members/${member.id}`, owner.token)).status).toBe(200);
      now += CHANNEL_READ_FRESH_MS + 1;
      socket.write(body);
      expect(await answered).toBe('HTTP/1.1 404 Not Found');
    } finally {
      sessions.getWithUserAndChannel = original;
      socket.destroy();
    }
    const page = await t.api.get(`/api/v1/channels/${secret.id}/posts`, owner.token);
    expect(page.body.messages.map((p: { message: string }) => p.message)).not.toContain('posted after removal');
  });

  it('refuses a revoked session and a deactivated account on a channel route', async () => {
    const { alice: owner, bob: member, channel: room } = await twoInAChannel(t.api);
    expect((await t.api.post('/api/v1/auth/logout', undefined, member.token)).status).toBeLessThan(300);
    expect(envelope(await t.api.post(`/api/v1/channels/${room.id}/posts`, { message: 'after logout' }, member.token))).toMatchObject({ status: 401 });
    expect(envelope(await t.api.get(`/api/v1/channels/${room.id}/posts`, member.token))).toMatchObject({ status: 401 });
    const root = await makeSystemAdmin(t.app, await registerUser(t.api, 'root'));
    expect((await t.api.post(`/api/v1/admin/users/${owner.id}/deactivate`, undefined, root.token)).status).toBeLessThan(300);
    expect(envelope(await t.api.post(`/api/v1/channels/${room.id}/posts`, { message: 'deactivated' }, owner.token))).toMatchObject({ status: 401 });
  });
});

describe('statements per request on PostgreSQL', () => {
  let t: TestApp;
  let alice: TestUser;
  let channel: { id: string };

  beforeAll(async () => {
    t = await startApp('postgres');
    ({ alice, channel } = await twoInAChannel(t.api));
  });
  afterAll(async () => t?.close());

  it('makes a plain post in three statements: session with access row, the insert, the notification read', async () => {
    await createPost(t.api, alice, channel.id, 'warm up');
    await t.app.services.notifications.idle();
    const statements = await statementsDuring(async () => {
      await createPost(t.api, alice, channel.id, 'three statements');
      await t.app.services.notifications.idle();
      await t.app.services.webhooks.idle();
    });
    expect(statements.map((s) => s.slice(0, 60)), statements.join('\n')).toHaveLength(3);
    expect(statements[0]).toMatch(/FROM sessions s JOIN users u .* LEFT JOIN channels c/);
    expect(statements[1]).toMatch(/^WITH lock AS/);
    expect(statements[2]).toMatch(/from "channel_members" as "m"/);
    // Reading a channel's page: one statement for the session and the access row, then the page.
    const reads = await statementsDuring(() => t.api.get(`/api/v1/channels/${channel.id}/posts`, alice.token));
    expect(reads.filter((s) => /FROM sessions s/.test(s))).toHaveLength(1);
    expect(reads.filter((s) => /FROM channels c/.test(s) && !/FROM sessions s/.test(s))).toHaveLength(0);
  });
});
