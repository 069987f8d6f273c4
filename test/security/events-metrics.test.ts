/**
 * Security events and metrics (security contract §7): every event is one JSON log line with
 * `security_event`, severity, client IP, user id and request id, and a
 * `rustchat_security_events_total{event}` count; `/metrics` is not public by default, and the
 * request, database and rate-limit metrics move.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { SECURITY_EVENTS, SecurityEvents, type SecurityEventName } from '../../src/security/events.js';
import { captureLogs, STORES, startApp, type TestApp } from '../helpers/app.js';
import { createChannel, createPost, createTeam, registerUser } from '../helpers/factories.js';
import { refused, WsClient } from '../helpers/ws-client.js';
import { freePort, jsonLines, waitFor } from './support.js';

/** The value of one sample line of the Prometheus text, or 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels === '' ? ' ' : `{${labels}} `}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('SecurityEvents', () => {
  const table: Array<[SecurityEventName, string, string]> = [
    ['rate_limit_exceeded', 'warning', 'warn'],
    ['invalid_oauth_state', 'warning', 'warn'],
    ['weak_secret_detected', 'critical', 'error'],
    ['websocket_auth_failure', 'info', 'info'],
    ['exchange_code_reuse', 'warning', 'warn'],
    ['login_failure', 'info', 'info'],
    ['access_denied', 'info', 'info'],
    ['session_revoked', 'info', 'info'],
  ];

  it('knows exactly the eight events of the contract, with their severities', () => {
    expect(Object.entries(SECURITY_EVENTS).sort()).toEqual(table.map(([e, s]) => [e, s]).sort());
  });

  it.each(table)('%s: one structured line (severity %s, level %s) and a counter', async (event, severity, level) => {
    const { stream, capture } = captureLogs();
    const metrics = new Metrics({ defaultMetrics: false });
    const events = new SecurityEvents(createLogger('info', stream), metrics);
    events.emit(event, { ip: '192.0.2.9', userId: 'user-9', requestId: 'req-9', reason: 'test' });
    events.emit(event, { ip: '192.0.2.9' });
    const lines = jsonLines(capture.text());
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ security_event: event, severity, level, client_ip: '192.0.2.9', user_id: 'user-9', request_id: 'req-9', reason: 'test' });
    expect(sample(await metrics.registry.metrics(), 'rustchat_security_events_total', `event="${event}"`)).toBe(2);
  });

  it('secret-named context is redacted even if a caller passes it', () => {
    const { stream, capture } = captureLogs();
    new SecurityEvents(createLogger('info', stream), new Metrics({ defaultMetrics: false })).emit('exchange_code_reuse', { ip: '192.0.2.1', code: 'the-exchange-code-value', state: 'the-state-value', token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abcdefghijk' });
    expect(capture.text()).not.toContain('the-exchange-code-value');
    expect(capture.text()).not.toContain('the-state-value');
    expect(capture.text()).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });
});

describe.each(STORES)('events from a running server (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind, { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '20' } });
  });
  afterAll(async () => t?.close());

  const events = (name: string) => jsonLines(t.logs.text()).filter((l) => l.security_event === name);
  const counter = async (name: string) => sample(await t.app.metrics.registry.metrics(), 'rustchat_security_events_total', `event="${name}"`);

  it('login_failure, with the client IP, the user id when the account exists, and the request id', async () => {
    const user = await registerUser(t.api, 'evt');
    const res = await t.api.post('/api/v1/auth/login', { email: user.email, password: 'wrong-password-1' }, undefined, { ip: '192.0.2.50' });
    expect(res.status).toBe(401);
    const line = events('login_failure').at(-1);
    expect(line).toMatchObject({ severity: 'info', client_ip: '192.0.2.50', user_id: user.id, request_id: res.headers['x-request-id'] });
    await t.api.post('/api/v1/auth/login', { email: 'nobody-here@example.com', password: 'wrong-password-1' }, undefined, { ip: '192.0.2.51' });
    expect(events('login_failure').at(-1)).toMatchObject({ client_ip: '192.0.2.51' });
    expect(events('login_failure').at(-1)?.user_id).toBeUndefined();
    expect(await counter('login_failure')).toBe(2);
  });

  it('rate_limit_exceeded', async () => {
    for (let n = 0; n < 20; n++) await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '192.0.2.60' });
    const res = await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '192.0.2.60' });
    expect(res.status).toBe(429);
    expect(events('rate_limit_exceeded').at(-1)).toMatchObject({ severity: 'warning', client_ip: '192.0.2.60', request_id: res.headers['x-request-id'] });
    expect(await counter('rate_limit_exceeded')).toBeGreaterThanOrEqual(1);
  });

  it('access_denied, for an authenticated request refused by policy', async () => {
    const owner = await registerUser(t.api, 'own');
    const other = await registerUser(t.api, 'oth');
    const team = await createTeam(t.api, owner, 'open');
    await t.api.post(`/api/v1/teams/${team.id}/members`, { user_id: other.id }, other.token);
    const res = await t.api.request('DELETE', `/api/v1/teams/${team.id}`, { token: other.token, ip: '192.0.2.70' });
    expect(res.status).toBe(403);
    expect(events('access_denied').at(-1)).toMatchObject({ client_ip: '192.0.2.70', user_id: other.id, request_id: res.headers['x-request-id'] });
    expect(await counter('access_denied')).toBeGreaterThanOrEqual(1);
  });

  it('session_revoked, on logout and on password change', async () => {
    const user = await registerUser(t.api, 'rev');
    const out = await t.api.request('POST', '/api/v1/auth/logout', { token: user.token, ip: '192.0.2.80' });
    expect(out.status).toBe(200);
    expect(events('session_revoked').at(-1)).toMatchObject({ client_ip: '192.0.2.80', user_id: user.id, request_id: out.headers['x-request-id'], reason: 'logout' });
    const again = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password });
    const change = await t.api.post('/api/v1/users/me/password', { current_password: user.password, new_password: 'a-brand-new-password-9' }, again.body.token);
    expect(change.status).toBe(200);
    expect(events('session_revoked').at(-1)).toMatchObject({ user_id: user.id, reason: 'password_change' });
    expect((await t.api.get('/api/v1/auth/me', again.body.token)).status).toBe(401);
    expect(await counter('session_revoked')).toBeGreaterThanOrEqual(2);
  });
});

describe('/metrics', () => {
  it('listens on its own loopback port by default and is not served on the main port', async () => {
    const defaults = loadConfig({ RUSTCHAT_DATA_DIR: '/nonexistent' }, { persistGeneratedSecrets: false }).config!;
    expect(defaults.metrics).toEqual({ host: '127.0.0.1', port: 9464, token: undefined });

    const metricsPort = await freePort();
    const t = await startApp('sqlite', { env: { RUSTCHAT_METRICS_PORT: String(metricsPort) } });
    try {
      const { port } = await t.app.listen();
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect(await res.text()).toMatch(/# TYPE rustchat_http_requests_total counter/);
      expect((await fetch(`http://127.0.0.1:${metricsPort}/anything-else`)).status).toBe(404);
      const main = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(main.status).toBe(404);
      expect(await main.text()).not.toMatch(/rustchat_/);
    } finally {
      await t.close();
    }
  });

  it('with RUSTCHAT_METRICS_TOKEN, the main port serves it to that bearer token only', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const t = await startApp('sqlite', { env: { RUSTCHAT_METRICS_TOKEN: token } });
    try {
      expect((await t.api.get('/metrics')).status).toBe(401);
      expect((await t.api.get('/metrics', 'metrics-token-0123456789abcdeX')).status).toBe(401);
      expect((await t.api.get('/metrics', token.slice(0, -1))).status).toBe(401);
      const ok = await t.api.get('/metrics', token);
      expect(ok.status).toBe(200);
      // The scheme is case-insensitive, as on every other route (one bearer parser).
      expect((await t.api.request('GET', '/metrics', { headers: { authorization: `bearer ${token}` } })).status).toBe(200);
      expect((await t.api.request('GET', '/metrics', { headers: { authorization: `Basic ${token}` } })).status).toBe(401);
      expect(ok.text).toMatch(/rustchat_security_events_total|rustchat_http_requests_total/);
      expect(t.logs.text()).not.toContain(token);
    } finally {
      await t.close();
    }
  });

  it.each(STORES)('request, database, rate-limit and security metrics move (%s)', async (kind) => {
    const t = await startApp(kind, { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '2' } });
    try {
      const before = await t.app.metrics.registry.metrics();
      const user = await registerUser(t.api, 'mtr');
      for (let n = 0; n < 3; n++) await t.api.get('/api/v1/auth/me', user.token);
      for (let n = 0; n < 3; n++) await t.api.post('/api/v1/auth/login', { email: user.email, password: 'wrong-one-123' }, undefined, { ip: '192.0.2.90' });
      const after = await t.app.metrics.registry.metrics();
      const delta = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
      expect(delta('rustchat_http_requests_total', 'method="GET",route="/api/v1/auth/me",status="200"')).toBe(3);
      expect(delta('rustchat_http_request_duration_seconds_count', 'method="GET",route="/api/v1/auth/me"')).toBe(3);
      expect(delta('rustchat_http_requests_total', 'method="POST",route="/api/v1/auth/login",status="429"')).toBe(1);
      expect(delta('rustchat_db_query_duration_seconds_count', 'outcome="ok"')).toBeGreaterThan(5);
      expect(delta('rustchat_rate_limit_checks_total', 'limiter="auth"')).toBe(5); // register, its sign-in, 3 logins
      expect(delta('rustchat_rate_limit_rejections_total', 'limiter="auth"')).toBe(1);
      expect(delta('rustchat_security_events_total', 'event="login_failure"')).toBe(2);
      expect(delta('rustchat_security_events_total', 'event="rate_limit_exceeded"')).toBe(1);
      // No metric label carries a secret or an identifier of a person.
      expect(after).not.toContain(user.email);
      expect(after).not.toContain(user.token);
      expect(after).not.toContain(user.id);
    } finally {
      await t.close();
    }
  });

  it('WebSocket metrics move: connections, frames sent, handshakes by outcome, server disconnects, the ws limiter; websocket_auth_failure is logged and counted', async () => {
    const WS_LIMIT = 4;
    const t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: String(WS_LIMIT) } });
    try {
      const { url } = await t.app.listen();
      const user = await registerUser(t.api, 'wsm');
      const team = await createTeam(t.api, user, 'open');
      const channel = await createChannel(t.api, user, team.id);
      const before = await t.app.metrics.registry.metrics();
      const delta = async (name: string, labels = '') => sample(await t.app.metrics.registry.metrics(), name, labels) - sample(before, name, labels);
      const gauge = async () => sample(await t.app.metrics.registry.metrics(), 'rustchat_ws_connections');
      expect(await gauge()).toBe(0);

      const first = await WsClient.connect(url, { token: user.token });
      const second = await WsClient.connect(url, { token: user.token, via: 'protocol' });
      expect(await gauge()).toBe(2);
      expect(await delta('rustchat_ws_handshakes_total', 'outcome="ok"')).toBe(2);

      // Every frame the server sent (hellos, the post, whatever followed) is counted once.
      const post = await createPost(t.api, user, channel.id, 'counted frames');
      for (const c of [first, second]) await c.waitForEvent('posted', (d) => d.post.id === post.id);
      await waitFor('the sent-frames counter to match what the clients received', async () => (await delta('rustchat_ws_messages_sent_total')) === first.events.length + second.events.length);
      expect(first.events.length).toBeGreaterThanOrEqual(2);

      // A client closing its socket leaves the gauge; it is not a server disconnect.
      second.close();
      await waitFor('the gauge to drop to 1', async () => (await gauge()) === 1);
      const serverDisconnects = (text: string) =>
        text.split('\n').filter((l) => l.startsWith('rustchat_ws_disconnects_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
      expect(serverDisconnects(await t.app.metrics.registry.metrics()) - serverDisconnects(before)).toBe(0);

      // Refused handshakes: counted by outcome, a websocket_auth_failure line and counter each.
      const failures = jsonLines(t.logs.text()).filter((l) => l.security_event === 'websocket_auth_failure').length;
      expect((await refused(url, { query: { token: user.token } })).status).toBe(401);
      expect((await refused(url)).status).toBe(401);
      expect(await delta('rustchat_ws_handshakes_total', 'outcome="query_token"')).toBe(1);
      expect(await delta('rustchat_ws_handshakes_total', 'outcome="missing_token"')).toBe(1);
      expect(await delta('rustchat_security_events_total', 'event="websocket_auth_failure"')).toBe(2);
      const lines = jsonLines(t.logs.text()).filter((l) => l.security_event === 'websocket_auth_failure').slice(failures);
      expect(lines.map((l) => l.reason)).toEqual(['query_token', 'missing_token']);
      expect(lines[0]).toMatchObject({ severity: 'info', client_ip: '127.0.0.1', request_id: expect.any(String) });

      // The ws limiter saw every handshake; the next one over the limit is refused and counted.
      expect(await delta('rustchat_rate_limit_checks_total', 'limiter="ws"')).toBe(WS_LIMIT);
      expect((await refused(url, { token: user.token })).status).toBe(429);
      expect(await delta('rustchat_rate_limit_rejections_total', 'limiter="ws"')).toBe(1);
      expect(await delta('rustchat_ws_handshakes_total', 'outcome="rate_limited"')).toBe(1);
      expect(await delta('rustchat_security_events_total', 'event="rate_limit_exceeded"')).toBe(1);

      // Logout: the server closes the session's socket (1008), counted as a server disconnect.
      expect((await t.api.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
      expect((await first.waitClose()).code).toBe(1008);
      await waitFor('the gauge to drop to 0', async () => (await gauge()) === 0);
      expect(await delta('rustchat_ws_disconnects_total', 'reason="session_ended"')).toBe(1);

      // No label holds a token, a user id or a connection id.
      const after = await t.app.metrics.registry.metrics();
      for (const v of [user.token, user.id, user.email, first.connectionId!]) expect(after).not.toContain(v);
    } finally {
      await t.close();
    }
  });
});
