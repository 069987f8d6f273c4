/**
 * Every WebSocket handshake refusal is an HTTP response like any other (security contract §6,
 * §9): the security headers (HSTS in production), the JSON error envelope with the request id,
 * and `Retry-After` on both 429s (the per-IP handshake limit and the per-user connection cap).
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CSP } from '../../src/http/server.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { refused, WsClient, type Refused } from '../helpers/ws-client.js';
import { listening, type Live } from './helpers.js';

const PRODUCTION = { RUSTCHAT_ENVIRONMENT: 'production', RUSTCHAT_SITE_URL: 'https://chat.example.com', RUSTCHAT_JWT_ISSUER: 'https://chat.example.com', RUSTCHAT_JWT_AUDIENCE: 'rustchat' };

/** A raw upgrade request to any path (the ws client always asks for /api/v1/ws). */
function upgrade(baseUrl: string, path: string): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, baseUrl), { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('upgrade', () => reject(new Error('upgraded')));
    req.on('error', reject);
    req.end();
  });
}

function expectHardened(r: Refused, hsts: boolean): void {
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(r.headers['referrer-policy']).toBe('no-referrer');
  expect(r.headers['content-security-policy']).toBe(CSP);
  expect(r.headers['strict-transport-security']).toBe(hsts ? 'max-age=63072000' : undefined);
  expect(r.headers['content-type']).toBe('application/json');
  const id = r.headers['x-request-id'];
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  // The envelope: code and message, plus the request id (the contract's 429 body is exact and carries none).
  expect(r.body.error).toMatchObject({ code: expect.stringMatching(/^[A-Z_]+$/), message: expect.any(String) });
  if (r.body.error.code !== 'RATE_LIMIT_EXCEEDED') expect(r.body.error.request_id).toBe(id);
}

describe.each([
  ['development', {}, false],
  ['production', PRODUCTION, true],
] as const)('WebSocket handshake refusals (%s)', (_name, env, hsts) => {
  let live: Live;
  let u: TestUser;
  beforeAll(async () => {
    live = await listening('sqlite', { env: { ...env, RUSTCHAT_SECURITY_RATE_LIMIT_WS_PER_MINUTE: '6', RUSTCHAT_WS_MAX_CONNECTIONS_PER_USER: '1', RUSTCHAT_WS_HEARTBEAT_SECONDS: '7' } });
    u = await registerUser(live.t.api, 'refused');
  });
  afterAll(async () => live?.t.close());

  it('401, 403, 404 and both 429s carry the security headers and the envelope', async () => {
    const unauthorized = await refused(live.url);
    expect(unauthorized.status).toBe(401);
    expectHardened(unauthorized, hsts);

    const forbidden = await refused(live.url, { token: u.token, origin: 'https://evil.example' });
    expect(forbidden.status).toBe(403);
    expectHardened(forbidden, hsts);

    const missing = await upgrade(live.url, '/api/v1/not-the-socket');
    expect(missing.status).toBe(404);
    expectHardened(missing, hsts);

    const first = await WsClient.connect(live.url, { token: u.token });
    const capped = await refused(live.url, { token: u.token });
    expect(capped.status).toBe(429);
    expect(capped.body.error.code).toBe('TOO_MANY_CONNECTIONS');
    expect(capped.headers['retry-after']).toBe('14');
    expect(capped.body.error.retry_after).toBe(14);
    expectHardened(capped, hsts);
    first.close();

    let limited: Refused;
    do limited = await refused(live.url);
    while (limited.status !== 429);
    expect(limited.headers['retry-after']).toMatch(/^\d+$/);
    expect(limited.body).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests. Please try again later.', retry_after: Number(limited.headers['retry-after']) } });
    expectHardened(limited, hsts);
  });
});
