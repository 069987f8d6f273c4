/**
 * The whole single sign-on browser flow against a real OpenID Connect provider
 * (oidc-provider on loopback), over real HTTP with cookie jars, on both stores:
 * provisioning, linking, the one-time exchange (once, reuse, expiry, races), e-mail
 * verification rules, allowed domains, provider errors, redirect_to and log redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES } from '../helpers/app.js';
import { hashSecret } from '../../src/security/crypto.js';
import type { Browser } from './helpers/browser.js';
import { SITE, copyFlowCookie, exchange, signIn, startSsoApp, testClock, type SsoApp } from './helpers/harness.js';
import { startOidcIdp, type TestIdp } from './helpers/oidc-idp.js';
import { securityEvents } from './helpers/events.js';

const USERS = [
  { sub: 'alice', email: 'alice@corp.example', email_verified: true, name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', preferred_username: 'alice' },
  { sub: 'bob-at-idp', email: 'bob@corp.example', email_verified: false, name: 'Not Bob' },
  { sub: 'carol-at-idp', email: 'carol@corp.example', email_verified: true, name: 'Carol' },
  { sub: 'dave-at-idp', email: 'dave@corp.example', email_verified: true, name: 'Dave' },
  { sub: 'erin', email: 'erin@other.example', email_verified: true, name: 'Erin' },
  { sub: 'gina', email: 'gina@corp.example', email_verified: false, name: 'Gina' },
  { sub: 'hank', email: 'hank@corp.example', email_verified: true, name: 'Hank' },
  { sub: 'nomail' },
];

describe.each(STORES)('single sign-on with a real OpenID Connect provider (%s)', (kind) => {
  let s: SsoApp;
  let idp: TestIdp;
  const clock = testClock();
  const providerIds: Record<string, string> = {};
  /** Every secret the flows handled: none may appear in the logs. */
  const secrets: string[] = [];

  const flow = async (key: string, login: string, browser?: Browser, redirectTo?: string) => {
    const b = browser ?? s.browser();
    const r = await signIn(b, key, { login, ...(redirectTo !== undefined ? { redirectTo } : {}) });
    for (const url of b.visited) {
      const u = new URL(url);
      for (const name of ['code', 'state', 'nonce', 'code_challenge']) {
        const v = u.searchParams.get(name);
        if (v !== null && v.length >= 16) secrets.push(v);
      }
    }
    if (r.code !== undefined) secrets.push(r.code);
    return { ...r, browser: b };
  };

  /** rustchat_security_events_total{event="exchange_code_reuse"} of the running app. */
  const reuseCounter = async (): Promise<number> =>
    (await s.t.app.metrics.registry.getSingleMetric('rustchat_security_events_total')!.get()).values.find((v) => v.labels.event === 'exchange_code_reuse')?.value ?? 0;

  const signedIn = async (key: string, login: string) => {
    const r = await flow(key, login);
    expect(r.error, `sign-in error: ${r.error}`).toBeUndefined();
    expect(r.code).toBeDefined();
    const ex = await exchange(r.browser, r.code!);
    expect(ex.status, ex.body).toBe(200);
    secrets.push(ex.json().token);
    return { ...r, ex, body: ex.json() };
  };

  beforeAll(async () => {
    s = await startSsoApp(kind, { clock: clock.now });
    idp = await startOidcIdp({ redirectUris: ['kc', 'kcdom', 'kcclosed'].map((k) => s.callbackUrl(k)), users: USERS });
    secrets.push(idp.clientSecret);
    const base = { provider_type: 'oidc', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret };
    providerIds.kc = (await s.addProvider({ ...base, provider_key: 'kc', display_name: 'Keycloak', auto_provision: true })).id;
    providerIds.kcdom = (await s.addProvider({ ...base, provider_key: 'kcdom', display_name: 'Corp only', auto_provision: true, allow_domains: ['corp.example'] })).id;
    providerIds.kcclosed = (await s.addProvider({ ...base, provider_key: 'kcclosed', display_name: 'No provisioning', auto_provision: false })).id;
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
  });

  it('lists the enabled providers with their login URLs (public)', async () => {
    const res = await s.t.api.get('/api/v1/oauth2/providers');
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({ provider_key: 'kc', provider_type: 'oidc', display_name: 'Keycloak', login_url: '/api/v1/oauth2/kc/login' });
    expect(JSON.stringify(res.body)).not.toContain(idp.clientSecret);
    expect(JSON.stringify(res.body)).not.toContain(idp.clientId);
  });

  it('first login auto-provisions a user without a password, through state, nonce and PKCE S256', async () => {
    const { body, browser, start } = await signedIn('kc', 'alice');
    // The login answered with a browser-binding cookie and sent the browser to the IdP.
    expect(start.status).toBe(302);
    const binding = browser.setCookies.find((c) => c.name === 'rustchat_oauth_browser')!;
    expect(binding.attributes.httponly).toBe(true);
    expect(String(binding.attributes.samesite).toLowerCase()).toBe('lax');
    expect(binding.path).toBe('/api/v1/oauth2/');
    const authz = idp.authorizationRequests.at(-1)!;
    expect(authz.get('code_challenge_method')).toBe('S256');
    expect(authz.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(authz.get('nonce')!.length).toBeGreaterThanOrEqual(43);
    expect(authz.get('state')!.length).toBeGreaterThanOrEqual(43);
    expect(authz.get('redirect_uri')).toBe(`${SITE}/api/v1/oauth2/kc/callback`);

    expect(body.user).toMatchObject({ username: 'alice', display_name: 'Alice Liddell', first_name: 'Alice', last_name: 'Liddell', email: 'alice@corp.example', role: 'system_user' });
    const user = (await s.t.app.store.users.getByLogin('alice@corp.example'))!;
    expect(user.password_hash).toBeNull();
    expect(user.email_verified).toBe(1);
    expect(await s.t.app.store.sso.getIdentity(providerIds.kc!, 'alice')).toMatchObject({ user_id: user.id, email: 'alice@corp.example' });
    // SSO-only accounts cannot sign in with a password.
    expect((await s.t.api.post('/api/v1/auth/login', { email: 'alice@corp.example', password: 'anything at all 123' })).status).toBe(401);
  });

  it('second login links to the same user', async () => {
    const before = await s.t.app.store.users.count();
    const { body } = await signedIn('kc', 'alice');
    const user = (await s.t.app.store.users.getByLogin('alice@corp.example'))!;
    expect(body.user.id).toBe(user.id);
    expect(await s.t.app.store.users.count()).toBe(before);
  });

  it('exchange works once: token and HttpOnly SameSite=Lax cookie; never a token in a URL', async () => {
    const { ex, body, browser, landing } = await signedIn('kc', 'alice');
    expect(landing!.pathname).toBe('/login');
    expect([...landing!.searchParams.keys()]).toEqual(['code']);
    // ≥ 256 bits: 32 random bytes, base64url.
    expect(Buffer.from(landing!.searchParams.get('code')!, 'base64url').length).toBeGreaterThanOrEqual(32);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 24 * 3600, redirect_to: '/' });
    for (const url of browser.visited) expect(url).not.toContain(body.token);
    const cookie = browser.setCookies.find((c) => c.name === 'rustchat_session')!;
    expect(cookie.value).toBe(body.token);
    expect(cookie.attributes.httponly).toBe(true);
    expect(String(cookie.attributes.samesite).toLowerCase()).toBe('lax');
    expect(cookie.attributes.secure).toBeUndefined();
    expect(ex.headers['cache-control']).toBe('no-store');
    const me = await s.t.api.get('/api/v1/auth/me', body.token);
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('alice');
    // Stored hashed, never in clear.
    const code = landing!.searchParams.get('code')!;
    expect(await s.t.app.store.sso.getExchangeCode(code)).toBeUndefined();
    expect((await s.t.app.store.sso.getExchangeCode((await import('../../src/security/crypto.js')).hashSecret(code)))!.consumed_at).not.toBeNull();
  });

  it('a second exchange of the same code fails, raises exchange_code_reuse and revokes the first session', async () => {
    const r = await flow('kc', 'alice');
    const first = await exchange(r.browser, r.code!);
    expect(first.status).toBe(200);
    const token = first.json().token;
    secrets.push(token);
    expect((await s.t.api.get('/api/v1/auth/me', token)).status).toBe(200);
    const reuses = securityEvents(s.t, 'exchange_code_reuse').length;
    const counted = await reuseCounter();

    const thief = s.browser();
    const second = await exchange(thief, r.code!);
    expect(second.status).toBe(400);
    expect(second.json().error.code).toBe('BAD_REQUEST');
    expect(second.headers['set-cookie']).toBeUndefined();
    expect(securityEvents(s.t, 'exchange_code_reuse').length).toBe(reuses + 1);
    expect(securityEvents(s.t, 'exchange_code_reuse').at(-1)).toMatchObject({ severity: 'warning', client_ip: '127.0.0.1' });
    expect(await reuseCounter()).toBe(counted + 1);
    // The session the first use started is over.
    expect((await s.t.api.get('/api/v1/auth/me', token)).status).toBe(401);
    expect(securityEvents(s.t, 'session_revoked').some((e) => e.reason === 'exchange_code_reuse')).toBe(true);
  });

  it('a code is bound to the browser that started the sign-in: presented without its flow cookie it is refused like a reused one, and burned', async () => {
    // The answer a reuse gets, for comparison.
    const used = await flow('kc', 'alice');
    expect((await exchange(used.browser, used.code!)).status).toBe(200);
    const reuse = await exchange(used.browser, used.code!);
    expect(reuse.status).toBe(400);

    const r = await flow('kc', 'alice');
    const reuses = securityEvents(s.t, 'exchange_code_reuse').length;
    const counted = await reuseCounter();
    const thief = s.browser();
    const stolen = await exchange(thief, r.code!);
    expect(stolen.status).toBe(400);
    expect(stolen.json().error).toEqual({ ...reuse.json().error, request_id: stolen.json().error.request_id });
    expect(stolen.headers['set-cookie']).toBeUndefined();
    expect(securityEvents(s.t, 'exchange_code_reuse').length).toBe(reuses + 1);
    expect(securityEvents(s.t, 'exchange_code_reuse').at(-1)).toMatchObject({ severity: 'warning', reason: 'missing_browser_cookie', request_id: stolen.headers['x-request-id'] });
    expect(await reuseCounter()).toBe(counted + 1);
    // A leaked code never works again, not even for its own browser (which signs in again).
    const row = (await s.t.app.store.sso.getExchangeCode(hashSecret(r.code!)))!;
    expect(row.consumed_at).not.toBeNull();
    expect(row.session_id).toBeNull();
    expect((await exchange(r.browser, r.code!)).status).toBe(400);
  });

  it('another sign-in\'s flow cookie does not redeem a code either', async () => {
    const victim = await flow('kc', 'alice');
    // The thief started a sign-in of their own, so holds a valid flow cookie: not this code's.
    const thief = await flow('kc', 'alice');
    const reuses = securityEvents(s.t, 'exchange_code_reuse').length;
    const res = await exchange(thief.browser, victim.code!);
    expect(res.status).toBe(400);
    expect(securityEvents(s.t, 'exchange_code_reuse').length).toBe(reuses + 1);
    expect(securityEvents(s.t, 'exchange_code_reuse').at(-1)).toMatchObject({ reason: 'browser_mismatch' });
    // The thief's own code still works in the thief's browser.
    expect((await exchange(thief.browser, thief.code!)).status).toBe(200);
  });

  it('a code lives 60 seconds', async () => {
    const late = await flow('kc', 'alice');
    clock.advance(61_000);
    const reuses = securityEvents(s.t, 'exchange_code_reuse').length;
    const res = await exchange(late.browser, late.code!);
    expect(res.status).toBe(400);
    expect(securityEvents(s.t, 'exchange_code_reuse').length).toBe(reuses);

    const inTime = await flow('kc', 'alice');
    clock.advance(58_000);
    expect((await exchange(inTime.browser, inTime.code!)).status).toBe(200);
  });

  it('an unknown code is refused', async () => {
    const res = await exchange(s.browser(), 'A'.repeat(43));
    expect(res.status).toBe(400);
  });

  it('two concurrent exchanges of one code (from the browser that started it): exactly one wins', async () => {
    const r = await flow('kc', 'alice');
    const results = await Promise.all([exchange(r.browser, r.code!), exchange(copyFlowCookie(r.browser, s.browser()), r.code!)]);
    expect(results.map((x) => x.status).sort()).toEqual([200, 400]);
    // The loser presented a consumed code: that is a reuse, and the winner's session ends.
    const token = results.find((x) => x.status === 200)!.json().token;
    secrets.push(token);
    expect((await s.t.api.get('/api/v1/auth/me', token)).status).toBe(401);
  });

  it('an unverified IdP e-mail cannot take over an existing password account', async () => {
    const created = await s.t.api.post('/api/v1/admin/users', { username: 'bob', email: 'bob@corp.example', password: 'bob-long-password-1' }, s.adminToken);
    expect(created.status).toBe(201);
    const r = await flow('kc', 'bob-at-idp');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('email_unverified_at_idp');
    expect(await s.t.app.store.sso.getIdentity(providerIds.kc!, 'bob-at-idp')).toBeUndefined();
    expect(s.t.logs.text()).toContain('unverified_email_matches_account');
    // Bob's account is untouched.
    expect((await s.t.api.post('/api/v1/auth/login', { email: 'bob@corp.example', password: 'bob-long-password-1' })).status).toBe(200);
  });

  it('a verified IdP e-mail links an existing account whose address is verified here', async () => {
    const created = await s.t.api.post('/api/v1/admin/users', { username: 'carol', email: 'carol@corp.example', password: 'carol-long-password-1' }, s.adminToken);
    const { body } = await signedIn('kc', 'carol-at-idp');
    expect(body.user.id).toBe(created.body.id);
    expect(await s.t.app.store.sso.getIdentity(providerIds.kc!, 'carol-at-idp')).toMatchObject({ user_id: created.body.id });
    // The password still works: linking adds a way in, it does not take one away.
    expect((await s.t.api.post('/api/v1/auth/login', { email: 'carol@corp.example', password: 'carol-long-password-1' })).status).toBe(200);
  });

  it('a self-registered account (address never verified here) is not linked: no pre-account hijacking', async () => {
    const reg = await s.t.api.post('/api/v1/auth/register', { username: 'davesquatter', email: 'dave@corp.example', password: 'squatter-password-1' });
    expect(reg.status).toBe(202);
    expect((await s.t.app.store.users.getByLogin('dave@corp.example'))!.email_verified).toBe(0);
    const r = await flow('kc', 'dave-at-idp');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('account_email_unverified');
    expect(await s.t.app.store.sso.getIdentity(providerIds.kc!, 'dave-at-idp')).toBeUndefined();
  });

  it('auto_provision off: no account is created', async () => {
    const before = await s.t.app.store.users.count();
    const r = await flow('kcclosed', 'hank');
    expect(r.error).toBe('no_account');
    expect(await s.t.app.store.users.count()).toBe(before);
    // With provisioning on, the same person gets an account.
    expect((await signedIn('kc', 'hank')).body.user.username).toBe('hank');
  });

  it('an unverified e-mail still provisions a new account, recorded as unverified', async () => {
    const { body } = await signedIn('kc', 'gina');
    expect(body.user.username).toBe('gina');
    expect((await s.t.app.store.users.get(body.user.id))!.email_verified).toBe(0);
  });

  it('a provider that shares no e-mail cannot provision', async () => {
    const r = await flow('kc', 'nomail');
    expect(r.error).toBe('no_email');
  });

  it('allow_domains restricts e-mail domains (and needs a verified address)', async () => {
    const other = await flow('kcdom', 'erin');
    expect(other.error).toBe('domain_not_allowed');
    expect(await s.t.app.store.users.getByLogin('erin@other.example')).toBeUndefined();
    const unverified = await flow('kcdom', 'gina');
    expect(unverified.error).toBe('domain_not_allowed');
    // Without the restriction Erin gets in; with it, a corp.example address does.
    expect((await signedIn('kc', 'erin')).body.user.email).toBe('erin@other.example');
    expect((await signedIn('kcdom', 'alice')).body.user.username).toMatch(/^alice/);
  });

  it('a provider error comes back as a code on /login (no provider text), the reason in the log', async () => {
    const b = s.browser();
    const r = await signIn(b, 'kc', { abort: true });
    expect(r.landing!.pathname).toBe('/login');
    expect(r.code).toBeUndefined();
    expect(r.error).toBe('idp_access_denied');
    expect(s.t.logs.text()).toContain('provider_error:access_denied');
  });

  it('redirect_to (a same-origin path) comes back from the exchange', async () => {
    const r = await flow('kc', 'alice', undefined, '/channels/town-square?tab=files#post-1');
    const ex = await exchange(r.browser, r.code!);
    expect(ex.json().redirect_to).toBe('/channels/town-square?tab=files#post-1');
    secrets.push(ex.json().token);
  });

  it('open-redirect attempts are refused before anything starts', async () => {
    const attempts = ['//evil.example', '/\\evil.example', 'https:evil.example', 'https://evil.example/x', '%2F%2Fevil.example', '/%2F%2Fevil.example',
      '/%5Cevil.example', '/%5cevil.example', '/%252F%252Fevil.example', '\\\\evil.example', '/\tevil', 'javascript:alert(1)', '//%09/evil.example', 'evil.example', '/.//evil.example', '/.%2F/evil.example'];
    const b = s.browser();
    for (const attempt of attempts) {
      const res = await b.get(`${SITE}/api/v1/oauth2/kc/login?redirect_to=${encodeURIComponent(attempt)}`);
      expect(res.status, attempt).toBe(422);
      expect(res.json().error.field).toBe('redirect_to');
      expect(res.headers.location).toBeUndefined();
    }
  });

  it('a deactivated user cannot sign in, nor exchange a code issued before', async () => {
    const pending = await flow('kc', 'hank');
    const hank = (await s.t.app.store.users.getByLogin('hank@corp.example'))!;
    expect((await s.t.api.post(`/api/v1/admin/users/${hank.id}/deactivate`, undefined, s.adminToken)).status).toBe(200);
    expect((await exchange(pending.browser, pending.code!)).status).toBe(403);
    const r = await flow('kc', 'hank');
    expect(r.error).toBe('account_inactive');
  });

  it('a disabled provider is not listed and cannot start a login', async () => {
    expect((await s.t.api.put(`/api/v1/admin/sso/${providerIds.kcclosed}`, { enabled: false }, s.adminToken)).status).toBe(200);
    const list = await s.t.api.get('/api/v1/oauth2/providers');
    expect(list.body.map((p: any) => p.provider_key)).not.toContain('kcclosed');
    expect((await s.browser().get(`${SITE}/api/v1/oauth2/kcclosed/login`)).status).toBe(404);
    expect((await s.browser().get(`${SITE}/api/v1/oauth2/nosuch/login`)).status).toBe(404);
  });

  it('no IdP secret, code, state or token reaches the logs', () => {
    const logs = s.t.logs.text();
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(logs.includes(secret), `log leaks ${secret.slice(0, 6)}…`).toBe(false);
    // The access log has the callback path, without its query string.
    expect(logs).toContain('"path":"/api/v1/oauth2/kc/callback"');
  });
});
