/**
 * Password reset by e-mail, on both stores, through a real SMTP server on loopback: the
 * same answer for every address, one link per mail that works once and for 30 minutes, the
 * password rules, every session ended, a per-account mail throttle, and no token in a log.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { envelope, registerUser, type TestUser } from '../helpers/factories.js';
import { resetTokenIn, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { RESET_TOKEN_TTL_MS } from '../../src/services/password-reset.js';

const NEW_PASSWORD = 'correct horse battery staple 42';
const INVALID = { status: 400, contentType: 'application/json', error: { code: 'BAD_REQUEST', message: 'This password reset link is invalid or has expired' } };

describe.each(STORES)('password reset (%s)', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startApp(kind, { env: { RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_SMTP_FROM: 'RustChat <no-reply@chat.example.com>' } });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  /** Reset mails to `email` (the account's registration mail is not one). */
  const resetMails = (email: string) => smtp.mails.filter((m) => m.to.includes(email) && /Subject: Reset your RustChat password/.test(m.raw));
  const forgot = (email: string) => t.api.post('/api/v1/auth/password/forgot', { email });
  const reset = (token: string, password = NEW_PASSWORD) => t.api.post('/api/v1/auth/password/reset', { token, new_password: password });
  async function linkFor(user: TestUser): Promise<string> {
    const mail = smtp.next(user.email);
    expect(await forgot(user.email)).toMatchObject({ status: 200, body: { status: 'ok' } });
    return resetTokenIn(await mail);
  }

  it('mails a one-time link; using it sets the password and ends every session', async () => {
    const user = await registerUser(t.api, 'forgetful', smtp);
    const other = await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password });
    const mailed = smtp.next(user.email);
    expect(await forgot(user.email.toUpperCase())).toMatchObject({ status: 200, body: { status: 'ok' } });
    const mail = await mailed;
    expect(mail.from).toBe('no-reply@chat.example.com');
    expect(mail.raw).toMatch(/Subject: Reset your RustChat password/);
    expect(mail.raw.replace(/=\r?\n/g, '')).toContain(`${t.config.siteUrl}/reset-password#token=`);
    const token = resetTokenIn(mail);

    expect(await reset(token)).toMatchObject({ status: 200, body: { status: 'ok' } });
    for (const old of [user.token, other.body.token]) expect((await t.api.get('/api/v1/auth/me', old)).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: NEW_PASSWORD })).status).toBe(200);
    // Once only.
    expect(envelope(await reset(token, 'another fine passphrase 7'))).toEqual(INVALID);
    // Recorded in the audit log, and the token itself is nowhere in the logs.
    expect(await t.app.store.audit.list(0, 50)).toContainEqual(expect.objectContaining({ action: 'user.password_reset', target_id: user.id }));
    expect(t.logs.text()).not.toContain(token);
  });

  it('answers the same for an address without an account, and mails nothing there', async () => {
    const known = await registerUser(t.api, 'known', smtp);
    const unknown = `nobody-${Date.now()}@example.com`;
    const a = await forgot(unknown);
    const b = await linkFor(known);
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ status: 'ok' });
    expect(b).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(smtp.mails.some((m) => m.to.includes(unknown))).toBe(false);
  });

  it('a password that breaks the rules is refused without using up the link', async () => {
    const user = await registerUser(t.api, 'weakling', smtp);
    const token = await linkFor(user);
    const weak = await reset(token, 'password');
    expect(weak.status).toBe(422);
    expect(weak.body.error.code).toBe('VALIDATION_ERROR');
    expect((await reset(token)).status).toBe(200);
  });

  it('refuses unknown, malformed and expired tokens alike', async () => {
    const user = await registerUser(t.api, 'late', smtp);
    expect(envelope(await reset('A'.repeat(43)))).toEqual(INVALID);
    expect(envelope(await reset('not a token at all'))).toEqual(INVALID);
    expect((await t.api.post('/api/v1/auth/password/reset', { token: 'x' })).status).toBe(400); // new_password missing
    const expired = 'E'.repeat(43);
    const now = Date.now();
    await t.app.store.passwordResets.create({ token_hash: createHash('sha256').update(expired).digest('hex'), user_id: user.id, created_at: now - RESET_TOKEN_TTL_MS - 1000, expires_at: now - 1000, used_at: null });
    expect(envelope(await reset(expired))).toEqual(INVALID);
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it('a password change voids the links asked for before it', async () => {
    const user = await registerUser(t.api, 'changer', smtp);
    const token = await linkFor(user);
    const changed = await t.api.post('/api/v1/users/me/password', { current_password: user.password, new_password: 'a brand new passphrase 9' }, user.token);
    expect(changed.status).toBe(200);
    expect(envelope(await reset(token))).toEqual(INVALID);
  });

  it('mails an account at most three links an hour; a deactivated account gets none', async () => {
    const user = await registerUser(t.api, 'spammed', smtp);
    for (let i = 0; i < 3; i++) await linkFor(user);
    expect((await forgot(user.email)).status).toBe(200); // the fourth: accepted, not mailed
    const gone = await registerUser(t.api, 'gone', smtp);
    const admin = await registerUser(t.api, 'resetadmin', smtp);
    await t.app.store.users.setRole(admin.id, 'system_admin', Date.now());
    expect((await t.api.post(`/api/v1/admin/users/${gone.id}/deactivate`, {}, admin.token)).status).toBe(200);
    expect((await forgot(gone.email)).status).toBe(200);
    // Both were handled before this later request's mail went out.
    await linkFor(await registerUser(t.api, 'marker', smtp));
    expect(resetMails(user.email)).toHaveLength(3);
    expect(resetMails(gone.email)).toHaveLength(0);
  });

  it('the three-an-hour throttle holds when requests arrive all at once', async () => {
    const user = await registerUser(t.api, 'burst', smtp);
    const answers = await Promise.all(Array.from({ length: 12 }, () => forgot(user.email)));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await smtp.until(() => resetMails(user.email).length >= 3);
    // Every request of the burst was handled before this later one's mail went out.
    await linkFor(await registerUser(t.api, 'burstmarker', smtp));
    expect(resetMails(user.email)).toHaveLength(3);
  });

  it('changing an account e-mail address voids the links sent to the old one', async () => {
    const user = await registerUser(t.api, 'mover', smtp);
    const token = await linkFor(user);
    const moved = await t.api.patch('/api/v1/users/me', { email: `moved-${user.email}`, current_password: user.password }, user.token);
    expect(moved.status).toBe(200);
    expect(envelope(await reset(token))).toEqual(INVALID);
  });

  it('a system admin can mail a user a reset link; nobody else can', async () => {
    const user = await registerUser(t.api, 'helped', smtp);
    const admin = await registerUser(t.api, 'helper', smtp);
    await t.app.store.users.setRole(admin.id, 'system_admin', Date.now());
    expect(envelope(await t.api.post(`/api/v1/admin/users/${admin.id}/password_reset`, {}, user.token)).status).toBe(403);
    expect(envelope(await t.api.post(`/api/v1/admin/users/${randomUUID()}/password_reset`, {}, admin.token)).status).toBe(404);
    const mail = smtp.next(user.email);
    expect(await t.api.post(`/api/v1/admin/users/${user.id}/password_reset`, {}, admin.token)).toMatchObject({ status: 200, body: { status: 'ok' } });
    const received = await mail;
    expect(received.raw).toMatch(/An administrator asked/);
    expect((await reset(resetTokenIn(received))).status).toBe(200);
    expect((await t.api.post('/api/v1/auth/login', { email: user.email, password: NEW_PASSWORD })).status).toBe(200);
    expect(await t.app.store.audit.list(0, 50)).toContainEqual(expect.objectContaining({ action: 'user.password_reset_sent', actor_id: admin.id, target_id: user.id }));
    // The hourly throttle applies here too, and says so.
    for (let i = 0; i < 2; i++) expect((await t.api.post(`/api/v1/admin/users/${user.id}/password_reset`, {}, admin.token)).status).toBe(200);
    const throttled = envelope(await t.api.post(`/api/v1/admin/users/${user.id}/password_reset`, {}, admin.token));
    expect(throttled.status).toBe(409);
    expect(throttled.error.message).toMatch(/3 reset links were sent to this account in the last hour/);
  });

  it('two uses of one link at once: exactly one sets the password', async () => {
    const user = await registerUser(t.api, 'racer', smtp);
    const token = await linkFor(user);
    const [a, b] = await Promise.all([reset(token, 'first racing passphrase 1'), reset(token, 'second racing passphrase 2')]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
  });
});

describe('password reset without a mail transport', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('says so with 503 instead of pretending to send', async () => {
    expect(envelope(await t.api.post('/api/v1/auth/password/forgot', { email: 'someone@example.com' }))).toEqual({
      status: 503, contentType: 'application/json', error: { code: 'SERVICE_UNAVAILABLE', message: 'Password reset by e-mail is not set up on this server: ask an administrator' },
    });
  });
});
