/**
 * Password reset by e-mail in the real browser: the built web client served by a real
 * RustChat (embedded SQLite, real listener) that sends its mail over SMTP to a real SMTP sink
 * on loopback, and the system Chromium going "Forgot your password?" → the mail's link →
 * a new password → signed in with it. The link works once, and its token never stays in the
 * address bar.
 */
import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { registrationTokenIn, resetTokenIn, startSmtpSink, type SmtpSink } from '../helpers/smtp-sink.js';
import { PASSWORD, buildClient, cspViolationsIn, launchChromium, openPage, signUp, storedToken, type PageWatch } from './browser.js';

// Generous: the machine is shared with other test runs.
const WAIT = { timeout: 30_000 };

const NEW_PASSWORD = 'correct horse battery staple 42';
const SENT = 'If an account exists for that address, we sent a link to reset its password. The link works for 30 minutes.';
const CHANGED = 'Your password was changed. Sign in with your new password.';
const INVALID = /This password reset link is invalid or has expired/;
const RESET_API = '/api/v1/auth/password/reset';
const FORGOT_API = '/api/v1/auth/password/forgot';

let webRoot: string;
let smtp: SmtpSink;
let t: TestApp;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  [webRoot, browser, smtp] = await Promise.all([buildClient(), launchChromium(), startSmtpSink()]);
  t = await startApp('sqlite', { webRoot, env: { RUSTCHAT_SMTP_URL: smtp.url, RUSTCHAT_SMTP_FROM: 'RustChat <no-reply@example.com>' } });
  baseUrl = (await t.app.listen()).url;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await smtp?.close();
  if (webRoot !== undefined) rmSync(webRoot, { recursive: true, force: true });
});

interface Person {
  readonly ctx: BrowserContext;
  readonly page: Page;
  readonly watch: PageWatch;
  /** Every request the page made, in order. */
  readonly requests: Request[];
}

async function newPerson(): Promise<Person> {
  const requests: Request[] = [];
  const { ctx, page, watch } = await openPage(browser);
  page.on('request', (r) => requests.push(r));
  return { ctx, page, watch, requests };
}

const calls = (p: Person, path: string) => p.requests.filter((r) => r.method() === 'POST' && new URL(r.url()).pathname === path).length;

async function expectClean(p: Person): Promise<void> {
  expect(p.watch.pageErrors).toEqual([]);
  expect(p.watch.cspViolations).toEqual([]);
  expect(await cspViolationsIn(p.page)).toEqual([]);
}

/** On the sign-in page: "Forgot your password?", the address, "Send reset link"; resolves with the mail's token. */
async function requestResetLink(page: Page, email: string): Promise<string> {
  await page.getByRole('button', { name: 'Forgot your password?' }).click();
  await page.getByRole('heading', { name: 'Reset your password' }).waitFor(WAIT);
  await page.getByLabel('E-mail', { exact: true }).fill(email);
  const mail = smtp.next(email, 30_000); // waits for the next mail to this address, so ask first
  await page.getByRole('button', { name: 'Send reset link' }).click();
  await page.getByRole('status').filter({ hasText: SENT }).waitFor(WAIT);
  return resetTokenIn(await mail);
}

async function chooseNewPassword(page: Page, password: string, confirm = password): Promise<void> {
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Confirm new password', { exact: true }).fill(confirm);
  await page.getByRole('button', { name: 'Change password' }).click();
}

describe('registering with a mail relay, in the browser', () => {
  it('a taken address shows exactly what a free one shows; its owner gets a mail, not a link', async () => {
    await t.app.services.accounts.createAdmin('taken@example.com', 'takenowner', 'taken-owner-password-1');
    const warned = smtp.next('taken@example.com', 30_000);
    const p = await newPerson();
    try {
      await p.page.goto(`${baseUrl}/`);
      await p.page.getByRole('button', { name: 'Create an account' }).click();
      await p.page.getByLabel('Username').fill('squatter');
      await p.page.getByLabel('E-mail').fill('taken@example.com');
      await p.page.getByLabel('Password').fill(PASSWORD);
      await p.page.getByRole('button', { name: 'Create account' }).click();
      await p.page.getByRole('status').filter({ hasText: 'Check your e-mail to finish creating your account.' }).waitFor(WAIT);
      expect(await p.page.getByRole('alert').count()).toBe(0);
      expect(await storedToken(p.page)).toBeNull();
      expect((await warned).raw).toMatch(/Subject: Someone tried to create a RustChat account with your address/);
      await expectClean(p);
    } finally {
      await p.ctx.close();
    }
  }, 120_000);
});

