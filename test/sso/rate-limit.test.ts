/**
 * The four SSO endpoints (providers list, login, callback, exchange) are on the shared
 * per-IP auth rate limit (contract §5): the exact 429, and one bucket for all of them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { securityEvents } from './helpers/events.js';

const LIMIT = 3;

describe('SSO endpoints on the auth rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_SECURITY_RATE_LIMIT_AUTH_PER_MINUTE: String(LIMIT) } });
  });
  afterAll(async () => t?.close());

  const endpoints: [string, string, unknown][] = [
    ['GET', '/api/v1/oauth2/providers', undefined],
    ['GET', '/api/v1/oauth2/kc/login?redirect_to=/x', undefined],
    ['GET', '/api/v1/oauth2/kc/callback?code=abc&state=def', undefined],
    ['POST', '/api/v1/oauth2/exchange', { code: 'not-a-code' }],
  ];

  it.each(endpoints.map((e, i) => [e[0], e[1], e[2], i] as const))('%s %s is limited per IP', async (method, url, body, i) => {
    const ip = `10.9.${i}.1`;
    for (let n = 1; n <= LIMIT; n++) {
      const ok = await t.api.request(method, url, { body, ip });
      expect(ok.status).not.toBe(429);
      expect(ok.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(LIMIT - n));
    }
    const events = securityEvents(t, 'rate_limit_exceeded').length;
    const limited = await t.api.request(method, url, { body, ip });
    expect(limited.status).toBe(429);
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: Number(limited.headers['retry-after']) } });
    expect(securityEvents(t, 'rate_limit_exceeded').length).toBe(events + 1);
  });

  it('they share one bucket with each other and with password login', async () => {
    const ip = '10.9.9.9';
    expect((await t.api.get('/api/v1/oauth2/providers', undefined, { ip })).status).toBe(200);
    expect((await t.api.get('/api/v1/oauth2/kc/login', undefined, { ip })).status).toBe(404);
    expect((await t.api.post('/api/v1/auth/login', { email: 'nobody@corp.example', password: 'whatever-password' }, undefined, { ip })).status).toBe(401);
    expect((await t.api.post('/api/v1/oauth2/exchange', { code: 'x' }, undefined, { ip })).status).toBe(429);
  });
});
