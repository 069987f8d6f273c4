/**
 * Tokens and server-side sessions (security contract §2): pinned HS256, required exp, iss and
 * aud; sessions that end at once on logout, password change, deactivation and admin revoke;
 * roles read from the database on every request.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type TestApp } from '../helpers/app.js';
import { envelope, login, makeSystemAdmin, registerUser, type TestUser } from '../helpers/factories.js';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(STORES)('tokens and sessions (%s)', (kind) => {
  let t: TestApp;
  let now = Date.now();
  let offset = 0;
  let admin: TestUser;
  beforeAll(async () => {
    // The app's clock can be moved forward to let sessions expire in the database.
    t = await startApp(kind, { clock: () => Date.now() + offset });
    admin = await makeSystemAdmin(t.app, await registerUser(t.api, 'admin'));
  });
  afterAll(async () => t?.close());

  const key = () => new TextEncoder().encode(t.config.jwt.secret);
  async function sessionOf(user: TestUser): Promise<string> {
    const list = await t.api.get('/api/v1/users/me/sessions', user.token);
    return list.body.find((s: any) => s.current).id;
  }
  async function forge(user: TestUser, opts: { alg?: string; secret?: Uint8Array; iss?: string; aud?: string; exp?: number | null; sid?: string | null; sub?: string } = {}): Promise<string> {
    now = Date.now();
    let jwt = new SignJWT(opts.sid === null ? {} : { sid: opts.sid ?? (await sessionOf(user)) })
      .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT' })
      .setSubject(opts.sub ?? user.id)
      .setIssuer(opts.iss ?? t.config.jwt.issuer)
      .setAudience(opts.aud ?? t.config.jwt.audience)
      .setIssuedAt();
    if (opts.exp !== null) jwt = jwt.setExpirationTime(opts.exp ?? Math.floor(now / 1000) + 3600);
    return jwt.sign(opts.secret ?? key());
  }
  async function expectRefused(token: string): Promise<void> {
    const res = await t.api.get('/api/v1/auth/me', token);
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHORIZED');
  }

  it('accepts a well-formed token it signed (the forging helper is sound)', async () => {
    const u = await registerUser(t.api, 'tok');
    expect((await t.api.get('/api/v1/auth/me', await forge(u))).status).toBe(200);
  });

  it('refuses alg "none"', async () => {
    const u = await registerUser(t.api, 'tok');
    const sid = await sessionOf(u);
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const payload = b64({ sub: u.id, sid, iss: t.config.jwt.issuer, aud: t.config.jwt.audience, exp });
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`);
    await expectRefused(`${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${u.token.split('.')[2]}`);
  });

  it('refuses other algorithms, even with the right secret (HS512, HS384)', async () => {
    const u = await registerUser(t.api, 'tok');
    await expectRefused(await forge(u, { alg: 'HS512' }));
    await expectRefused(await forge(u, { alg: 'HS384' }));
  });

  it('refuses a bad signature and a token signed with another secret', async () => {
    const u = await registerUser(t.api, 'tok');
    const [h, p, s] = u.token.split('.') as [string, string, string];
    const flipped = `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    await expectRefused(`${h}.${p}.${flipped}`);
    await expectRefused(await forge(u, { secret: new TextEncoder().encode(strongSecret()) }));
    // Tampering with the claims breaks the signature too.
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    await expectRefused(`${h}.${b64({ ...claims, sub: admin.id })}.${s}`);
  });

  it('refuses an expired token and a token without exp', async () => {
    const u = await registerUser(t.api, 'tok');
    await expectRefused(await forge(u, { exp: Math.floor(Date.now() / 1000) - 120 }));
    await expectRefused(await forge(u, { exp: null }));
  });

  it('refuses the wrong issuer or audience', async () => {
    const u = await registerUser(t.api, 'tok');
    await expectRefused(await forge(u, { iss: 'someone-else' }));
    await expectRefused(await forge(u, { aud: 'someone-else' }));
  });

  it('refuses a token without a session, with an unknown session, or naming another user', async () => {
    const u = await registerUser(t.api, 'tok');
    const v = await registerUser(t.api, 'tok');
    await expectRefused(await forge(u, { sid: null }));
    await expectRefused(await forge(u, { sid: randomUUID() }));
    // u's session id with v as subject: the session belongs to u.
    await expectRefused(await forge(v, { sid: await sessionOf(u), sub: v.id }));
  });

  it('refuses malformed Authorization headers and garbage tokens with the same 401', async () => {
    const u = await registerUser(t.api, 'tok');
    const base = await t.api.get('/api/v1/auth/me');
    expect(base.status).toBe(401);
    for (const header of ['Bearer', 'Basic abc', `Token ${u.token}`, 'Bearer a.b', 'Bearer not-a-jwt', `Bearer ${'x'.repeat(5000)}`]) {
      const res = await t.api.get('/api/v1/auth/me', undefined, { headers: { authorization: header } });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHORIZED');
    }
    // The scheme is case-insensitive.
    expect((await t.api.get('/api/v1/auth/me', undefined, { headers: { authorization: `bEaReR ${u.token}` } })).status).toBe(200);
  });

  it('makes every refused token an access_denied event with its reason, while the client sees the same 401', async () => {
    const u = await registerUser(t.api, 'tok');
    const events = (): Array<Record<string, any>> => t.logs.lines.map((l) => JSON.parse(l) as Record<string, any>).filter((o) => o.security_event === 'access_denied' && o.stage === 'authentication');
    const reasonOf = async (headers: Record<string, string>): Promise<string> => {
      const before = events().length;
      const res = await t.api.request('GET', '/api/v1/auth/me', { headers });
      expect(envelope(res)).toEqual({ status: 401, contentType: 'application/json', error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      const fresh = events().slice(before);
      expect(fresh).toHaveLength(1);
      expect(fresh[0]).toMatchObject({ severity: 'info', client_ip: expect.any(String), request_id: res.headers['x-request-id'] });
      return fresh[0]!.reason as string;
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const [h, p, sig] = u.token.split('.') as [string, string, string];
    expect(await reasonOf(bearer(`${h}.${p}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`))).toBe('bad_signature');
    expect(await reasonOf(bearer(await forge(u, { exp: Math.floor(Date.now() / 1000) - 60 })))).toBe('token_expired');
    expect(await reasonOf(bearer(await forge(u, { alg: 'HS512' })))).toBe('bad_algorithm');
    expect(await reasonOf(bearer(await forge(u, { aud: 'other-app' })))).toBe('bad_claims');
    expect(await reasonOf(bearer(await forge(u, { sid: randomUUID() })))).toBe('unknown_session');
    expect(await reasonOf(bearer('not-a-jwt'))).toBe('malformed');
    expect(await reasonOf({ authorization: `Basic ${u.token}` })).toBe('malformed_header');
    expect(await reasonOf({})).toBe('missing_token');
    const other = await login(t.api, u.username, u.password);
    expect((await t.api.post('/api/v1/auth/logout', undefined, other)).status).toBeLessThan(300);
    expect(await reasonOf(bearer(other))).toBe('session_revoked');
    expect(t.logs.text()).not.toContain(sig);
  });

  it('ends a session that expired in the database even if the token is still within its exp', async () => {
    const u = await registerUser(t.api, 'expire');
    expect((await t.api.get('/api/v1/auth/me', u.token)).status).toBe(200);
    offset = 25 * 3600_000;
    try {
      await expectRefused(u.token);
    } finally {
      offset = 0;
    }
  });

  it('logout, password change and deactivation end sessions at once; revocation keys on the session, not the string', async () => {
    const u = await registerUser(t.api, 'end');
    const second = await login(t.api, u.email, u.password);
    // A malleable last base64url character must not resurrect a revoked token either.
    await t.api.post('/api/v1/auth/logout', undefined, u.token);
    await expectRefused(u.token);
    const s = u.token.split('.')[2]!;
    const last = s[s.length - 1]!;
    const sibling = `${u.token.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    await expectRefused(sibling);
    expect((await t.api.get('/api/v1/auth/me', second)).status).toBe(200);

    const third = await login(t.api, u.email, u.password);
    const changed = await t.api.post('/api/v1/users/me/password', { current_password: u.password, new_password: 'a different passphrase' }, second);
    expect(changed.status).toBe(200);
    await expectRefused(second);
    await expectRefused(third);
    const fresh = changed.body.token as string;
    expect((await t.api.get('/api/v1/auth/me', fresh)).status).toBe(200);

    const deactivated = await t.api.post(`/api/v1/admin/users/${u.id}/deactivate`, undefined, admin.token);
    expect(deactivated.status).toBe(200);
    await expectRefused(fresh);
    expect((await t.app.store.sessions.listActiveForUser(u.id, Date.now())).length).toBe(0);
    expect(t.logs.lines.some((l) => l.includes('"security_event":"session_revoked"') && l.includes('"reason":"deactivation"'))).toBe(true);
  });

  it('admin revoke ends every session of a user', async () => {
    const u = await registerUser(t.api, 'revoke');
    const second = await login(t.api, u.email, u.password);
    const res = await t.api.post(`/api/v1/admin/users/${u.id}/revoke_sessions`, undefined, admin.token);
    expect(res.body).toEqual({ revoked: 2 });
    await expectRefused(u.token);
    await expectRefused(second);
    expect((await t.api.post('/api/v1/auth/login', { email: u.email, password: u.password })).status).toBe(200);
  });

  it('reads the role from the database on every request, not from the token', async () => {
    const u = await registerUser(t.api, 'role');
    const denied = await t.api.get('/api/v1/admin/stats', u.token);
    expect(denied.status).toBe(403);
    await t.app.store.users.setRole(u.id, 'system_admin', Date.now());
    expect((await t.api.get('/api/v1/admin/stats', u.token)).status).toBe(200);
    await t.app.store.users.setRole(u.id, 'system_user', Date.now());
    expect(envelope(await t.api.get('/api/v1/admin/stats', u.token))).toEqual(envelope(denied));
    // Nothing role-like in the token either.
    const claims = JSON.parse(Buffer.from(u.token.split('.')[1]!, 'base64url').toString());
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'sid', 'sub']);
  });
});

describe('previous JWT secret during a rotation', () => {
  it('accepts tokens signed with RUSTCHAT_JWT_SECRET_PREVIOUS, and only those besides the current one', async () => {
    const old = strongSecret();
    const first = await startApp('sqlite', { env: { RUSTCHAT_JWT_SECRET: old } });
    const u = await registerUser(first.api, 'rot');
    await first.app.close();
    const rotated = await startApp('sqlite', { dataDir: first.dataDir, env: { RUSTCHAT_JWT_SECRET: strongSecret(), RUSTCHAT_JWT_SECRET_PREVIOUS: old } });
    const withoutPrevious = await startApp('sqlite', { dataDir: first.dataDir, env: { RUSTCHAT_JWT_SECRET: strongSecret() } });
    try {
      expect((await rotated.api.get('/api/v1/auth/me', u.token)).status).toBe(200);
      expect((await withoutPrevious.api.get('/api/v1/auth/me', u.token)).status).toBe(401);
    } finally {
      await rotated.close();
      await withoutPrevious.close();
      await first.close().catch(() => undefined);
    }
  });
});
