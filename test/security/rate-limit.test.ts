/**
 * Rate limiting (security contract §5) on a real app: the exact 429 on every limited route,
 * one shared bucket per client IP, the per-account login throttle, which client IP counts
 * (trusted proxies, IPv6 /64, IPv4-mapped IPv6), counters shared through Redis, and the
 * per-node fallback when Redis goes away.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { limitedRoutes } from '../../src/http/server.js';
import { createLogger } from '../../src/observability/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { RateLimits } from '../../src/security/rate-limit.js';
import { startApp, type ApiResponse, type TestApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import { REDIS_URL } from '../helpers/services.js';
import { captureLogs } from '../helpers/app.js';
import { jsonLines, startRedisServer, waitFor } from './support.js';

const MESSAGE = 'Too many requests. Please try again later.';

function h(res: ApiResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** Checks one refusal against the contract, byte for byte where the contract is exact. */
function expect429(res: ApiResponse, limit: number, window = 60): void {
  expect(res.status).toBe(429);
  expect(h(res, 'content-type')).toMatch(/^application\/json/);
  expect(h(res, 'x-ratelimit-limit')).toBe(String(limit));
  expect(h(res, 'x-ratelimit-remaining')).toBe('0');
  const retryAfter = Number(h(res, 'retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(window);
  const reset = Number(h(res, 'x-ratelimit-reset'));
  const now = Date.now() / 1000;
  expect(reset).toBeGreaterThan(now);
  expect(Math.abs(reset - (now + retryAfter))).toBeLessThanOrEqual(2);
  expect(res.text).toBe(JSON.stringify({ error: { code: 'RATE_LIMIT_EXCEEDED', message: MESSAGE, retry_after: retryAfter } }));
}

function expectAllowedHeaders(res: ApiResponse, limit: number, remaining: number): void {
  expect(res.status).not.toBe(429);
  expect(h(res, 'x-ratelimit-limit')).toBe(String(limit));
  expect(h(res, 'x-ratelimit-remaining')).toBe(String(remaining));
  expect(Number(h(res, 'x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
}

const fill = (url: string) => url.replace(/:[A-Za-z_]+/g, 'x');
async function hit(t: TestApp, method: string, url: string, ip: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return method === 'GET' ? t.api.get(fill(url), undefined, { ip, headers }) : t.api.request(method, fill(url), { body: {}, ip, headers });
}

describe('the 429 contract', () => {
  const LIMIT = 4;
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => t?.close());

  it('covers register and login (and every route declared with rateLimit: auth)', () => {
    const routes = limitedRoutes(t.app.http).map((r) => `${r.method} ${r.url}`);
    expect(routes).toContain('POST /api/v1/auth/register');
    expect(routes).toContain('POST /api/v1/auth/login');
    expect(routes).toContain('POST /api/v1/auth/password/forgot');
    expect(routes).toContain('POST /api/v1/auth/password/reset');
  });

  it('every limited route: allowed answers count down, then the exact 429 and a rate_limit_exceeded event', async () => {
    const routes = limitedRoutes(t.app.http);
    for (const [i, route] of routes.entries()) {
      const ip = `198.18.0.${i + 1}`;
      for (let n = 1; n <= LIMIT; n++) expectAllowedHeaders(await hit(t, route.method, route.url, ip), LIMIT, LIMIT - n);
      const refused = await hit(t, route.method, route.url, ip);
      expect429(refused, LIMIT);
      const event = jsonLines(t.logs.text()).find((l) => l.security_event === 'rate_limit_exceeded' && l.client_ip === ip);
      expect(event, `${route.method} ${route.url}`).toMatchObject({ severity: 'warning', level: 'warn', limiter: 'auth', request_id: refused.headers['x-request-id'] });
    }
  });

  it('all auth endpoints share one bucket per IP', async () => {
    const ip = '198.18.1.1';
    await t.api.post('/api/v1/auth/register', {}, undefined, { ip });
    await t.api.post('/api/v1/auth/login', {}, undefined, { ip });
    await t.api.post('/api/v1/auth/register', {}, undefined, { ip });
    await t.api.post('/api/v1/auth/login', {}, undefined, { ip });
    expect429(await t.api.post('/api/v1/auth/register', {}, undefined, { ip }), LIMIT);
    expect429(await t.api.post('/api/v1/auth/login', {}, undefined, { ip }), LIMIT);
  });

  it('a correct password sent while limited still gets 429 (no oracle), and no session', async () => {
    const user = await registerUser(t.api, 'oracle'); // from 127.0.0.1
    const ip = '198.18.2.1';
    for (let n = 0; n < LIMIT; n++) expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: 'not-the-password' }, undefined, { ip })).status).toBe(401);
    const right = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip });
    expect429(right, LIMIT);
    expect(right.headers['set-cookie']).toBeUndefined();
  });

  it('other routes are not limited', async () => {
    const ip = '198.18.3.1';
    for (let n = 0; n < LIMIT * 3; n++) {
      const res = await t.api.get('/api/v1/health/live', undefined, { ip });
      expect(res.status).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});

describe('RUSTCHAT_SECURITY_RATE_LIMIT_* take effect', () => {
  it('the default is 10 per minute per IP', async () => {
    const t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: undefined } });
    try {
      for (let n = 1; n <= 10; n++) expectAllowedHeaders(await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '198.18.4.1' }), 10, 10 - n);
      expect429(await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '198.18.4.1' }), 10);
    } finally {
      await t.close();
    }
  });

  it('RATE_LIMIT_ENABLED=false turns the limiter off', async () => {
    const t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_ENABLED: 'false', RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '2' } });
    try {
      for (let n = 0; n < 8; n++) {
        const res = await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '198.18.5.1' });
        expect(res.status).toBe(400);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await t.close();
    }
  });

  it('WS_PER_MINUTE sets the WebSocket handshake limit (RateLimits.consumeWs, used by the gateway)', async () => {
    const { config } = loadConfig({ RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '3', RUSTCHAT_DATA_DIR: '/nonexistent' }, { persistGeneratedSecrets: false });
    const metrics = new Metrics({ defaultMetrics: false });
    const limits = new RateLimits(config!.security, metrics, createLogger('silent'), undefined);
    const bucket = '198.18.6.1';
    for (let n = 1; n <= 3; n++) expect(await limits.consumeWs(bucket)).toMatchObject({ allowed: true, limit: 3, remaining: 3 - n });
    const refused = await limits.consumeWs(bucket);
    expect(refused).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
    expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect((await limits.consumeWs('198.18.6.2')).allowed).toBe(true);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/rustchat_rate_limit_checks_total\{limiter="ws"\} 5/);
    expect(text).toMatch(/rustchat_rate_limit_rejections_total\{limiter="ws"\} 1/);
    // The default is 30.
    const defaults = loadConfig({ RUSTCHAT_DATA_DIR: '/nonexistent' }, { persistGeneratedSecrets: false }).config!;
    const d = new RateLimits(defaults.security, new Metrics({ defaultMetrics: false }), createLogger('silent'), undefined);
    expect((await d.consumeWs(bucket)).limit).toBe(30);
  });
});

