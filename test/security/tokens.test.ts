/**
 * Tokens and sessions (security contract §2): pinned verification, JWT secret rotation with
 * and without RUSTCHAT_JWT_SECRET_PREVIOUS, and revocation keyed on the session, not the
 * token string.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, jwtVerify } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/security/tokens.js';
import { startApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';

const secret = () => randomBytes(48).toString('base64');
const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const conf = (s: string, previous?: string) => ({ secret: s, previousSecret: previous, issuer: 'https://chat.example.com', audience: 'rustchat' });
const inAnHour = () => Date.now() + 3600_000;

describe('TokenService', () => {
  it('signs and verifies HS256 tokens naming a session', async () => {
    const s = new TokenService(conf(secret()));
    const token = await s.sign('user-1', 'session-1', inAnHour());
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(await s.verify(token)).toMatchObject({ userId: 'user-1', sessionId: 'session-1' });
  });

  it('refuses `alg: none`', async () => {
    const s = new TokenService(conf(secret()));
    const exp = Math.floor(inAnHour() / 1000);
    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'u', sid: 's', exp, iss: 'https://chat.example.com', aud: 'rustchat' })}.`;
    expect(await s.verify(none)).toBeUndefined();
  });

  it('pins the algorithm: HS512 with the same secret is refused', async () => {
    const k = secret();
    const token = await new SignJWT({ sid: 's' }).setProtectedHeader({ alg: 'HS512' }).setSubject('u').setIssuer('https://chat.example.com').setAudience('rustchat').setExpirationTime('1h').sign(enc(k));
    expect(await new TokenService(conf(k)).verify(token)).toBeUndefined();
  });

  it('never takes a key from the token header', async () => {
    const attacker = secret();
    const token = await new SignJWT({ sid: 's' })
      .setProtectedHeader({ alg: 'HS256', jwk: { kty: 'oct', k: Buffer.from(attacker).toString('base64url') } as never, kid: 'attacker' })
      .setSubject('u').setIssuer('https://chat.example.com').setAudience('rustchat').setExpirationTime('1h')
      .sign(enc(attacker));
    expect(await new TokenService(conf(secret())).verify(token)).toBeUndefined();
  });

  it('requires exp, sub and sid, and checks exp, iss and aud', async () => {
    const k = secret();
    const s = new TokenService(conf(k));
    const base = () => new SignJWT({ sid: 's' }).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('https://chat.example.com').setAudience('rustchat');
    expect(await s.verify(await base().setExpirationTime('1h').sign(enc(k)))).toBeDefined(); // control
    expect(await s.verify(await base().sign(enc(k)))).toBeUndefined(); // no exp
    expect(await s.verify(await base().setExpirationTime(Math.floor(Date.now() / 1000) - 60).sign(enc(k)))).toBeUndefined(); // expired
    expect(await s.verify(await base().setIssuer('https://evil.example').setExpirationTime('1h').sign(enc(k)))).toBeUndefined();
    expect(await s.verify(await base().setAudience('other-app').setExpirationTime('1h').sign(enc(k)))).toBeUndefined();
    expect(await s.verify(await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('u').setIssuer('https://chat.example.com').setAudience('rustchat').setExpirationTime('1h').sign(enc(k)))).toBeUndefined(); // no sid
    expect(await s.verify('not.a.token')).toBeUndefined();
    expect(await s.verify('x'.repeat(5000))).toBeUndefined();
  });

  it('rotation: a new secret refuses old tokens; with the old one as PREVIOUS it accepts them and signs with the new one', async () => {
    const oldSecret = secret();
    const newSecret = secret();
    const oldToken = await new TokenService(conf(oldSecret)).sign('u', 's', inAnHour());
    expect(await new TokenService(conf(newSecret)).verify(oldToken)).toBeUndefined();
    const grace = new TokenService(conf(newSecret, oldSecret));
    expect(await grace.verify(oldToken)).toMatchObject({ userId: 'u', sessionId: 's' });
    const fresh = await grace.sign('u', 's2', inAnHour());
    await expect(jwtVerify(fresh, enc(newSecret))).resolves.toBeDefined();
    await expect(jwtVerify(fresh, enc(oldSecret))).rejects.toThrow();
  });
});

describe('rotation on a running deployment', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a new RUSTCHAT_JWT_SECRET signs everyone out; RUSTCHAT_JWT_SECRET_PREVIOUS gives a grace period', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-rotate-'));
    dirs.push(dataDir);
    const [s1, s2] = [secret(), secret()];
    const boot = (env: Record<string, string>) => startApp('sqlite', { dataDir, env });

    let t = await boot({ RUSTCHAT_JWT_SECRET: s1 });
    const user = await registerUser(t.api, 'rotate');
    expect((await t.api.get('/api/v1/auth/me', user.token)).status).toBe(200);
    await t.close();

    t = await boot({ RUSTCHAT_JWT_SECRET: s2 });
    expect((await t.api.get('/api/v1/auth/me', user.token)).status).toBe(401);
    await t.close();

    t = await boot({ RUSTCHAT_JWT_SECRET: s2, RUSTCHAT_JWT_SECRET_PREVIOUS: s1 });
    expect((await t.api.get('/api/v1/auth/me', user.token)).status).toBe(200);
    const login = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    await expect(jwtVerify(login.body.token, enc(s2))).resolves.toBeDefined();
    await t.close();

    t = await boot({ RUSTCHAT_JWT_SECRET: s2 });
    try {
      expect((await t.api.get('/api/v1/auth/me', user.token)).status).toBe(401); // grace over
      expect((await t.api.get('/api/v1/auth/me', login.body.token)).status).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe('revocation keys on the session, not the token string', () => {
  it('after logout, the token and every spelling of its signature are refused', async () => {
    const t = await startApp('sqlite');
    try {
      const user = await registerUser(t.api, 'malleable');
      const [h, p, sig] = user.token.split('.') as [string, string, string];
      // The last base64url character of a 32-byte signature carries 2 unused bits: other
      // strings decode to the same signature.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(sig.at(-1)!);
      const variants = [1, 2, 3].map((d) => `${h}.${p}.${sig.slice(0, -1)}${alphabet[(last & ~3) | ((last + d) & 3)]}`);
      expect((await t.api.post('/api/v1/auth/logout', {}, user.token)).status).toBe(200);
      expect(t.logs.text()).toMatch(/"security_event":"session_revoked"/);
      expect((await t.api.get('/api/v1/auth/me', user.token)).status).toBe(401);
      for (const v of variants) expect((await t.api.get('/api/v1/auth/me', v)).status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it('roles come from the database: a demoted admin loses admin rights with the same token', async () => {
    const t = await startApp('sqlite');
    try {
      await t.app.services.accounts.bootstrapAdmin('root@example.com', 'root-password-123');
      const root = await t.api.post('/api/v1/auth/login', { email: 'root@example.com', password: 'root-password-123' });
      const admin = await registerUser(t.api, 'demoted');
      expect((await t.api.request('PUT', `/api/v1/admin/users/${admin.id}/role`, { body: { role: 'system_admin' }, token: root.body.token })).status).toBeLessThan(300);
      expect((await t.api.get('/api/v1/admin/users', admin.token)).status).toBe(200);
      expect((await t.api.request('PUT', `/api/v1/admin/users/${admin.id}/role`, { body: { role: 'system_user' }, token: root.body.token })).status).toBeLessThan(300);
      expect((await t.api.get('/api/v1/admin/users', admin.token)).status).toBe(403);
    } finally {
      await t.close();
    }
  });
});
