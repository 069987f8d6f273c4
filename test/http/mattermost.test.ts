/**
 * The Mattermost v4 conventions (src/http/routes/mattermost.ts), checked with Mattermost's
 * official client library (`@mattermost/client`) against a listening server: a JSON answer's
 * Content-Type is exactly application/json (else the client hands back a string), errors come in
 * Mattermost's envelope, an /api/v4 route not built answers 501, and the token travels as
 * `Authorization: BEARER` through the server's one authentication path.
 */
import mm from '@mattermost/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';

describe('Mattermost v4 conventions', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startApp('sqlite');
    base = (await t.app.listen()).url;
  });
  afterAll(async () => {
    await t?.close();
  });

  const client = (token?: string) => {
    const c = new mm.Client4();
    c.setUrl(base);
    if (token !== undefined) c.setToken(token);
    return c;
  };

  it('answers the client\'s ping with a JSON object it parses', async () => {
    expect(await client().ping(false, '')).toEqual({ status: 'OK' });
    const res = await fetch(`${base}/api/v4/system/ping`);
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('answers a route it does not serve with 501 not_implemented, in Mattermost\'s envelope, signed in or not', async () => {
    const alice = await registerUser(t.api, 'alice');
    for (const c of [client(), client(alice.token)]) {
      const err = await c.getMe().catch((e: unknown) => e);
      expect(err).toMatchObject({ status_code: 501, server_error_id: 'api.route.not_implemented.app_error' });
    }
    const res = await fetch(`${base}/api/v4/no/such/route`, { method: 'POST' });
    expect(res.status).toBe(501);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ id: 'api.route.not_implemented.app_error', message: expect.any(String), detailed_error: '', request_id: expect.any(String), status_code: 501 });
  });

  it('answers refusals raised before a route runs in the same envelope: another origin (403), another method (405)', async () => {
    const carol = await registerUser(t.api, 'carol');
    const foreign = await fetch(`${base}/api/v4/users/sessions/device`, {
      method: 'PUT', headers: { 'content-type': 'application/json', authorization: `BEARER ${carol.token}`, origin: 'https://evil.example' }, body: JSON.stringify({ device_id: 'apple_rn:x' }),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('content-type')).toBe('application/json');
    expect(await foreign.json()).toMatchObject({ id: 'api.context.permissions.app_error', detailed_error: '', status_code: 403 });
    const wrongMethod = await fetch(`${base}/api/v4/users/sessions/device`, { headers: { authorization: `BEARER ${carol.token}` } });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('PUT');
    expect(await wrongMethod.json()).toMatchObject({ id: 'api.context.method_not_allowed.app_error', status_code: 405 });
    // The v1 API keeps its own envelope.
    const v1 = await fetch(`${base}/api/v1/users/me/sessions/device`, { headers: { authorization: `Bearer ${carol.token}` } });
    expect(v1.status).toBe(405);
    expect(await v1.json()).toMatchObject({ error: { code: 'METHOD_NOT_ALLOWED' } });
  });

  it('authenticates v4 routes through the one path: a bad or revoked token is 401, malformed JSON 400, both as Mattermost errors', async () => {
    const bob = await registerUser(t.api, 'bob');
    const put = (headers: Record<string, string>, body: string) => fetch(`${base}/api/v4/users/sessions/device`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body });
    const ok = await put({ authorization: `BEARER ${bob.token}` }, JSON.stringify({ device_id: 'apple_rn:bobphone' }));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    const malformed = await put({ authorization: `Bearer ${bob.token}` }, '{"device_id":');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ id: 'api.context.invalid_body_param.app_error', status_code: 400 });
    expect((await put({ authorization: 'BEARER not-a-token' }, JSON.stringify({ device_id: 'apple_rn:x' }))).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/logout', undefined, bob.token)).status).toBe(200);
    const revoked = await put({ authorization: `BEARER ${bob.token}` }, JSON.stringify({ device_id: 'apple_rn:bobphone2' }));
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toMatchObject({ id: 'api.context.session_expired.app_error', status_code: 401 });
  });
});