describe('per-account login throttle', () => {
  const PER_ACCOUNT = 3;
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_LOGIN_PER_ACCOUNT_PER_HOUR: String(PER_ACCOUNT) } });
  });
  afterAll(async () => t?.close());

  it('spreading guesses over many IPs still stops at the account budget, even for the right password', async () => {
    const user = await registerUser(t.api, 'spread');
    for (let n = 0; n < PER_ACCOUNT; n++) {
      expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: `guess-${n}-xxxx` }, undefined, { ip: `203.0.113.${n + 10}` })).status).toBe(401);
    }
    const res = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: '203.0.113.99' });
    expect429(res, PER_ACCOUNT, 3600);
    expect(jsonLines(t.logs.text()).find((l) => l.security_event === 'rate_limit_exceeded' && l.limiter === 'login_account' && l.client_ip === '203.0.113.99')).toMatchObject({ user_id: user.id, request_id: res.headers['x-request-id'] });
    // By username too: it is the same account.
    expect((await t.api.post('/api/v1/auth/login', { email: user.username, password: user.password }, undefined, { ip: '203.0.113.98' })).status).toBe(429);
  });

  it('unknown accounts are throttled the same way (no user-existence oracle)', async () => {
    const email = `ghost-${randomBytes(4).toString('hex')}@example.com`;
    for (let n = 0; n < PER_ACCOUNT; n++) expect((await t.api.post('/api/v1/auth/login', { email, password: 'whatever-pass' }, undefined, { ip: `203.0.114.${n}` })).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/login', { email, password: 'whatever-pass' }, undefined, { ip: '203.0.114.50' })).status).toBe(429);
  });

  it('does not lock the real user out: a client that signed in before may still sign in, the attacker may not', async () => {
    const user = await registerUser(t.api, 'victim');
    const home = '192.0.2.44';
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: home })).status).toBe(200);
    for (let n = 0; n < PER_ACCOUNT + 2; n++) await t.api.post('/api/v1/auth/login', { email: user.email, password: `attack-${n}-xxx` }, undefined, { ip: `203.0.115.${n}` });
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: '203.0.115.200' })).status).toBe(429);
    // The user, from where they signed in before, gets in.
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: home })).status).toBe(200);
    // Their success did not give the attacker a fresh budget.
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: '203.0.115.201' })).status).toBe(429);
    // The known client has a small budget of its own: wrong guesses from it are capped too.
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: 'wrong-from-home' }, undefined, { ip: home })).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password }, undefined, { ip: home })).status).toBe(429);
  });
});

