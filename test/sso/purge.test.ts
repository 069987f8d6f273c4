/**
 * Expired OAuth states and exchange codes are purged by a timer the app starts and stops,
 * not by the anonymous /login request.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashSecret, randomToken } from '../../src/security/crypto.js';
import { SITE, startSsoApp, type SsoApp } from './helpers/harness.js';

const HOUR = 3600_000;

async function seed(s: SsoApp): Promise<{ oldState: string; liveState: string; oldCode: string }> {
  // An issuer nobody listens on: /login fails at discovery, after the point where it used to purge.
  const provider = await s.addProvider({ provider_key: 'kc', provider_type: 'oidc', display_name: 'KC', issuer_url: 'http://127.0.0.1:1', client_id: 'c', client_secret: 's' });
  const now = Date.now();
  const state = (hash: string, expiresAt: number) => ({
    state_hash: hash, provider_id: provider.id, browser_hash: hashSecret(randomToken()), pkce_verifier_sealed: 'v1.x', nonce: 'n', redirect_to: '/',
    created_at: expiresAt - 5 * 60_000, expires_at: expiresAt, used: 0,
  });
  const ids = { oldState: hashSecret(randomToken()), liveState: hashSecret(randomToken()), oldCode: hashSecret(randomToken()) };
  await s.t.app.store.sso.createState(state(ids.oldState, now - 2 * HOUR));
  await s.t.app.store.sso.createState(state(ids.liveState, now + 5 * 60_000));
  const user = await s.t.app.store.users.getByLogin('sso-admin@corp.example');
  await s.t.app.store.sso.createExchangeCode({
    code_hash: ids.oldCode, user_id: user!.id, provider_id: provider.id, redirect_to: '/', session_id: null, created_at: now - 3 * 24 * HOUR, expires_at: now - 2 * 24 * HOUR, consumed_at: null, browser_hash: null,
  });
  return ids;
}

describe('purging expired SSO states and codes', () => {
  let s: SsoApp | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('a /login request no longer purges', async () => {
    s = await startSsoApp('sqlite');
    const ids = await seed(s);
    const res = await s.browser().get(`${SITE}/api/v1/oauth2/kc/login`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toMatch(/^\/login\?error=/);
    expect(await s.t.app.store.sso.getState(ids.oldState)).toBeDefined();
    expect(await s.t.app.store.sso.getExchangeCode(ids.oldCode)).toBeDefined();
  });

  it('the timer started with the app purges, keeping live states', async () => {
    s = await startSsoApp('sqlite', { ssoPurgeIntervalMs: 20 });
    const ids = await seed(s);
    const store = s.t.app.store.sso;
    await vi.waitFor(async () => {
      expect(await store.getState(ids.oldState)).toBeUndefined();
      expect(await store.getExchangeCode(ids.oldCode)).toBeUndefined();
    }, { timeout: 5000, interval: 20 });
    expect(await store.getState(ids.liveState)).toBeDefined();
  });

  it('the timer is unref\'d and stops when the app closes', async () => {
    const setInterval = vi.spyOn(globalThis, 'setInterval');
    const clearInterval = vi.spyOn(globalThis, 'clearInterval');
    try {
      s = await startSsoApp('sqlite', { ssoPurgeIntervalMs: 60_000 });
      const purge = setInterval.mock.results.map((r) => r.value as NodeJS.Timeout).find((_t, i) => setInterval.mock.calls[i]![1] === 60_000);
      expect(purge).toBeDefined();
      expect(purge!.hasRef()).toBe(false);
      await s.close();
      s = undefined;
      expect(clearInterval).toHaveBeenCalledWith(purge);
    } finally {
      setInterval.mockRestore();
      clearInterval.mockRestore();
    }
  });
});
