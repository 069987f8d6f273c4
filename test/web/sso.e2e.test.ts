/**
 * Single sign-on in the real browser: the built web client served by a real RustChat (site
 * URL http://rustchat.test, which Chromium resolves to the loopback listener), a provider
 * added through the admin API pointing at the real OpenID Connect provider of test/sso, and
 * the system Chromium clicking "Sign in with …", filling in the provider's form and landing
 * signed in. Every URL the browser asks for is recorded: no session token may be in any.
 */
import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SITE, SITE_HOST, startSsoApp, type SsoApp } from '../sso/helpers/harness.js';
import { startOidcIdp, type TestIdp } from '../sso/helpers/oidc-idp.js';
import { buildClient, cspViolationsIn, launchChromium, openPage, storedToken, type PageWatch } from './browser.js';

const WAIT = { timeout: 30_000 };
const PROVIDER = { key: 'corp', name: 'Corp login' };

let webRoot: string;
let s: SsoApp;
let idp: TestIdp;
let browser: Browser;

beforeAll(async () => {
  webRoot = await buildClient();
  s = await startSsoApp('sqlite', { webRoot });
  idp = await startOidcIdp({
    redirectUris: [s.callbackUrl(PROVIDER.key)],
    users: [
      { sub: 'dana-at-idp', email: 'dana@corp.example', email_verified: true, name: 'Dana Scully', preferred_username: 'dana' },
      { sub: 'carol-at-idp', email: 'carol@corp.example', email_verified: true, name: 'Carol' },
    ],
  });
  // The provider is added the way an administrator adds one: through the admin API.
  await s.addProvider({
    provider_key: PROVIDER.key, provider_type: 'oidc', display_name: PROVIDER.name, issuer_url: idp.issuer,
    client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true,
  });
  browser = await launchChromium([`--host-resolver-rules=MAP ${SITE_HOST} ${s.hosts.get(SITE_HOST)!}`]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await idp?.close();
  await s?.close();
  if (webRoot !== undefined) rmSync(webRoot, { recursive: true, force: true });
});

interface Visit {
  readonly ctx: BrowserContext;
  readonly page: Page;
  readonly watch: PageWatch;
  /** Every URL the browser requested or navigated to (redirect hops, fetches and WebSockets included). */
  readonly urls: string[];
}

async function visit(): Promise<Visit> {
  const urls: string[] = [];
  const { ctx, page, watch } = await openPage(browser, (c) => c.on('request', (r) => urls.push(r.url())));
  page.on('framenavigated', (f) => urls.push(f.url()));
  page.on('websocket', (ws) => urls.push(ws.url()));
  return { ctx, page, watch, urls };
}

/** Clicks "Sign in with …" and goes through the provider's login and consent forms. */
async function signInWithProvider(page: Page, account: string): Promise<void> {
  await page.getByRole('link', { name: `Sign in with ${PROVIDER.name}` }).click();
  await page.getByRole('heading', { name: /Test identity provider: sign in/ }).waitFor(WAIT);
  expect(new URL(page.url()).origin).toBe(idp.issuer);
  await page.getByLabel('Account').fill(account);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /share your profile/ }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Allow' }).click();
}

