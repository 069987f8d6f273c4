/**
 * An app listening on a real loopback port, reachable by the scripted browser as its site
 * URL http://rustchat.test, with a system admin; and the browser side of the SSO flow.
 */
import { hashSecret, randomToken } from '../../../src/security/crypto.js';
import { oauthBrowserCookie } from '../../../src/http/types.js';
import { startApp, type StartOptions, type StoreKind, type TestApp } from '../../helpers/app.js';
import { Browser, type BrowserResponse } from './browser.js';

// The harness runs in development: the plain name, scoped to the OAuth routes.
const FLOW_COOKIE = oauthBrowserCookie(false);
const OAUTH_BROWSER_COOKIE = FLOW_COOKIE.name;

export const SITE = 'http://rustchat.test';
export const SITE_HOST = 'rustchat.test';

export interface SsoApp {
  readonly t: TestApp;
  readonly hosts: Map<string, string>;
  readonly adminToken: string;
  browser(): Browser;
  callbackUrl(key: string): string;
  /** Adds a provider through the admin API; returns its JSON view. */
  addProvider(body: Record<string, unknown>): Promise<any>;
  close(): Promise<void>;
}

export async function startSsoApp(kind: StoreKind, opts: StartOptions = {}): Promise<SsoApp> {
  const t = await startApp(kind, { ...opts, env: { RUSTCHAT_SITE_URL: SITE, ...(opts.env ?? {}) } });
  try {
    const { port } = await t.app.listen();
    const hosts = new Map([[SITE_HOST, `127.0.0.1:${port}`]]);
    // A fixed password, so an app restarted on the same database can sign the admin in again.
    const password = 'sso-admin-password-1';
    await t.app.services.accounts.createAdmin('sso-admin@corp.example', 'ssoadmin', password);
    const login = await t.api.post('/api/v1/auth/login', { email: 'sso-admin@corp.example', password });
    if (login.status !== 200) throw new Error(`admin login failed: ${login.text}`);
    const adminToken: string = login.body.token;
    return {
      t, hosts, adminToken,
      browser: () => new Browser(hosts),
      callbackUrl: (key) => `${SITE}/api/v1/oauth2/${key}/callback`,
      async addProvider(body) {
        const res = await t.api.post('/api/v1/admin/sso', body, adminToken);
        if (res.status !== 201) throw new Error(`provider create failed: ${res.status} ${res.text}`);
        return res.body;
      },
      close: () => t.close(),
    };
  } catch (err) {
    await t.close();
    throw err;
  }
}

export interface FlowResult {
  /** The first answer of the login endpoint. */
  readonly start: BrowserResponse;
  /** Where the app finally sent the browser (/login?code=… or /login?error=…), when it got there. */
  readonly landing: URL | undefined;
  /** The callback URL the IdP sent the browser to (requested unless `stopAtCallback`). */
  readonly callback: URL | undefined;
  /** The last response received. */
  readonly last: BrowserResponse;
  readonly code: string | undefined;
  readonly error: string | undefined;
}

export interface FlowOptions {
  /** The IdP account to sign in as (oidc-provider login prompt). */
  readonly login?: string;
  readonly redirectTo?: string;
  /** Stop when the IdP redirects to the callback, without requesting it. */
  readonly stopAtCallback?: boolean;
  /** Cancel at the IdP's login prompt instead of signing in. */
  readonly abort?: boolean;
}

/** Drives the whole browser flow: app login → IdP (login, consent) → app callback → /login?…. */
export async function signIn(browser: Browser, providerKey: string, opts: FlowOptions = {}): Promise<FlowResult> {
  const query = opts.redirectTo === undefined ? '' : `?redirect_to=${encodeURIComponent(opts.redirectTo)}`;
  const start = await browser.get(`${SITE}/api/v1/oauth2/${providerKey}/login${query}`);
  let current = start;
  let callback: URL | undefined;
  for (let round = 0; round < 10; round++) {
    const { response, stoppedAt } = await browser.follow(current, (u) => {
      if (u.host === SITE_HOST && u.pathname === '/login') return true;
      if (u.host === SITE_HOST && u.pathname.endsWith('/callback')) {
        callback = u;
        return opts.stopAtCallback === true;
      }
      return false;
    });
    if (stoppedAt !== undefined) {
      const landing = stoppedAt.pathname === '/login' ? stoppedAt : undefined;
      return { start, landing, callback, last: response, code: landing?.searchParams.get('code') ?? undefined, error: landing?.searchParams.get('error') ?? undefined };
    }
    const at = new URL(response.url);
    if (response.status === 200 && at.pathname.startsWith('/interaction/')) {
      const prompt = response.json<{ prompt: string }>().prompt;
      if (prompt === 'login') {
        current = opts.abort === true
          ? await browser.post(new URL(`${at.pathname}/abort`, at).href, { form: {} })
          : await browser.post(new URL(`${at.pathname}/login`, at).href, { form: { login: opts.login ?? '' } });
      } else if (prompt === 'consent') {
        current = await browser.post(new URL(`${at.pathname}/confirm`, at).href, { form: {} });
      } else {
        throw new Error(`unexpected prompt ${prompt}`);
      }
      continue;
    }
    return { start, landing: undefined, callback, last: response, code: undefined, error: undefined };
  }
  throw new Error('sign-in did not finish');
}

/**
 * Gives every browser the same flow cookie, as if they were one browser (tabs, or a thief
 * who also stole the cookie), and returns its hash, to bind a code minted in the database to.
 */
export function shareFlowCookie(...browsers: Browser[]): string {
  const value = randomToken();
  for (const b of browsers) b.put({ name: OAUTH_BROWSER_COOKIE, value, host: SITE_HOST, path: FLOW_COOKIE.path, expiresAt: undefined, attributes: {} });
  return hashSecret(value);
}

/** Copies `from`'s flow cookie into `to` (the same person's browser, reaching another node). */
export function copyFlowCookie(from: Browser, to: Browser): Browser {
  const cookie = from.cookie(`${SITE}/api/v1/oauth2/exchange`, OAUTH_BROWSER_COOKIE);
  if (cookie === undefined) throw new Error('no flow cookie to copy');
  to.put(cookie);
  return to;
}

export function exchange(browser: Browser, code: string): Promise<BrowserResponse> {
  return browser.post(`${SITE}/api/v1/oauth2/exchange`, { json: { code } });
}

/** A clock the test can move forward (the app's `clock` option). */
export function testClock(): { now: () => number; advance: (ms: number) => void } {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => { offset += ms; } };
}
