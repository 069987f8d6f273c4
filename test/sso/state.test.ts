/**
 * The OAuth `state` (contract §4): single use, 5 minutes, bound to the browser that started
 * the flow by a cookie. Missing, unknown, reused, expired, foreign or mismatched state → 400
 * and one `invalid_oauth_state` security event (log line and counter).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox, hashSecret } from '../../src/security/crypto.js';
import type { Browser } from './helpers/browser.js';
import { SITE, exchange, signIn, startSsoApp, testClock, type SsoApp } from './helpers/harness.js';
import { startOidcIdp, type TestIdp } from './helpers/oidc-idp.js';
import { securityEvents } from './helpers/events.js';

describe('OAuth state', () => {
  let s: SsoApp;
  let idp: TestIdp;
  const clock = testClock();
  const seen: string[] = [];

  beforeAll(async () => {
    s = await startSsoApp('sqlite', { clock: clock.now });
    idp = await startOidcIdp({ redirectUris: [s.callbackUrl('kc'), s.callbackUrl('kc2')], users: [{ sub: 'alice', email: 'alice@corp.example', email_verified: true }] });
    const base = { provider_type: 'oidc', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true };
    await s.addProvider({ ...base, provider_key: 'kc', display_name: 'Keycloak' });
    await s.addProvider({ ...base, provider_key: 'kc2', display_name: 'Keycloak 2' });
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
  });

  /** Runs the flow up to the IdP's redirect back, without requesting the callback. */
  const toCallback = async (browser: Browser, key = 'kc') => {
    const r = await signIn(browser, key, { login: 'alice', stopAtCallback: true });
    expect(r.callback).toBeDefined();
    seen.push(r.callback!.searchParams.get('state')!, r.callback!.searchParams.get('code')!);
    return r.callback!;
  };

  const counter = async (): Promise<number> => {
    const metric = await s.t.app.metrics.registry.getSingleMetric('rustchat_security_events_total')!.get();
    return metric.values.find((v) => v.labels.event === 'invalid_oauth_state')?.value ?? 0;
  };

  /** Expects a 400 with exactly one new invalid_oauth_state event for `reason`. */
  const rejected = async (browser: Browser, url: string, reason: string) => {
    const events = securityEvents(s.t, 'invalid_oauth_state').length;
    const count = await counter();
    const res = await browser.get(url);
    expect(res.status, res.body).toBe(400);
    expect(res.json().error.code).toBe('BAD_REQUEST');
    expect(res.headers.location).toBeUndefined();
    const all = securityEvents(s.t, 'invalid_oauth_state');
    expect(all.length).toBe(events + 1);
    expect(all.at(-1)).toMatchObject({ reason, severity: 'warning', client_ip: '127.0.0.1', provider: url.includes('/kc2/') ? 'kc2' : 'kc' });
    expect(all.at(-1)!.request_id).toBe(res.headers['x-request-id']);
    expect(await counter()).toBe(count + 1);
  };

  it('a good state works (the control case)', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    const res = await b.get(callback.href);
    expect(res.status).toBe(302);
    const landing = new URL(res.headers.location!, SITE);
    expect((await exchange(b, landing.searchParams.get('code')!)).status).toBe(200);
  });

  it('is stored hashed, with the PKCE verifier sealed (and matching the challenge sent)', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    const state = callback.searchParams.get('state')!;
    expect(await s.t.app.store.sso.getState(state)).toBeUndefined();
    const row = (await s.t.app.store.sso.getState(hashSecret(state)))!;
    expect(row).toMatchObject({ used: 0, redirect_to: '/' });
    expect(row.expires_at - row.created_at).toBe(5 * 60_000);
    expect(row.pkce_verifier_sealed.startsWith('v1.')).toBe(true);
    const verifier = new SecretBox(s.t.config.encryption.key).open(row.pkce_verifier_sealed, `oauth_states.pkce_verifier:${row.state_hash}`);
    const sent = idp.authorizationRequests.find((p) => p.get('state') === state)!;
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(sent.get('code_challenge'));
    expect(sent.get('nonce')).toBe(row.nonce);
    // The binding cookie is stored hashed too.
    expect(row.browser_hash).toBe(hashSecret(b.cookie(callback.href, 'rustchat_oauth_browser')!.value));
  });

  it('an error from the provider (with a valid state) becomes one of our codes, whatever it says; its description is dropped', async () => {
    for (const [error, code] of [
      ['access_denied', 'idp_access_denied'],
      ['constructor', 'idp_refused'],
      ['<script>alert(1)</script>', 'idp_refused'],
    ] as const) {
      const b = s.browser();
      const callback = await toCallback(b);
      const failed = new URL(callback);
      failed.searchParams.delete('code');
      failed.searchParams.set('error', error);
      failed.searchParams.set('error_description', 'Stack trace: at Object.<anonymous> <img src=x>');
      const res = await b.get(failed.href);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe(`/login?error=${code}`);
    }
  });

  it('missing state', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    const without = new URL(callback);
    without.searchParams.delete('state');
    await rejected(b, without.href, 'missing_state');
    // Even when the IdP reports an error, no state means 400, not a redirect.
    await rejected(b, `${SITE}/api/v1/oauth2/kc/callback?error=access_denied`, 'missing_state');
  });

  it('unknown state', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    const forged = new URL(callback);
    forged.searchParams.set('state', 'A'.repeat(43));
    await rejected(b, forged.href, 'unknown_state');
  });

  it('repeated state parameter', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    await rejected(b, `${callback.href}&state=${callback.searchParams.get('state')!}`, 'repeated_state');
  });

  it('reused state', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    expect((await b.get(callback.href)).status).toBe(302);
    await rejected(b, callback.href, 'state_reused');
  });

  it('state from another browser (no cookie, or another browser\'s cookie) — and the real browser can still finish', async () => {
    const victim = s.browser();
    const callback = await toCallback(victim);
    await rejected(s.browser(), callback.href, 'missing_browser_cookie');
    const attacker = s.browser();
    await toCallback(attacker);
    await rejected(attacker, callback.href, 'browser_mismatch');
    const res = await victim.get(callback.href);
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location!, SITE).searchParams.get('code')).toBeTruthy();
  });

  it('state for another provider', async () => {
    const b = s.browser();
    const callback = await toCallback(b, 'kc');
    const elsewhere = new URL(callback);
    elsewhere.pathname = '/api/v1/oauth2/kc2/callback';
    await rejected(b, elsewhere.href, 'provider_mismatch');
  });

  it('state older than 5 minutes', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    clock.advance(5 * 60_000 + 1_000);
    await rejected(b, callback.href, 'state_expired');
  });

  it('a state just under 5 minutes old is accepted', async () => {
    const b = s.browser();
    const callback = await toCallback(b);
    clock.advance(4 * 60_000 + 50_000);
    expect((await b.get(callback.href)).status).toBe(302);
  });

  it('no state or IdP code reaches the logs', () => {
    const logs = s.t.logs.text();
    expect(seen.length).toBeGreaterThan(10);
    for (const v of seen) expect(logs.includes(v)).toBe(false);
  });
});
