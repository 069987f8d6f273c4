/**
 * Findings of the outside security review (issue 10 §4 and §5) about plain HTTP answers:
 * CORS decided by OriginPolicy's normalised comparison; wrong methods on known paths answer
 * 405 with `Allow`; the anonymous liveness probe tells no version; missing assets are 404s,
 * not the web client; no public source maps in production; a body over the limit gets a 413
 * the client can read, also when it is sent over a real socket.
 */
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/app.js';
import { startApp, type TestApp } from '../helpers/app.js';

const PRODUCTION = { RUSTCHAT_ENVIRONMENT: 'production', RUSTCHAT_SITE_URL: 'https://chat.example.com', RUSTCHAT_JWT_ISSUER: 'https://chat.example.com', RUSTCHAT_JWT_AUDIENCE: 'rustchat' };

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe('CORS uses OriginPolicy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { ...PRODUCTION, RUSTCHAT_CORS_ALLOWED_ORIGINS: 'https://admin.example.com' } });
  });
  afterAll(async () => t?.close());

  it.each(['https://ADMIN.example.com', 'https://admin.example.com:443', 'https://Admin.Example.Com:443'])('%s is the listed origin, written another way', async (origin) => {
    // The unsafe-request check (OriginPolicy) already accepts it; CORS must agree.
    const post = await t.api.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-123' }, undefined, { headers: { origin } });
    expect(post.status).toBe(401);
    const res = await t.api.request('OPTIONS', '/api/v1/auth/login', { headers: { origin, 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    const get = await t.api.get('/api/v1/health/live', undefined, { headers: { origin } });
    expect(get.headers['access-control-allow-origin']).toBe('https://admin.example.com');
  });

  it.each(['https://admin.example.com:8443', 'http://admin.example.com', 'https://admin.example.com.evil.example', 'null'])('%s is not', async (origin) => {
    const res = await t.api.request('OPTIONS', '/api/v1/auth/login', { headers: { origin, 'access-control-request-method': 'POST' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('anonymous probes tell no version', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: PRODUCTION });
  });
  afterAll(async () => t?.close());

  it('/health/live and the OpenAPI document', async () => {
    const live = await t.api.get('/api/v1/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const openapi = await t.api.get('/api/v1/openapi.json');
    expect(openapi.status).toBe(200);
    for (const res of [live, openapi]) expect(res.text).not.toContain(VERSION);
  });
});
