/** /api/v1/auth and the account routes of /api/v1/users/me, on both stores. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verify } from '@node-rs/argon2';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { envelope, login, registerUser, uniqueName } from '../helpers/factories.js';

describe.each(STORES)('auth (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(async () => t?.close());

  describe('register', () => {
    it('without a mail relay: 202 "sign in", the account exists at once, and the password signs in', async () => {
      const username = uniqueName('reg');
      const res = await t.api.post('/api/v1/auth/register', { username, email: `${username}@Example.com`, password: 'a fine passphrase', display_name: '  Reg Ister ' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'accepted', next: 'sign_in', message: 'Registration received: sign in with your e-mail address and password.' });
      expect(res.headers['set-cookie']).toBeUndefined();
      const signedIn = await t.api.post('/api/v1/auth/login', { email: `${username}@example.com`, password: 'a fine passphrase' });
      expect(signedIn.status).toBe(200);
      expect(signedIn.body).toMatchObject({ token_type: 'Bearer', expires_in: 24 * 3600, user: { username, email: `${username}@example.com`, display_name: 'Reg Ister', role: 'system_user', is_active: true } });
      // Stored as an Argon2id PHC string of exactly the password typed; the address is not verified.
      const row = await t.app.store.users.get(signedIn.body.user.id);
      expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(await verify(row!.password_hash!, 'a fine passphrase')).toBe(true);
      expect(await verify(row!.password_hash!, 'a fine passphrase ')).toBe(false);
      expect(row!.email_verified).toBe(0);
    });

    it('answers 409 naming the field when the username is taken, in any case, whatever the address', async () => {
      const a = await registerUser(t.api, 'taken');
      const b = await registerUser(t.api, 'taken');
      for (const email of [`x${a.email}`, b.email]) {
        const byName = await t.api.post('/api/v1/auth/register', { username: a.username.toUpperCase(), email, password: 'another passphrase' });
        expect(byName.status).toBe(409);
        expect(byName.body.error).toMatchObject({ code: 'CONFLICT', field: 'username', message: 'That username is already taken' });
      }
    });

    it('a taken e-mail address gets the answer a free one gets, and its account is untouched', async () => {
      const a = await registerUser(t.api, 'owner');
      const taken = await t.api.post('/api/v1/auth/register', { username: uniqueName('other'), email: a.email.toUpperCase(), password: 'another passphrase' });
      const freeName = uniqueName('other');
      const free = await t.api.post('/api/v1/auth/register', { username: freeName, email: `${freeName}@example.com`, password: 'another passphrase' });
      expect(taken.status).toBe(202);
      expect(taken.body).toEqual(free.body);
      const names = (r: typeof taken) => Object.keys(r.headers).filter((h) => !['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset'].includes(h)).sort();
      expect(names(taken)).toEqual(names(free));
      for (const h of names(free)) if (h !== 'content-length') expect(taken.headers[h], h).toEqual(free.headers[h]);
      expect(taken.headers['content-length']).toBe(free.headers['content-length']);
      // Nothing was created for the taken address, and its owner's password still works.
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: 'another passphrase' })).status).toBe(401);
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: a.password })).status).toBe(200);
    });

    it.each([
      [{ username: 'x', email: 'ok@example.com', password: 'long enough pw' }, 'username'],
      [{ username: 'admin', email: 'ok@example.com', password: 'long enough pw' }, 'username'],
      [{ username: 'validname', email: 'not-an-email', password: 'long enough pw' }, 'email'],
      [{ username: 'validname', email: 'ok@example.com', password: 'short' }, 'password'],
      [{ username: 'validname', email: 'ok@example.com', password: 'password1' }, 'password'],
      [{ username: 'validname', email: 'ok@example.com', password: 'validname' }, 'password'],
      [{ username: 'validname', email: 'ok@example.com', password: 'long enough pw', display_name: 'x'.repeat(65) }, 'display_name'],
    ])('refuses %j with 422 on %s, creating nothing', async (body, field) => {
      const before = await t.app.store.users.count();
      const res = await t.api.post('/api/v1/auth/register', body);
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field });
      expect(await t.app.store.users.count()).toBe(before);
    });

    it('sets no session cookie: the session comes from signing in (or the mailed link)', async () => {
      const username = uniqueName('cookie');
      const res = await t.api.post('/api/v1/auth/register', { username, email: `${username}@example.com`, password: 'cookie monster pw' });
      expect(res.status).toBe(202);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.text).not.toMatch(/token/);
    });
  });

  describe('login', () => {
    it('accepts the e-mail or the username, in any case, with the password exactly as typed', async () => {
      const a = await registerUser(t.api, 'login');
      for (const name of [a.email, a.email.toUpperCase(), a.username, ` ${a.username.toUpperCase()} `]) {
        const res = await t.api.post('/api/v1/auth/login', { email: name, password: a.password });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 24 * 3600, user: { id: a.id, email: a.email } });
      }
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: ` ${a.password}` })).status).toBe(401);
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: a.password.toUpperCase() })).status).toBe(401);
    });

    it('answers an unknown user exactly like a wrong password', async () => {
      const a = await registerUser(t.api, 'same');
      const wrong = await t.api.post('/api/v1/auth/login', { email: a.email, password: 'not the password' });
      const unknown = await t.api.post('/api/v1/auth/login', { email: `nobody-${a.email}`, password: 'not the password' });
      const unknownName = await t.api.post('/api/v1/auth/login', { email: `nobody${a.username}`, password: a.password });
      expect(wrong.status).toBe(401);
      expect(envelope(unknown)).toEqual(envelope(wrong));
      expect(envelope(unknownName)).toEqual(envelope(wrong));
      expect(wrong.body.error).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid email or password', request_id: wrong.headers['x-request-id'] });
      expect(Object.keys(unknown.headers).sort()).toEqual(Object.keys(wrong.headers).sort());
    });

    it('spends the password-hashing work on an unknown user too', async () => {
      // Warm up (the dummy hash is computed once), then measure one unknown-user login.
      await t.api.post('/api/v1/auth/login', { email: 'warmup-nobody@example.com', password: 'whatever pw' });
      const cpu0 = process.cpuUsage();
      const wall0 = performance.now();
      const res = await t.api.post('/api/v1/auth/login', { email: `nobody-${uniqueName('x')}@example.com`, password: 'whatever pw' });
      const wall = performance.now() - wall0;
      const cpu = process.cpuUsage(cpu0);
      expect(res.status).toBe(401);
      // Argon2id (m=19 MiB, t=2) costs ~10 ms of CPU; a lookup-only answer costs well under 4 ms.
      expect(wall).toBeGreaterThanOrEqual(4);
      expect((cpu.user + cpu.system) / 1000).toBeGreaterThanOrEqual(4);
    });

    it('refuses a deactivated account with the same answer', async () => {
      const a = await registerUser(t.api, 'deact');
      await t.app.store.users.setDeactivated(a.id, Date.now(), Date.now());
      const res = await t.api.post('/api/v1/auth/login', { email: a.email, password: a.password });
      const wrong = await t.api.post('/api/v1/auth/login', { email: a.email, password: 'wrong password here' });
      expect(envelope(res)).toEqual(envelope(wrong));
      expect(res.status).toBe(401);
    });

    it('refuses an account without a password (SSO-only) with the same answer', async () => {
      const username = uniqueName('sso');
      await t.app.store.users.create({
        id: crypto.randomUUID(), username, email: `${username}@example.com`, password_hash: null, display_name: '', first_name: '', last_name: '', nickname: '', position: '',
        avatar_url: null, avatar_key: null, is_bot: 0, role: 'system_user', status_text: '', status_emoji: '', timezone: '', email_verified: 1, created_at: Date.now(), updated_at: Date.now(),
      });
      const res = await t.api.post('/api/v1/auth/login', { email: `${username}@example.com`, password: 'anything at all' });
      const unknown = await t.api.post('/api/v1/auth/login', { email: `nobody-${username}@example.com`, password: 'anything at all' });
      expect(res.status).toBe(401);
      expect(envelope(res)).toEqual(envelope(unknown));
    });

    it('logs a login_failure security event without the password', async () => {
      await t.api.post('/api/v1/auth/login', { email: 'eventful@example.com', password: 'secret-guess-123' });
      const lines = t.logs.lines.filter((l) => l.includes('"security_event":"login_failure"'));
      expect(lines.length).toBeGreaterThan(0);
      expect(t.logs.text()).not.toContain('secret-guess-123');
    });
  });

  describe('session routes', () => {
    it('logout ends this session only', async () => {
      const a = await registerUser(t.api, 'logout');
      const other = await login(t.api, a.email, a.password);
      const res = await t.api.post('/api/v1/auth/logout', undefined, a.token);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
      expect(String(res.headers['set-cookie'])).toMatch(/rustchat_session=;/);
      expect((await t.api.get('/api/v1/auth/me', a.token)).status).toBe(401);
      expect((await t.api.post('/api/v1/auth/logout', undefined, a.token)).status).toBe(401);
      expect((await t.api.get('/api/v1/auth/me', other)).status).toBe(200);
    });

    it('lists my sessions and signs one out', async () => {
      const a = await registerUser(t.api, 'sess');
      const second = await login(t.api, a.username, a.password);
      const list = await t.api.get('/api/v1/users/me/sessions', a.token);
      expect(list.status).toBe(200);
      expect(list.body).toHaveLength(2);
      expect(list.body.filter((s: any) => s.current)).toHaveLength(1);
      const otherId = list.body.find((s: any) => !s.current).id;
      expect((await t.api.delete(`/api/v1/users/me/sessions/${otherId}`, a.token)).status).toBe(200);
      expect((await t.api.get('/api/v1/auth/me', second)).status).toBe(401);
      expect((await t.api.get('/api/v1/auth/me', a.token)).status).toBe(200);
      // Someone else's session id is as unknown as a random one.
      const b = await registerUser(t.api, 'sess');
      const bSession = (await t.api.get('/api/v1/users/me/sessions', b.token)).body[0].id;
      const foreign = await t.api.delete(`/api/v1/users/me/sessions/${bSession}`, a.token);
      const random = await t.api.delete(`/api/v1/users/me/sessions/${crypto.randomUUID()}`, a.token);
      expect(foreign.status).toBe(404);
      expect(envelope(foreign)).toEqual(envelope(random));
      expect((await t.api.get('/api/v1/auth/me', b.token)).status).toBe(200);
    });

    it('publishes the password rules', async () => {
      const res = await t.api.get('/api/v1/auth/policy');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ min_length: 8, max_length: 256, rejects_common_passwords: true, registration_open: true });
    });
  });

  describe('password change', () => {
    it('needs the current password, applies the rules, ends every session and hands back a new one', async () => {
      const a = await registerUser(t.api, 'pwchg');
      const elsewhere = await login(t.api, a.email, a.password);
      const wrong = await t.api.post('/api/v1/users/me/password', { current_password: 'nope nope nope', new_password: 'brand new passphrase' }, a.token);
      expect(wrong.status).toBe(422);
      expect(wrong.body.error.field).toBe('current_password');
      const weak = await t.api.post('/api/v1/users/me/password', { current_password: a.password, new_password: 'password' }, a.token);
      expect(weak.status).toBe(422);
      expect(weak.body.error.field).toBe('password');
      // Refusals changed nothing.
      expect((await t.api.get('/api/v1/auth/me', elsewhere)).status).toBe(200);

      const ok = await t.api.post('/api/v1/users/me/password', { current_password: a.password, new_password: 'brand new passphrase' }, a.token);
      expect(ok.status).toBe(200);
      expect(ok.body.token).not.toBe(a.token);
      expect((await t.api.get('/api/v1/auth/me', a.token)).status).toBe(401);
      expect((await t.api.get('/api/v1/auth/me', elsewhere)).status).toBe(401);
      expect((await t.api.get('/api/v1/auth/me', ok.body.token)).status).toBe(200);
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: a.password })).status).toBe(401);
      expect((await t.api.post('/api/v1/auth/login', { email: a.email, password: 'brand new passphrase' })).status).toBe(200);
    });
  });

  describe('profile', () => {
    it('updates my profile fields', async () => {
      const a = await registerUser(t.api, 'prof');
      const res = await t.api.patch('/api/v1/users/me', { display_name: ' Ada ', first_name: 'Ada', last_name: 'Lovelace', nickname: 'countess', position: 'Analyst', status_text: 'computing', status_emoji: 'gear', timezone: 'Europe/London' }, a.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ display_name: 'Ada', first_name: 'Ada', last_name: 'Lovelace', nickname: 'countess', position: 'Analyst', status_text: 'computing', status_emoji: 'gear', timezone: 'Europe/London', email: a.email });
      expect((await t.api.get('/api/v1/users/me', a.token)).body.nickname).toBe('countess');
      expect((await t.api.patch('/api/v1/users/me', { timezone: 'Mars/Olympus' }, a.token)).body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'timezone' });
    });

    it('changes the username (unique) and the e-mail (needs the current password)', async () => {
      const a = await registerUser(t.api, 'chg');
      const b = await registerUser(t.api, 'chg');
      expect((await t.api.patch('/api/v1/users/me', { username: b.username }, a.token)).status).toBe(409);
      const newName = uniqueName('renamed');
      expect((await t.api.patch('/api/v1/users/me', { username: newName.toUpperCase() }, a.token)).body.username).toBe(newName);
      const newEmail = `${uniqueName('mail')}@example.com`;
      const noPw = await t.api.patch('/api/v1/users/me', { email: newEmail }, a.token);
      expect(noPw.status).toBe(422);
      expect(noPw.body.error.field).toBe('current_password');
      expect((await t.api.patch('/api/v1/users/me', { email: b.email, current_password: a.password }, a.token)).status).toBe(409);
      const ok = await t.api.patch('/api/v1/users/me', { email: newEmail, current_password: a.password }, a.token);
      expect(ok.status).toBe(200);
      expect(ok.body.email).toBe(newEmail);
      expect(await login(t.api, newEmail, a.password)).toBeTruthy();
    });
  });
});

describe('registration closed', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { env: { RUSTCHAT_ALLOW_REGISTRATION: 'false' } });
  });
  afterAll(async () => t?.close());

  it('refuses self-registration with 403 and says so in the policy', async () => {
    const res = await t.api.post('/api/v1/auth/register', { username: 'closed', email: 'closed@example.com', password: 'a fine passphrase' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
    expect(await t.app.store.users.count()).toBe(0);
    expect((await t.api.get('/api/v1/auth/policy')).body.registration_open).toBe(false);
  });
});
