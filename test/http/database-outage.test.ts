/**
 * What clients see when the database is in trouble. An outage is not the client's fault and
 * not a bug: every route answers 503 with Retry-After and the usual envelope (never a 500),
 * and the server recovers by itself when the database is back. Store errors that only a
 * service can explain (a channel deleted under a post) keep their meaning (404).
 */
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, STORES, type ApiResponse, type TestApp } from '../helpers/app.js';
import { createChannel, createTeam, envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { createTestDatabase } from '../helpers/services.js';
import { PullableProxy } from '../helpers/tcp-proxy.js';
import { refused, WsClient } from '../helpers/ws-client.js';

const UNAVAILABLE = {
  status: 503,
  contentType: 'application/json',
  error: { code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable. Please try again shortly.', retry_after: 5 },
};

function expectUnavailable(res: ApiResponse): void {
  expect(envelope(res)).toEqual(UNAVAILABLE);
  expect(res.headers['retry-after']).toBe('5');
  expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
}

describe('PostgreSQL unreachable (behind a proxy that is cut and restored)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: PullableProxy;
  let t: TestApp;
  let alice: TestUser;
  let channel: { id: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    proxy = await PullableProxy.start(db.url);
    const url = new URL(db.url);
    url.port = String(proxy.port);
    t = await startApp('postgres', { databaseUrl: url.toString() });
    alice = await registerUser(t.api, 'alice');
    channel = await createChannel(t.api, alice, (await createTeam(t.api, alice)).id);
  });
  afterAll(async () => {
    await t?.close();
    await proxy?.close();
    await db?.drop();
  });

  it('me, posting and login answer 503 + Retry-After + envelope, and recover without a restart', async () => {
    // Warm the pool: the outage must also break connections already open, not only new ones.
    expect((await t.api.get('/api/v1/users/me', alice.token)).status).toBe(200);
    // Listening before the cut, with a socket open: actions on it need the database too.
    const { url: liveUrl } = await t.app.listen();
    const socket = await WsClient.connect(liveUrl, { token: alice.token });
    proxy.cut();
    const me = await t.api.get('/api/v1/users/me', alice.token);
    const post = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'while the database is down' }, alice.token);
    const login = await t.api.post('/api/v1/auth/login', { email: alice.email, password: alice.password });
    for (const res of [me, post, login]) expectUnavailable(res);
    // The WebSocket handshake looks the session up too: the same 503, never a 500.
    const ws = await refused(liveUrl, { token: alice.token });
    expect(ws.status).toBe(503);
    expect(ws.headers['retry-after']).toBe('5');
    expect(ws.body.error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', retry_after: 5 });
    // An action on the open socket that reads the database (typing asks the channel policy): the same answer.
    const typing = await socket.send('user_typing', { channel_id: channel.id });
    expect(typing).toMatchObject({ status: 'FAIL', error: UNAVAILABLE.error });
    socket.close();
    expect((await t.api.get('/api/v1/health/ready')).status).toBe(503);
    expect(t.logs.text()).not.toContain('unhandled error');
    // The operator sees why, with the driver's error; the client saw only the envelope.
    expect(t.logs.lines.filter((l) => l.includes('temporarily unavailable') && l.includes('"err"')).length).toBeGreaterThanOrEqual(3);

    proxy.restore();
    expect((await t.api.get('/api/v1/users/me', alice.token)).status).toBe(200);
    expect((await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'back' }, alice.token)).status).toBe(201);
    expect((await t.api.post('/api/v1/auth/login', { email: alice.email, password: alice.password })).status).toBe(200);
    expect((await t.api.get('/api/v1/health/ready')).status).toBe(200);
    const back = await WsClient.connect(liveUrl, { token: alice.token });
    back.close();
  });
});

describe('SQLite busy beyond its timeout', () => {
  let t: TestApp;
  let alice: TestUser;
  beforeAll(async () => {
    t = await startApp('sqlite');
    alice = await registerUser(t.api, 'alice');
  });
  afterAll(async () => t?.close());

  it('a write blocked by another process\'s lock answers 503, and succeeds once the lock is gone', async () => {
    const channel = await createChannel(t.api, alice, (await createTeam(t.api, alice)).id);
    // Another process (a backup tool, a second server by mistake) holds the write lock.
    const other = new BetterSqlite3(join(t.dataDir, 'rustchat.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const post = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'blocked' }, alice.token);
      expectUnavailable(post);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect((await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'free' }, alice.token)).status).toBe(201);
  }, 20_000);
});

describe.each(STORES)('a store NotFound the service explains (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(async () => t?.close());

  it('a channel deleted between the access check and the insert answers 404, not 500', async () => {
    const alice = await registerUser(t.api, 'alice');
    const channel = await createChannel(t.api, alice, (await createTeam(t.api, alice)).id);
    // Delete the channel from another connection at the moment the post's write starts:
    // the access check has passed, the insert has not run.
    const store = t.app.store;
    const write = store.write.bind(store);
    store.write = async (fn) => {
      await deleteChannel(t, channel.id);
      return write(fn);
    };
    try {
      const res = await t.api.post(`/api/v1/channels/${channel.id}/posts`, { message: 'into the void' }, alice.token);
      expect(envelope(res)).toEqual({ status: 404, contentType: 'application/json', error: { code: 'NOT_FOUND', message: 'Channel not found' } });
    } finally {
      store.write = write;
    }
  });
});

async function deleteChannel(t: TestApp, channelId: string): Promise<void> {
  const statements = ['DELETE FROM channel_members WHERE channel_id = ?', 'DELETE FROM channels WHERE id = ?'];
  if (t.config.database.url !== undefined) {
    const client = new pg.Client({ connectionString: t.config.database.url });
    await client.connect();
    try {
      for (const s of statements) await client.query(s.replace('?', '$1'), [channelId]);
    } finally {
      await client.end();
    }
    return;
  }
  const raw = new BetterSqlite3(join(t.dataDir, 'rustchat.db'));
  try {
    for (const s of statements) raw.prepare(s).run(channelId);
  } finally {
    raw.close();
  }
}