/** The session is in this tab and in the HttpOnly cookie, and in no URL the browser ever used. */
async function expectTokenNeverInAUrl(v: Visit): Promise<string> {
  const token = await storedToken(v.page);
  expect(token).toMatch(/^eyJ/);
  const cookie = (await v.ctx.cookies(SITE)).find((c) => c.name === 'rustchat_session');
  expect(cookie?.value).toBe(token);
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Lax');
  // The flow really went through the provider and back, and the client called the API.
  expect(v.urls.some((u) => u.startsWith(`${idp.issuer}/auth?`))).toBe(true);
  expect(v.urls.some((u) => u.startsWith(`${SITE}/api/v1/oauth2/${PROVIDER.key}/callback?`))).toBe(true);
  expect(v.urls.some((u) => u === `${SITE}/api/v1/oauth2/exchange`)).toBe(true);
  expect(v.urls.some((u) => u.startsWith('ws://rustchat.test/api/v1/ws'))).toBe(true);
  const signature = token!.split('.')[2]!;
  for (const url of v.urls) {
    expect(url, url).not.toContain(token);
    expect(url, url).not.toContain(signature);
    expect(url, url).not.toMatch(/[?&#](token|access_token|id_token)=/);
  }
  // The one-time code was in exactly one URL (the landing), and left the address bar.
  const landings = v.urls.filter((u) => u.startsWith(`${SITE}/login?code=`));
  expect(landings.length).toBeGreaterThan(0);
  const code = new URL(landings[0]!).searchParams.get('code')!;
  expect(v.urls.filter((u) => u.includes(code)).every((u) => u.startsWith(`${SITE}/login?code=`))).toBe(true);
  expect(v.page.url()).not.toContain(code);
  expect(v.watch.pageErrors).toEqual([]);
  expect(await cspViolationsIn(v.page)).toEqual([]);
  return token!;
}

describe('signing in with an OpenID Connect provider in the browser', () => {
  it('"Sign in with …" on the sign-in page: the provider\'s form, then signed in, with no token in any URL', async () => {
    const v = await visit();
    try {
      await v.page.goto(`${SITE}/`);
      await v.page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      await signInWithProvider(v.page, 'dana-at-idp');
      // A first sign-in provisions the account; the client lands in the app.
      await v.page.getByRole('heading', { name: 'Welcome, Dana Scully' }).waitFor(WAIT);
      expect(new URL(v.page.url()).pathname).toBe('/');
      expect(new URL(v.page.url()).search).toBe('');
      const token = await expectTokenNeverInAUrl(v);
      const me = await s.t.api.get('/api/v1/auth/me', token);
      expect(me.body).toMatchObject({ username: 'dana', email: 'dana@corp.example' });
      // A reload stays signed in (the token is in this tab's sessionStorage).
      await v.page.reload();
      await v.page.getByRole('heading', { name: 'Welcome, Dana Scully' }).waitFor(WAIT);
    } finally {
      await v.ctx.close();
    }
  }, 120_000);

  it('a deep link opened while signed out comes back after the provider round trip (redirect_to)', async () => {
    // An account an administrator created (its address is verified here), with a team and a second channel.
    const password = 'carol-long-password-1';
    expect((await s.t.api.post('/api/v1/admin/users', { username: 'carol', email: 'carol@corp.example', password }, s.adminToken)).status).toBe(201);
    const carol = (await s.t.api.post('/api/v1/auth/login', { email: 'carol@corp.example', password })).body.token as string;
    const team = await s.t.api.post('/api/v1/teams', { name: 'launch-team', display_name: 'Launch Team' }, carol);
    expect(team.status).toBe(201);
    const channel = await s.t.api.post('/api/v1/channels', { team_id: team.body.id, name: 'launch-plans', display_name: 'Launch plans', channel_type: 'public' }, carol);
    expect(channel.status).toBe(201);

    const v = await visit();
    try {
      const deepLink = '/launch-team/channels/launch-plans';
      await v.page.goto(`${SITE}${deepLink}`);
      await v.page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      await signInWithProvider(v.page, 'carol-at-idp');
      await v.page.getByRole('heading', { name: '# Launch plans' }).waitFor(WAIT);
      expect(new URL(v.page.url()).pathname).toBe(deepLink);
      // The provider identity was linked to the existing account.
      const token = await expectTokenNeverInAUrl(v);
      expect((await s.t.api.get('/api/v1/auth/me', token)).body.username).toBe('carol');
      expect(v.urls.some((u) => u.startsWith(`${SITE}/api/v1/oauth2/${PROVIDER.key}/login?redirect_to=${encodeURIComponent(deepLink)}`))).toBe(true);
    } finally {
      await v.ctx.close();
    }
  }, 120_000);

  it('a crafted /login?error=…&error_description=… link never puts its text on the sign-in page', async () => {
    const v = await visit();
    try {
      const lure = 'Your account is locked. Call +1 555 0100 to unlock it.';
      for (const [query, shown] of [
        [`?error=idp_access_denied&error_description=${encodeURIComponent(lure)}`, 'Sign-in was cancelled or refused at the identity provider.'],
        [`?error=${encodeURIComponent(lure)}&error_description=${encodeURIComponent(lure)}`, 'Single sign-on did not work. Please try again.'],
        [`?error=call_555_0100_to_unlock&error_description=${encodeURIComponent(lure)}`, 'Single sign-on did not work. Please try again.'],
      ] as const) {
        await v.page.goto(`${SITE}/login${query}`);
        await v.page.getByText(shown, { exact: true }).waitFor(WAIT);
        const text = await v.page.locator('body').innerText();
        expect(text).not.toContain('555');
        expect(text).not.toContain('locked');
        expect(new URL(v.page.url()).search).toBe('');
      }
      expect(v.watch.pageErrors).toEqual([]);
    } finally {
      await v.ctx.close();
    }
  }, 120_000);

  it('cancelling at the provider comes back to the sign-in page with the server\'s explanation', async () => {
    const v = await visit();
    try {
      await v.page.goto(`${SITE}/login`);
      await v.page.getByRole('link', { name: `Sign in with ${PROVIDER.name}` }).click();
      await v.page.getByRole('button', { name: 'Cancel' }).click();
      await v.page.getByText('Sign-in was cancelled or refused at the identity provider.', { exact: true }).waitFor(WAIT);
      await v.page.getByRole('heading', { name: 'Sign in' }).waitFor(WAIT);
      expect(new URL(v.page.url()).search).toBe('');
      expect(await storedToken(v.page)).toBeNull();
      expect(v.watch.pageErrors).toEqual([]);
    } finally {
      await v.ctx.close();
    }
  }, 120_000);
});
