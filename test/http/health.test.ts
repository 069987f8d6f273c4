/** Health probes, unknown routes, request ids and the generated OpenAPI document, on both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { REDIS_URL } from '../helpers/services.js';
import { registerUser, type TestUser } from '../helpers/factories.js';
import { compileRouteSchemas } from '../../src/http/schema-compilers.js';

/**
 * Every route the server has, from Fastify's own route tree (not from the OpenAPI document,
 * which is what is being checked): `METHOD /path/{param}` for each /api/v1 route.
 */
function existingRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    const path = (depth > 0 ? stack[depth - 1]! : '') + m[2]!;
    stack.push(path);
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'HEAD')) {
      // The API (and its Mattermost v4 routes), and the incoming-webhook URLs (`/hooks/{token}`, documented with it).
      if (path.startsWith('/api/v1/') || path.startsWith('/api/v4/') || path.startsWith('/hooks/')) out.push(`${method} ${path.replace(/:(\w+)/g, '{$1}')}`);
    }
  }
  return out;
}

/** Routes that exist but are deliberately not in the document, and why. */
const UNDOCUMENTED: Record<string, string> = {
  'GET /api/v1/openapi.json': 'the document itself',
  'GET /api/v1/ws': 'the WebSocket upgrade (described in the API docs; OpenAPI cannot describe it)',
};

describe.each(STORES)('health, errors and OpenAPI (%s)', (kind) => {
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    t = await startApp(kind);
    u = await registerUser(t.api, 'health');
  });
  afterAll(async () => t?.close());

  it('answers the liveness and readiness probes without a token', async () => {
    const live = await t.api.get('/api/v1/health/live');
    expect(live.status).toBe(200);
    expect(live.body).toEqual({ status: 'ok' });
    const ready = await t.api.get('/api/v1/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok' } });
  });

  // (A known path asked with the wrong method is a 405: test/security/http-review.test.ts.)
  it('answers unknown routes with a JSON 404, signed in or not, whatever the method', async () => {
    for (const [method, url, token] of [['GET', '/api/v1/nope', undefined], ['GET', '/api/v1/nope', u.token], ['POST', '/api/v1/teams/x/y/z', u.token], ['PUT', '/api/v1/teams/x/y/z/w', u.token], ['GET', '/api/v2/anything', undefined]] as const) {
      const res = await t.api.request(method, url, { token });
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'Route not found' });
    }
  });

  it('puts an X-Request-Id on every response, matching the error body', async () => {
    const responses = [
      await t.api.get('/api/v1/health/live'),
      await t.api.get('/api/v1/auth/me', u.token),
      await t.api.get('/api/v1/auth/me'),
      await t.api.get('/api/v1/nope'),
      await t.api.get('/api/v1/channels/not-a-uuid', u.token),
      await t.api.get('/api/v1/channels/%E0%A4%A', u.token),
      await t.api.get(`/api/v1/channels/${'a'.repeat(300)}`, u.token),
      await t.api.request('POST', '/api/v1/teams', { token: u.token, rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
      await t.api.request('POST', '/api/v1/teams', { token: u.token, rawBody: '{', headers: { 'content-type': 'application/json' } }),
    ];
    const ids = new Set<string>();
    for (const res of responses) {
      const id = res.headers['x-request-id'];
      expect(typeof id).toBe('string');
      ids.add(id as string);
      if (res.status >= 400) {
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.error.request_id).toBe(id);
      }
    }
    expect(ids.size).toBe(responses.length);
    // A client cannot choose its request id.
    const chosen = await t.api.get('/api/v1/health/live', undefined, { headers: { 'x-request-id': 'mine' } });
    expect(chosen.headers['x-request-id']).not.toBe('mine');
  });

  it('serves an OpenAPI 3.1 document listing every /api/v1 and /api/v4 route that exists', async () => {
    const res = await t.api.get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const routes = existingRoutes(t.app.http.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(50);
    expect(routes).toContain('POST /api/v1/channels/{id}/posts');
    const missing = routes.filter((r) => !documented.has(r) && UNDOCUMENTED[r] === undefined);
    expect(missing).toEqual([]);
    // ...and nothing documented that does not exist.
    expect([...documented].filter((d) => !routes.includes(d))).toEqual([]);
    // Authenticated routes say so; public ones do not.
    expect(res.body.paths['/api/v1/auth/login'].post.security).toEqual([]);
    expect(res.body.paths['/api/v1/channels/{id}'].get.security).toBeUndefined();
    expect(res.body.security).toEqual([{ bearer: [] }]);
  });

  // Route schemas compile on first use (src/http/schema-compilers.ts), so a schema Ajv or
  // fast-json-stringify rejects would only fail its route's first request: compile them all.
  it('compiles every route schema that no request has needed yet', () => {
    expect(compileRouteSchemas(t.app.http)).toBeGreaterThan(50);
    expect(compileRouteSchemas(t.app.http)).toBe(0);
  });
});

describe('readiness when a dependency is down', () => {
  it.each(STORES)('names the database when it does not answer (%s)', async (kind) => {
    const t = await startApp(kind);
    try {
      await t.app.store.close();
      const res = await t.api.get('/api/v1/health/ready');
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ status: 'unavailable', checks: { database: 'unavailable', storage: 'ok' } });
      expect((await t.api.get('/api/v1/health/live')).status).toBe(200);
    } finally {
      await t.close().catch(() => undefined);
    }
  });

  it('checks Redis too when it is configured', async () => {
    const t = await startApp('sqlite', { env: { RUSTCHAT_REDIS_URL: REDIS_URL } });
    try {
      expect((await t.api.get('/api/v1/health/ready')).body).toEqual({ status: 'ok', checks: { database: 'ok', storage: 'ok', redis: 'ok' } });
      t.app.redis!.disconnect();
      const res = await t.api.get('/api/v1/health/ready');
      expect(res.status).toBe(503);
      expect(res.body.checks).toEqual({ database: 'ok', storage: 'ok', redis: 'unavailable' });
    } finally {
      await t.close();
    }
  });
});
