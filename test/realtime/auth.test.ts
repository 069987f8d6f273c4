/**
 * WebSocket handshake security (security contract §2, §3, §5, §7): where the token may come
 * from, origins, rate limiting, the connection cap, and sessions that end while a socket is
 * open (logout, deactivation, expiry), plus frame size and graceful shutdown close codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WS_SUBPROTOCOL } from '../../src/domain/events.js';
import { UUID_RE } from '../../src/domain/ids.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { refused, WsClient } from '../helpers/ws-client.js';
import { listening, securityEvents, until, type Live } from './helpers.js';

describe('WebSocket authentication', () => {
  let live: Live;
  let alice: TestUser;
  beforeAll(async () => {
    live = await listening('sqlite', { env: { RUSTCHAT_CORS_ALLOWED_ORIGINS: 'https://app.example.com' } });
    alice = await registerUser(live.t.api, 'alice');
  });
  afterAll(async () => live?.t.close());

  it('accepts the token in the Authorization header and starts with hello at seq 0', async () => {
    const c = await WsClient.connect(live.url, { token: alice.token });
    const hello = c.events[0]!;
    expect(hello).toMatchObject({ event: 'hello', seq: 0, data: { server_version: expect.any(String) }, broadcast: { user_id: alice.id, channel_id: '', team_id: '' } });
    expect(hello.event === 'hello' && hello.data.connection_id).toMatch(UUID_RE);
    expect(c.responseHeaders['sec-websocket-protocol']).toBeUndefined();
    c.close();
  });

  it('accepts the token as a subprotocol, selects rustchat.v1 and never echoes the token', async () => {
    const c = await WsClient.connect(live.url, { token: alice.token, via: 'protocol' });
    expect(c.ws.protocol).toBe(WS_SUBPROTOCOL);
    expect(c.responseHeaders['sec-websocket-protocol']).toBe(WS_SUBPROTOCOL);
    expect(JSON.stringify(c.responseHeaders)).not.toContain(alice.token);
    c.close();
  });

  it('refuses a subprotocol token without the rustchat.v1 marker', async () => {
    const r = await refused(live.url, { headers: { 'sec-websocket-protocol': alice.token } });
    expect(r.status).toBe(401);
  });

  it.each(['token', 'access_token'])('refuses ?%s= with 401 even when the token is valid, and logs no token', async (param) => {
    const before = securityEvents(live.t, 'websocket_auth_failure').length;
    const r = await refused(live.url, { query: { [param]: alice.token } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('UNAUTHORIZED');
    // Also when the header carries the same valid token: a URL token is never read, and never accepted.
    expect((await refused(live.url, { token: alice.token, query: { [param]: alice.token } })).status).toBe(401);
    const events = securityEvents(live.t, 'websocket_auth_failure').slice(before);
    expect(events.map((e) => e.reason)).toEqual(['query_token', 'query_token']);
    expect(events[0]).toMatchObject({ severity: 'info', client_ip: '127.0.0.1', request_id: expect.any(String) });
    expect(live.t.logs.text()).not.toContain(alice.token);
  });

  it('refuses a missing or invalid token with 401 and a websocket_auth_failure event', async () => {
    const before = securityEvents(live.t, 'websocket_auth_failure').length;
    expect((await refused(live.url)).status).toBe(401);
    expect((await refused(live.url, { token: 'not-a-jwt' })).status).toBe(401);
    const forged = `${alice.token.slice(0, -6)}AAAAAA`;
    expect((await refused(live.url, { token: forged, via: 'protocol' })).status).toBe(401);
    expect(securityEvents(live.t, 'websocket_auth_failure').slice(before).map((e) => e.reason)).toEqual(['missing_token', 'malformed', 'bad_signature']);
    // Refused handshakes leave nothing behind.
    expect(live.t.app.realtime.hub.stats()).toMatchObject({ live: 0 });
  });

  it('checks the Origin: the site URL and the CORS list pass, anything else (and null) is refused', async () => {
    const before = securityEvents(live.t, 'websocket_auth_failure').length;
    const bad = await refused(live.url, { token: alice.token, origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    expect(bad.body.error.code).toBe('FORBIDDEN');
    expect((await refused(live.url, { token: alice.token, origin: 'null' })).status).toBe(403);
    expect(securityEvents(live.t, 'websocket_auth_failure').slice(before).map((e) => e.reason)).toEqual(['bad_origin', 'bad_origin']);
    const site = await WsClient.connect(live.url, { token: alice.token, origin: live.t.config.siteUrl });
    const listed = await WsClient.connect(live.url, { token: alice.token, via: 'protocol', origin: 'https://app.example.com' });
    site.close();
    listed.close();
  });

  it('closes the socket with 1008 within two seconds of logout, and only that session\'s sockets', async () => {
    const bob = await registerUser(live.t.api, 'bob');
    const other = await live.t.api.post('/api/v1/auth/login', { email: bob.email, password: bob.password });
    const mine = await WsClient.connect(live.url, { token: bob.token });
    const second = await WsClient.connect(live.url, { token: other.body.token });
    const started = Date.now();
    expect((await live.t.api.post('/api/v1/auth/logout', undefined, bob.token)).status).toBe(200);
    const closed = await mine.waitClose(2000);
    expect(closed.code).toBe(1008);
    expect(Date.now() - started).toBeLessThan(2000);
    // The log says which close code was sent (redaction keeps numbers under `code`).
    const logged = live.t.logs.lines.map((l) => JSON.parse(l) as Record<string, any>).find((o) => o.msg === 'websocket closed by the server' && o.user_id === bob.id);
    expect(logged).toMatchObject({ code: 1008, reason: 'session_ended' });
    // The other session keeps its socket and still gets answers.
    expect((await second.send('ping')).status).toBe('OK');
    // And the ended session cannot open a new one.
    expect((await refused(live.url, { token: bob.token })).status).toBe(401);
    second.close();
  });

  it('closes every socket of a deactivated user with 1008', async () => {
    const adminEmail = `admin${Date.now()}@example.com`;
    await live.t.app.services.accounts.createAdmin(adminEmail, `adm${Date.now() % 100000}`, 'correct horse battery staple 42');
    const admin = await live.t.api.post('/api/v1/auth/login', { email: adminEmail, password: 'correct horse battery staple 42' });
    const carol = await registerUser(live.t.api, 'carol');
    const a = await WsClient.connect(live.url, { token: carol.token });
    const b = await WsClient.connect(live.url, { token: carol.token, via: 'protocol' });
    const res = await live.t.api.post(`/api/v1/admin/users/${carol.id}/deactivate`, undefined, admin.body.token);
    expect(res.status).toBe(200);
    expect((await a.waitClose(2000)).code).toBe(1008);
    expect((await b.waitClose(2000)).code).toBe(1008);
  });

  it('closes a frame over RUSTCHAT_WS_MAX_FRAME_BYTES with 1009', async () => {
    const small = await listening('sqlite', { env: { RUSTCHAT_WS_MAX_FRAME_BYTES: '1024' } });
    try {
      const u = await registerUser(small.t.api, 'frame');
      const c = await WsClient.connect(small.url, { token: u.token });
      expect((await c.send('ping', { pad: 'x'.repeat(500) })).status).toBe('OK');
      c.sendRaw(JSON.stringify({ action: 'ping', seq: 99, data: { pad: 'x'.repeat(2000) } }));
      expect((await c.waitClose()).code).toBe(1009);
    } finally {
      await small.t.close();
    }
  });
});

describe('WebSocket token expiry', () => {
  it('refuses an expired token at the handshake', async () => {
    // The service clock runs two hours behind: sessions (1 h) are born expired.
    const live = await listening('sqlite', { env: { RUSTCHAT_JWT_EXPIRY_HOURS: '1' }, clock: () => Date.now() - 2 * 3600_000 });
    try {
      const u = await registerUser(live.t.api, 'expired');
      const r = await refused(live.url, { token: u.token, via: 'protocol' });
      expect(r.status).toBe(401);
      expect(securityEvents(live.t, 'websocket_auth_failure').map((e) => e.reason)).toEqual(['token_expired']);
    } finally {
      await live.t.close();
    }
  });

  it('closes the socket with 1008 when the token expires while it is open', async () => {
    // Sessions last one hour on a clock set so that they end six seconds from now.
    const live = await listening('sqlite', { env: { RUSTCHAT_JWT_EXPIRY_HOURS: '1' }, clock: () => Date.now() - 3600_000 + 6000 });
    try {
      const u = await registerUser(live.t.api, 'expiring');
      const c = await WsClient.connect(live.url, { token: u.token });
      expect((await c.send('ping')).status).toBe('OK');
      const closed = await c.waitClose(15_000);
      expect(closed.code).toBe(1008);
      expect(closed.reason).toBe('session expired');
    } finally {
      await live.t.close();
    }
  });
});

describe('WebSocket handshake limits', () => {
  it('rate limits handshakes per IP with the exact 429 of the contract', async () => {
    const live = await listening('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '2' } });
    try {
      const u = await registerUser(live.t.api, 'limited');
      const first = await WsClient.connect(live.url, { token: u.token });
      expect(first.responseHeaders['x-ratelimit-limit']).toBe('2');
      expect(first.responseHeaders['x-ratelimit-remaining']).toBe('1');
      expect(Number(first.responseHeaders['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
      // A refused attempt counts too: the limit is on handshakes, checked before anything else.
      expect((await refused(live.url)).status).toBe(401);
      const r = await refused(live.url, { token: u.token });
      expect(r.status).toBe(429);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-ratelimit-limit']).toBe('2');
      expect(r.headers['x-ratelimit-remaining']).toBe('0');
      const retryAfter = Number(r.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000));
      expect(r.body).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: retryAfter } });
      expect(securityEvents(live.t, 'rate_limit_exceeded').map((e) => e.limiter)).toEqual(['ws']);
      first.close();
    } finally {
      await live.t.close();
    }
  });

  it('buckets handshakes by the client IP a trusted proxy reports', async () => {
    const live = await listening('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '1', RUSTCHAT_SECURITY_TRUSTED_PROXIES: '127.0.0.1/32' } });
    try {
      const u = await registerUser(live.t.api, 'proxied');
      const from = (ip: string) => ({ token: u.token, headers: { 'x-forwarded-for': ip } });
      (await WsClient.connect(live.url, from('203.0.113.7'))).close();
      expect((await refused(live.url, from('203.0.113.7'))).status).toBe(429);
      (await WsClient.connect(live.url, from('203.0.113.8'))).close();
      expect(securityEvents(live.t, 'rate_limit_exceeded').map((e) => e.client_ip)).toEqual(['203.0.113.7']);
    } finally {
      await live.t.close();
    }
  });

  it('caps connections per user (RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER) and frees the slot on close', async () => {
    const live = await listening('sqlite', { env: { RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: '2' } });
    try {
      const u = await registerUser(live.t.api, 'capped');
      const other = await registerUser(live.t.api, 'other');
      const a = await WsClient.connect(live.url, { token: u.token });
      const b = await WsClient.connect(live.url, { token: u.token });
      const over = await refused(live.url, { token: u.token });
      expect(over.status).toBe(429);
      expect(over.body.error.code).toBe('TOO_MANY_CONNECTIONS');
      // Another user is not affected.
      (await WsClient.connect(live.url, { token: other.token })).close();
      a.close();
      await until(() => live.t.app.realtime.hub.stats().live === 1 + 0, 5000, 'the closed socket to be released');
      const c = await WsClient.connect(live.url, { token: u.token });
      b.close();
      c.close();
    } finally {
      await live.t.close();
    }
  });
});

describe('WebSocket shutdown', () => {
  it('closes sockets with 1001 on app.close()', async () => {
    const live = await listening('sqlite');
    const u = await registerUser(live.t.api, 'shutdown');
    const c = await WsClient.connect(live.url, { token: u.token });
    const closing = live.t.close();
    expect((await c.waitClose(5000)).code).toBe(1001);
    await closing;
  });
});
