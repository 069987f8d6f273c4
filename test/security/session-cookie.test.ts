/**
 * The session cookie (contract §9): in production `__Host-rustchat_session`, Secure, HttpOnly,
 * SameSite=Lax, Path=/, no Domain, and only that name is read; in development (plain http,
 * where Secure cannot be used) the plain name, and only that one is read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { registerUser, type TestUser } from '../helpers/factories.js';

const PRODUCTION = { RUSTCHAT_ENVIRONMENT: 'production', RUSTCHAT_SITE_URL: 'https://chat.example.com', RUSTCHAT_JWT_ISSUER: 'https://chat.example.com', RUSTCHAT_JWT_AUDIENCE: 'rustchat' };

function attributes(setCookie: string): { name: string; value: string; attrs: Map<string, string | true> } {
  const [pair, ...rest] = setCookie.split(';');
  const eq = pair!.indexOf('=');
  const attrs = new Map<string, string | true>();
  for (const a of rest) {
    const i = a.indexOf('=');
    attrs.set((i < 0 ? a : a.slice(0, i)).trim().toLowerCase(), i < 0 ? true : a.slice(i + 1).trim());
  }
  return { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), attrs };
}

describe.each([
  ['production', PRODUCTION, '__Host-rustchat_session', 'rustchat_session'],
  ['development', {}, 'rustchat_session', '__Host-rustchat_session'],
] as const)('the session cookie (%s)', (env, vars, name, otherName) => {
  let t: TestApp;
  let user: TestUser;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: vars });
    user = await registerUser(t.api, 'cookie');
  });
  afterAll(async () => t?.close());

  it(`is set as ${name} with the right attributes`, async () => {
    const res = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(res.status).toBe(200);
    const set = res.headers['set-cookie'];
    const cookies = (Array.isArray(set) ? set : [String(set)]).map(attributes);
    expect(cookies.map((c) => c.name)).toEqual([name]);
    const { value, attrs } = cookies[0]!;
    expect(value).toBe(res.body.token);
    expect(attrs.get('path')).toBe('/');
    expect(attrs.has('domain')).toBe(false);
    expect(attrs.get('httponly')).toBe(true);
    expect(String(attrs.get('samesite')).toLowerCase()).toBe('lax');
    expect(attrs.has('secure')).toBe(env === 'production');
  });

  it(`authenticates as ${name} only`, async () => {
    expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { cookie: `${name}=${user.token}` } })).body.id).toBe(user.id);
    // The other environment's name is not read: in production a plain cookie, which a sibling
    // subdomain could have set, carries no session.
    expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { cookie: `${otherName}=${user.token}` } })).status).toBe(401);
  });

  it(`logout clears ${name}`, async () => {
    const token = (await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password })).body.token as string;
    const res = await t.api.post('/api/v1/auth/logout', undefined, token);
    expect(res.status).toBe(200);
    const cleared = attributes(String(res.headers['set-cookie']));
    expect(cleared.name).toBe(name);
    expect(cleared.value).toBe('');
    expect(cleared.attrs.get('path')).toBe('/');
    expect(cleared.attrs.has('secure')).toBe(env === 'production');
  });
});
