/**
 * Registration answers the same for an e-mail address that has an account and one that does
 * not (contract §9): status, body, headers and time. With a mail relay (a real SMTP server on
 * loopback) the free address gets a link to finish and the taken one's owner a warning; without
 * one, a free address gets its account at once and a taken one nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type ApiResponse, type TestApp } from '../helpers/app.js';
import { envelope, registerUser, uniqueName } from '../helpers/factories.js';
import { registrationTokenIn, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { securityEvents } from '../sso/helpers/events.js';
import { REGISTRATION_LINK_TTL_MS } from '../../src/services/registration.js';

const PASSWORD = 'a fine passphrase 9';
const VOLATILE = new Set(['date', 'x-request-id', 'x-ratelimit-remaining', 'x-ratelimit-reset']);

/** Everything a client sees of an answer except what differs on every request. */
function visible(res: ApiResponse): { status: number; headers: Record<string, unknown>; body: unknown } {
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([k]) => !VOLATILE.has(k)).sort(([a], [b]) => a.localeCompare(b)));
  return { status: res.status, headers, body: res.body };
}

type Users = TestApp['app']['store']['users'];

/**
 * Records every call the app makes on its user store while `run` runs, with the moment the
 * answer came back among them: the work behind an answer, in order.
 */
async function storeCalls(t: TestApp, run: () => Promise<ApiResponse>): Promise<{ calls: string[]; res: ApiResponse }> {
  const users = t.app.store.users as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  const calls: string[] = [];
  for (const name of ['get', 'getByLogin', 'getByUsernames', 'create'] as const satisfies readonly (keyof Users)[]) {
    const original = users[name] as (...args: unknown[]) => unknown;
    originals.set(name, original);
    users[name] = (...args: unknown[]) => {
      calls.push(name);
      return original.apply(t.app.store.users, args);
    };
  }
  try {
    const res = await run();
    calls.push('answer');
    return { calls, res };
  } finally {
    for (const [name, fn] of originals) users[name] = fn;
  }
}