describe('password reset by e-mail in the browser', () => {
  it('forgot → mail → link → new password → signed in with it; the link works once and leaves the address bar', async () => {
    // ---- an account, signed up in the browser; this session must end with the reset ----
    const owner = await newPerson();
    let oldToken: string | null;
    try {
      const mailed = smtp.next('rosa@example.com', 30_000);
      await signUp(owner.page, baseUrl, 'rosa', 'Rosa Parks');
      // With a mail relay, registering ends with a link by mail, which signs in.
      await owner.page.getByRole('status').filter({ hasText: 'Check your e-mail to finish creating your account.' }).waitFor(WAIT);
      await owner.page.goto(`${baseUrl}/register#token=${registrationTokenIn(await mailed)}`);
      await owner.page.getByRole('heading', { name: 'Welcome, Rosa Parks' }).waitFor(WAIT);
      expect(new URL(owner.page.url()).hash).toBe('');
      oldToken = await storedToken(owner.page);
      expect(oldToken).toMatch(/^eyJ/);
      await expectClean(owner);
    } finally {
      await owner.ctx.close();
    }

    const p = await newPerson();
    const { page } = p;
    try {
      // ---- "Forgot your password?" on the sign-in page; the neutral confirmation; the mail ----
      await page.goto(`${baseUrl}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      const token = await requestResetLink(page, 'rosa@example.com');
      expect(token).toMatch(/^[A-Za-z0-9_-]{16,}$/);
      // An unknown address gets the very same answer (and no mail).
      await page.getByRole('button', { name: 'Back to sign in' }).click();
      await page.getByRole('button', { name: 'Forgot your password?' }).click();
      await page.getByLabel('E-mail', { exact: true }).fill('nobody-here@example.com');
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await page.getByRole('status').filter({ hasText: SENT }).waitFor(WAIT);
      expect(calls(p, FORGOT_API)).toBe(2);
      // Requests are handled in order: once a later request's mail is in, the unknown one was
      // handled too, and it sent nothing.
      await page.getByRole('button', { name: 'Back to sign in' }).click();
      await requestResetLink(page, 'rosa@example.com');
      expect(smtp.mails.some((m) => m.to.includes('nobody-here@example.com'))).toBe(false);

      // ---- the link: the token leaves the address bar at once ----
      await page.goto(`${baseUrl}/reset-password#token=${token}`);
      await page.getByRole('heading', { name: 'Choose a new password' }).waitFor(WAIT);
      expect(page.url()).toBe(`${baseUrl}/reset-password`);
      expect(await page.evaluate<string>('location.hash')).toBe('');
      expect(page.url()).not.toContain(token);

      // Two different passwords: said next to the field, and nothing is sent.
      await chooseNewPassword(page, NEW_PASSWORD, 'correct horse battery staple 43');
      await page.getByRole('alert').filter({ hasText: 'The two passwords do not match.' }).waitFor(WAIT);
      expect(calls(p, RESET_API)).toBe(0);

      // A password the server's rules refuse (422): its message, and the link still works.
      const refused = page.waitForResponse((r) => new URL(r.url()).pathname === RESET_API);
      await chooseNewPassword(page, 'password');
      const weak = await refused;
      expect(weak.status()).toBe(422);
      const weakBody = (await weak.json()) as { error: { code: string; message: string } };
      expect(weakBody.error.code).toBe('VALIDATION_ERROR');
      await page.getByRole('alert').filter({ hasText: weakBody.error.message }).waitFor(WAIT);

      // The new password: changed, and on to the sign-in page (not signed in).
      await chooseNewPassword(page, NEW_PASSWORD);
      await page.getByRole('status').filter({ hasText: CHANGED }).waitFor(WAIT);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(await storedToken(page)).toBeNull();
      // Every session of the account has ended.
      expect((await t.api.get('/api/v1/users/me', oldToken!)).status).toBe(401);

      // ---- the old password is refused, the new one signs in ----
      await page.getByLabel('E-mail or username').fill('rosa');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('alert').filter({ hasText: 'Invalid email or password' }).waitFor(WAIT);
      await page.getByLabel('Password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Sign in', exact: true }).click();
      await page.getByRole('heading', { name: 'Welcome, Rosa Parks' }).waitFor(WAIT);
      expect(await storedToken(page)).toMatch(/^eyJ/);

      // ---- the same link a second time: refused with the server's words, and a way to a new one ----
      const again = await newPerson();
      try {
        await again.page.goto(`${baseUrl}/reset-password#token=${token}`);
        await again.page.getByRole('heading', { name: 'Choose a new password' }).waitFor(WAIT);
        expect(again.page.url()).toBe(`${baseUrl}/reset-password`);
        await chooseNewPassword(again.page, 'yet another long passphrase 7');
        await again.page.getByRole('alert').filter({ hasText: INVALID }).waitFor(WAIT);
        expect(calls(again, RESET_API)).toBe(1);
        await again.page.getByRole('button', { name: 'Request a new link' }).click();
        await again.page.getByRole('heading', { name: 'Reset your password' }).waitFor(WAIT);
        await again.page.getByLabel('E-mail', { exact: true }).waitFor(WAIT);
        expect(new URL(again.page.url()).pathname).toBe('/login');

        // A link without a token: invalid at once, nothing is sent.
        await again.page.goto(`${baseUrl}/reset-password`);
        await again.page.getByRole('alert').filter({ hasText: INVALID }).waitFor(WAIT);
        await again.page.getByRole('button', { name: 'Request a new link' }).waitFor(WAIT);
        expect(calls(again, RESET_API)).toBe(1);
        await expectClean(again);
      } finally {
        await again.ctx.close();
      }
      // The password is still the one chosen above.
      expect((await t.api.post('/api/v1/auth/login', { email: 'rosa@example.com', password: NEW_PASSWORD })).status).toBe(200);
      await expectClean(p);
    } finally {
      await p.ctx.close();
    }
  }, 180_000);

  it('a server without a mail transport says so on the form (503)', async () => {
    const bare = await startApp('sqlite', { webRoot });
    const bareUrl = (await bare.app.listen()).url;
    const p = await newPerson();
    try {
      await p.page.goto(`${bareUrl}/login`);
      await p.page.getByRole('button', { name: 'Forgot your password?' }).click();
      await p.page.getByLabel('E-mail', { exact: true }).fill('someone@example.com');
      const answered = p.page.waitForResponse((r) => new URL(r.url()).pathname === FORGOT_API);
      await p.page.getByRole('button', { name: 'Send reset link' }).click();
      const res = await answered;
      expect(res.status()).toBe(503);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('SERVICE_UNAVAILABLE');
      await p.page.getByRole('alert').filter({ hasText: body.error.message }).waitFor(WAIT);
      expect(await p.page.getByText(SENT).count()).toBe(0);
      await expectClean(p);
    } finally {
      await p.ctx.close();
      await bare.close();
    }
  }, 120_000);
});