describe('which client IP is limited', () => {
  const LIMIT = 2;
  async function exhausted(t: TestApp, ip: string, headers: Record<string, string>[]): Promise<ApiResponse> {
    let last: ApiResponse | undefined;
    for (const hdrs of headers) last = await t.api.post('/api/v1/auth/login', {}, undefined, { ip, headers: hdrs });
    return last!;
  }

  describe('without trusted proxies', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) } });
    });
    afterAll(async () => t?.close());

    it('X-Forwarded-For and X-Real-IP sent by a client cannot pick a bucket', async () => {
      const res = await exhausted(t, '198.51.100.1', [
        { 'x-forwarded-for': '1.1.1.1' },
        { 'x-forwarded-for': '2.2.2.2', 'x-real-ip': '3.3.3.3' },
        { 'x-forwarded-for': '4.4.4.4, 5.5.5.5' },
      ]);
      expect(res.status).toBe(429);
      const event = jsonLines(t.logs.text()).filter((l) => l.security_event === 'rate_limit_exceeded').at(-1);
      expect(event?.client_ip).toBe('198.51.100.1');
    });

    it('IPv6 clients are bucketed by /64', async () => {
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '2001:db8:aa:1::1' })).status).toBe(400);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '2001:db8:aa:1:ffff:eeee:dddd:cccc' })).status).toBe(400);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '2001:db8:aa:1:1234::77' })).status).toBe(429);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '2001:db8:aa:2::1' })).status).toBe(400);
    });

    it('IPv4-mapped IPv6 is the IPv4 address', async () => {
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '::ffff:198.51.100.20' })).status).toBe(400);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '198.51.100.20' })).status).toBe(400);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '::ffff:198.51.100.20' })).status).toBe(429);
      const event = jsonLines(t.logs.text()).filter((l) => l.security_event === 'rate_limit_exceeded').at(-1);
      expect(event?.client_ip).toBe('198.51.100.20');
    });
  });

  describe('behind trusted proxies', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT), RUSTCHAT_SECURITY_TRUSTED_PROXIES: '10.0.0.1/32, 10.1.0.0/16' } });
    });
    afterAll(async () => t?.close());

    it('the client is the right-most X-Forwarded-For address that is not a proxy; each client has its own bucket', async () => {
      const viaProxy = (xff: string) => t.api.post('/api/v1/auth/login', {}, undefined, { ip: '10.0.0.1', headers: { 'x-forwarded-for': xff } });
      expect((await viaProxy('192.0.2.1')).status).toBe(400);
      expect((await viaProxy('192.0.2.1')).status).toBe(400);
      expect((await viaProxy('192.0.2.1')).status).toBe(429);
      // Another client behind the same proxy is not affected.
      expect((await viaProxy('192.0.2.2')).status).toBe(400);
      // A client prepending a forged address still lands in its own bucket.
      expect((await viaProxy('6.6.6.6, 192.0.2.1')).status).toBe(429);
      // A chain of trusted proxies is walked past.
      expect((await viaProxy('192.0.2.1, 10.1.4.5')).status).toBe(429);
      const event = jsonLines(t.logs.text()).filter((l) => l.security_event === 'rate_limit_exceeded').at(-1);
      expect(event?.client_ip).toBe('192.0.2.1');
    });

    it('X-Real-IP from a trusted peer is used when there is no X-Forwarded-For', async () => {
      const res = await exhausted(t, '10.0.0.1', [{ 'x-real-ip': '192.0.2.30' }, { 'x-real-ip': '192.0.2.30' }, { 'x-real-ip': '192.0.2.30' }]);
      expect(res.status).toBe(429);
      expect((await t.api.post('/api/v1/auth/login', {}, undefined, { ip: '10.0.0.1', headers: { 'x-real-ip': '192.0.2.31' } })).status).toBe(400);
    });

    it('a peer that is not a trusted proxy cannot use the headers', async () => {
      const res = await exhausted(t, '192.0.2.40', [{ 'x-forwarded-for': '7.7.7.1' }, { 'x-forwarded-for': '7.7.7.2' }, { 'x-real-ip': '7.7.7.3' }]);
      expect(res.status).toBe(429);
    });
  });
});