describe.each(STORES)('registration with a mail relay (%s)', (kind) => {
  let t: TestApp;
  let smtp: SmtpSink;
  let now = Date.now();
  beforeAll(async () => {
    smtp = await startSmtpSink();
    t = await startApp(kind, { env: { RUSTCHAT_SMTP_URL: smtp.url }, clock: () => now });
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });
  const register = (username: string, email: string) => t.api.post('/api/v1/auth/register', { username, email, password: PASSWORD });

  it('a free address: 202 "check your e-mail", then the mailed link creates the account (address verified) and signs in, once', async () => {
    const username = uniqueName('newbie');
    const email = `${username}@example.com`;
    const mailed = smtp.next(email);
    const res = await register(username, email);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ status: 'accepted', next: 'check_email', message: 'Check your e-mail to finish creating your account.' });
    expect(res.headers['set-cookie']).toBeUndefined();
    // Nothing exists until the link is used.
    expect(await t.app.store.users.getByLogin(email)).toBeUndefined();
    const mail = await mailed;
    expect(mail.raw).toMatch(/Subject: Finish creating your RustChat account/);
    const token = registrationTokenIn(mail);
    expect(t.logs.text()).not.toContain(token);

    const done = await t.api.post('/api/v1/auth/register/complete', { token });
    expect(done.status).toBe(201);
    expect(done.body.user).toMatchObject({ username, email });
    expect(String(done.headers['set-cookie'])).toContain(`rustchat_session=${done.body.token}`);
    expect((await t.api.get('/api/v1/auth/me', done.body.token)).body.id).toBe(done.body.user.id);
    expect((await t.app.store.users.get(done.body.user.id))!.email_verified).toBe(1);
    expect((await t.api.post('/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    // Spent: the address has its account now.
    expect(envelope(await t.api.post('/api/v1/auth/register/complete', { token }))).toMatchObject({ status: 409, error: { code: 'CONFLICT', field: 'email' } });
  });

  it('a taken address gets exactly the answer a free one gets; its owner is told by mail, with no link', async () => {
    const owner = await registerUser(t.api, 'owner', smtp);
    const warned = smtp.next(owner.email);
    const taken = await register(uniqueName('squat'), owner.email.toUpperCase());
    const freeName = uniqueName('fresh');
    const linked = smtp.next(`${freeName}@example.com`);
    const free = await register(freeName, `${freeName}@example.com`);
    expect(visible(taken)).toEqual(visible(free));
    await linked;
    const mail = await warned;
    const text = mail.raw.replace(/=\r?\n/g, '');
    expect(mail.raw).toMatch(/Subject: Someone tried to create a RustChat account with your address/);
    expect(text).toContain('Forgot your password?');
    expect(text).not.toMatch(/#token=/);
    // The owner's account is untouched.
    expect((await t.api.post('/api/v1/auth/login', { email: owner.email, password: owner.password })).status).toBe(200);
  });

  it('looks nothing up about the address before answering, so the time cannot tell either', async () => {
    const owner = await registerUser(t.api, 'timed', smtp);
    const warned = smtp.next(owner.email);
    const taken = await storeCalls(t, () => register(uniqueName('squat'), owner.email));
    await warned; // its job done, so that it does not run during the next request
    const freeEmail = `${uniqueName('timed')}@example.com`;
    const linked = smtp.next(freeEmail);
    const free = await storeCalls(t, () => register(uniqueName('fresh'), freeEmail));
    // Before the answer: the username check only, the same for both. The address is looked up
    // by the mail job, after the answer.
    expect(taken.calls.slice(0, taken.calls.indexOf('answer') + 1)).toEqual(['getByUsernames', 'answer']);
    expect(free.calls.slice(0, free.calls.indexOf('answer') + 1)).toEqual(['getByUsernames', 'answer']);
    await linked;
  });

  it('a forged, tampered or expired link is refused with 400 and a login_failure event', async () => {
    const username = uniqueName('late');
    const email = `${username}@example.com`;
    const mailed = smtp.next(email);
    expect((await register(username, email)).status).toBe(202);
    const token = registrationTokenIn(await mailed);
    const invalid = { status: 400, contentType: 'application/json', error: { code: 'BAD_REQUEST', message: 'This link to finish creating an account is invalid or has expired. Please register again.' } };
    const before = securityEvents(t, 'login_failure').length;
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of ['nonsense', tampered]) expect(envelope(await t.api.post('/api/v1/auth/register/complete', { token: bad }))).toEqual(invalid);
    now += REGISTRATION_LINK_TTL_MS + 1;
    try {
      expect(envelope(await t.api.post('/api/v1/auth/register/complete', { token }))).toEqual(invalid);
    } finally {
      now -= REGISTRATION_LINK_TTL_MS + 1;
    }
    expect(securityEvents(t, 'login_failure').slice(before).map((e) => e.reason)).toEqual(Array(3).fill('registration_invalid_link'));
    expect(await t.app.store.users.getByLogin(email)).toBeUndefined();
  });

  it('mails one address at most three times an hour', async () => {
    const email = `${uniqueName('flood')}@example.com`;
    for (let i = 0; i < 5; i++) expect((await register(uniqueName('flood'), email)).status).toBe(202);
    await smtp.until((mails) => mails.filter((m) => m.to.includes(email)).length >= 3);
    // Every earlier job was handled before this later one's mail went out.
    const marker = `${uniqueName('marker')}@example.com`;
    const markerMail = smtp.next(marker);
    await register(uniqueName('marker'), marker);
    await markerMail;
    expect(smtp.mails.filter((m) => m.to.includes(email))).toHaveLength(3);
  });
});

describe('registration without a mail relay', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite');
  });
  afterAll(async () => t?.close());

  it('a taken and a free address: the same answer, after the same work', async () => {
    const owner = await registerUser(t.api, 'devowner');
    const taken = await storeCalls(t, () => t.api.post('/api/v1/auth/register', { username: uniqueName('squat'), email: owner.email, password: PASSWORD }));
    const free = await storeCalls(t, () => t.api.post('/api/v1/auth/register', { username: uniqueName('devfree'), email: `${uniqueName('devfree')}@example.com`, password: PASSWORD }));
    expect(visible(taken.res)).toEqual(visible(free.res));
    expect(free.res.body.next).toBe('sign_in');
    // One insert attempt each (refused by the unique address for the taken one): no lookup of
    // the address that only one of them would make.
    expect(taken.calls).toEqual(['getByUsernames', 'create', 'answer']);
    expect(free.calls).toEqual(taken.calls);
  });

  it('completing a link is refused: there are none', async () => {
    expect((await t.api.post('/api/v1/auth/register/complete', { token: 'v1.x.y.z' })).status).toBe(400);
  });
});

describe('registration closed after a link was mailed', () => {
  const key = strongSecret();
  let open: TestApp;
  let closed: TestApp;
  let smtp: SmtpSink;
  beforeAll(async () => {
    smtp = await startSmtpSink();
    // The same server before and after an admin sets RUSTCHAT_ALLOW_REGISTRATION=false: same key, so the link still opens.
    open = await startApp('sqlite', { env: { RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_ENCRYPTION_KEY: key } });
    closed = await startApp('sqlite', { env: { RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_ENCRYPTION_KEY: key, RUSTCHAT_ALLOW_REGISTRATION: 'false' } });
  });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
    await smtp?.close();
  });

  it('the link no longer creates an account: 403, like register itself', async () => {
    const username = uniqueName('early');
    const email = `${username}@example.com`;
    const mailed = smtp.next(email);
    expect((await open.api.post('/api/v1/auth/register', { username, email, password: PASSWORD })).status).toBe(202);
    const token = registrationTokenIn(await mailed);
    const closedAnswer = { status: 403, contentType: 'application/json', error: { code: 'FORBIDDEN', message: 'Registration is closed on this server; ask an administrator for an account' } };
    expect(envelope(await closed.api.post('/api/v1/auth/register', { username: uniqueName('late'), email: `${uniqueName('late')}@example.com`, password: PASSWORD }))).toEqual(closedAnswer);
    expect(envelope(await closed.api.post('/api/v1/auth/register/complete', { token }))).toEqual(closedAnswer);
    expect(await closed.app.store.users.getByLogin(email)).toBeUndefined();
  });
});