describe('Redis', () => {
  it('counters are shared by two app instances on one Redis', async () => {
    const prefix = `rctest:${randomBytes(6).toString('hex')}:`;
    const env = { RUSTCHAT_REDIS_URL: REDIS_URL, RUSTCHAT_REDIS_PREFIX: prefix, RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '4' };
    const a = await startApp('sqlite', { env });
    const b = await startApp('sqlite', { env });
    try {
      const ip = '198.51.100.60';
      expectAllowedHeaders(await a.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4, 3);
      expectAllowedHeaders(await b.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4, 2);
      expectAllowedHeaders(await a.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4, 1);
      expectAllowedHeaders(await b.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4, 0);
      expect429(await a.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4);
      expect429(await b.api.post('/api/v1/auth/login', {}, undefined, { ip }), 4);
      // The counter lives in Redis under the deployment's prefix.
      const r = new Redis(REDIS_URL);
      try {
        expect(await r.keys(`${prefix}rl:auth*`)).not.toEqual([]);
      } finally {
        r.disconnect();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('without Redis each node counts on its own (the control for the test above)', async () => {
    const a = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '2' } });
    const b = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '2' } });
    try {
      const ip = '198.51.100.61';
      await a.api.post('/api/v1/auth/login', {}, undefined, { ip });
      await a.api.post('/api/v1/auth/login', {}, undefined, { ip });
      expect((await a.api.post('/api/v1/auth/login', {}, undefined, { ip })).status).toBe(429);
      expect((await b.api.post('/api/v1/auth/login', {}, undefined, { ip })).status).toBe(400);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('when Redis goes down the limiter falls back to per-node counters, says so, and still limits', async () => {
    const redis = await startRedisServer();
    const t = await startApp('sqlite', { env: { RUSTCHAT_REDIS_URL: redis.url, RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: '3', RUSTCHAT_METRICS_PORT: '0' } });
    try {
      const ip = '198.51.100.70';
      expectAllowedHeaders(await t.api.post('/api/v1/auth/login', {}, undefined, { ip }), 3, 2);
      expect(t.logs.text()).not.toMatch(/falling back/);
      await redis.kill();
      await waitFor('the app to notice Redis is gone', () => t.app.redis?.status !== 'ready');
      const statuses: number[] = [];
      for (let n = 0; n < 6; n++) statuses.push((await t.api.post('/api/v1/auth/login', {}, undefined, { ip })).status);
      expect(statuses.slice(0, 3)).toEqual([400, 400, 400]);
      expect(statuses.slice(3)).toEqual([429, 429, 429]);
      const fallback = jsonLines(t.logs.text()).filter((l) => l.rate_limit_store === 'memory');
      expect(fallback).toHaveLength(1);
      expect(fallback[0]).toMatchObject({ level: 'warn' });
      expect(fallback[0]!.msg).toMatch(/Redis unreachable, falling back to per-node in-memory counters/);
      expect(await t.app.metrics.registry.metrics()).toMatch(/rustchat_rate_limit_store_fallback 1/);
      const ready = await t.api.get('/api/v1/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis).not.toBe('ok');
    } finally {
      await t.close();
      await redis.kill();
    }
  });
});

describe('RateLimits itself', () => {
  it('logs the fallback once, and logs the recovery when Redis is back', async () => {
    const redis = await startRedisServer();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: () => 50 });
    client.on('error', () => undefined); // connection errors are the point of this test
    const { stream, capture } = captureLogs();
    const metrics = new Metrics({ defaultMetrics: false });
    const limits = new RateLimits({ rateLimitEnabled: true, authPerMinute: 2, wsPerMinute: 2, loginPerAccountPerHour: 2 }, metrics, createLogger('info', stream), client, `rctest:${randomBytes(4).toString('hex')}:`);
    try {
      await waitFor('redis ready', () => client.status === 'ready');
      expect((await limits.consumeAuth('a')).allowed).toBe(true);
      await redis.kill();
      await waitFor('redis gone', () => client.status !== 'ready');
      expect((await limits.consumeAuth('b')).allowed).toBe(true);
      expect((await limits.consumeAuth('b')).allowed).toBe(true);
      expect((await limits.consumeAuth('b')).allowed).toBe(false);
      expect((await limits.consumeWs('b')).allowed).toBe(true);
      expect(capture.lines.filter((l) => l.includes('falling back'))).toHaveLength(1);
      expect(await metrics.registry.metrics()).toMatch(/rustchat_rate_limit_store_fallback 1/);
      // Redis comes back on the same address: shared counters resume, and the log says so.
      const again = await startRedisServer(redis.port);
      try {
        await waitFor('redis ready again', () => client.status === 'ready');
        expect((await limits.consumeAuth('c')).allowed).toBe(true);
        expect(capture.lines.filter((l) => l.includes('Redis reachable again'))).toHaveLength(1);
        expect(await metrics.registry.metrics()).toMatch(/rustchat_rate_limit_store_fallback 0/);
        expect(await client.keys('*rl:auth*')).not.toEqual([]);
      } finally {
        await again.kill();
      }
    } finally {
      client.disconnect();
      await redis.kill();
    }
  });
});
