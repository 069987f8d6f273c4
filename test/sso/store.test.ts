/** The SSO store verbs, one suite on both databases. */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { registerUser } from '../helpers/factories.js';
import type { ExchangeCode, OAuthState, SsoProvider } from '../../src/domain/sso.js';
import { UniqueViolation } from '../../src/store/errors.js';
import { SSO_CLIENT_SECRET } from '../../src/store/sealed.js';

describe.each(STORES)('SSO store (%s)', (kind) => {
  let t: TestApp;
  let userId: string;
  const now = 1_800_000_000_000;

  const provider = (key: string): SsoProvider => ({
    id: randomUUID(), provider_key: key, provider_type: 'oidc', display_name: key, issuer_url: 'https://sso.corp.example', github_url: null, github_api_url: null,
    client_id: 'c', client_secret_sealed: `v1.k.${key}.x`, scopes: 'openid', auto_provision: 0, allow_domains: '', default_role: 'system_user', enabled: 1, created_at: now, updated_at: now,
  });
  const state = (providerId: string, hash: string, expiresAt: number): OAuthState => ({
    state_hash: hash, provider_id: providerId, browser_hash: 'b', pkce_verifier_sealed: `v1.k.${hash}.x`, nonce: 'n', redirect_to: '/', created_at: now, expires_at: expiresAt, used: 0,
  });
  const code = (providerId: string, hash: string, expiresAt: number): ExchangeCode => ({
    code_hash: hash, user_id: userId, provider_id: providerId, redirect_to: '/', session_id: null, created_at: now, expires_at: expiresAt, consumed_at: null,
  });

  beforeAll(async () => {
    t = await startApp(kind);
    userId = (await registerUser(t.api, 'storeuser')).id;
  });
  afterAll(async () => t?.close());

  it('providers: unique keys, update, list', async () => {
    const p = provider('alpha');
    await t.app.store.sso.createProvider(p);
    await expect(t.app.store.sso.createProvider({ ...provider('alpha') })).rejects.toBeInstanceOf(UniqueViolation);
    expect(await t.app.store.sso.getProviderByKey('alpha')).toEqual(p);
    const updated = await t.app.store.sso.updateProvider(p.id, { display_name: 'Alpha', enabled: 0 }, now + 1);
    expect(updated).toMatchObject({ display_name: 'Alpha', enabled: 0, updated_at: now + 1 });
    expect((await t.app.store.sso.listProviders()).map((x) => x.provider_key)).toContain('alpha');
    expect(await t.app.store.sso.updateProvider(randomUUID(), { display_name: 'x' }, now)).toBeUndefined();
  });

  it('identities: one per (provider, subject)', async () => {
    const p = provider('beta');
    await t.app.store.sso.createProvider(p);
    await t.app.store.sso.createIdentity({ provider_id: p.id, subject: 's1', user_id: userId, email: 'a@corp.example', created_at: now, last_login_at: now });
    await expect(t.app.store.sso.createIdentity({ provider_id: p.id, subject: 's1', user_id: userId, email: '', created_at: now, last_login_at: now })).rejects.toBeInstanceOf(UniqueViolation);
    await t.app.store.sso.touchIdentity(p.id, 's1', 'b@corp.example', now + 5);
    expect(await t.app.store.sso.getIdentity(p.id, 's1')).toMatchObject({ email: 'b@corp.example', last_login_at: now + 5 });
    expect(await t.app.store.sso.getIdentityOfUser(p.id, userId)).toMatchObject({ subject: 's1' });
  });

  it('states are consumed once', async () => {
    const p = provider('gamma');
    await t.app.store.sso.createProvider(p);
    await t.app.store.sso.createState(state(p.id, 'h1', now + 1000));
    const results = await Promise.all([t.app.store.sso.consumeState('h1'), t.app.store.sso.consumeState('h1'), t.app.store.sso.consumeState('h1')]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    expect(await t.app.store.sso.getState('h1')).toMatchObject({ used: 1 });
    expect(await t.app.store.sso.consumeState('nope')).toBeUndefined();
  });

  it('codes: consumed once, only while live, recording the session', async () => {
    const p = provider('delta');
    await t.app.store.sso.createProvider(p);
    await t.app.store.sso.createExchangeCode(code(p.id, 'c1', now + 60_000));
    await t.app.store.sso.createExchangeCode(code(p.id, 'c2', now + 60_000));
    expect(await t.app.store.sso.consumeExchangeCode('c2', 'sess-late', now + 60_000)).toBeUndefined();
    const sessions = ['s-a', 's-b', 's-c', 's-d'];
    const results = await Promise.all(sessions.map((s) => t.app.store.sso.consumeExchangeCode('c1', s, now + 1)));
    const won = results.filter((r) => r !== undefined);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ consumed_at: now + 1, user_id: userId });
    expect(sessions).toContain(won[0]!.session_id);
    expect(await t.app.store.sso.getExchangeCode('c1')).toEqual(won[0]);
  });

  it('purges expired states and codes, keeping live ones', async () => {
    const p = provider('epsilon');
    await t.app.store.sso.createProvider(p);
    await t.app.store.sso.createState(state(p.id, 'old-state', now - 10));
    await t.app.store.sso.createState(state(p.id, 'live-state', now + 10));
    await t.app.store.sso.createExchangeCode(code(p.id, 'old-code', now - 10));
    await t.app.store.sso.createExchangeCode(code(p.id, 'live-code', now + 10));
    await t.app.store.sso.purgeExpired(now, now);
    expect(await t.app.store.sso.getState('old-state')).toBeUndefined();
    expect(await t.app.store.sso.getState('live-state')).toBeDefined();
    expect(await t.app.store.sso.getExchangeCode('old-code')).toBeUndefined();
    expect(await t.app.store.sso.getExchangeCode('live-code')).toBeDefined();
  });

  it('deleting a provider deletes its identities, states and codes', async () => {
    const p = provider('zeta');
    await t.app.store.sso.createProvider(p);
    await t.app.store.sso.createIdentity({ provider_id: p.id, subject: 'z', user_id: userId, email: '', created_at: now, last_login_at: now });
    await t.app.store.sso.createState(state(p.id, 'z-state', now + 10));
    await t.app.store.sso.createExchangeCode(code(p.id, 'z-code', now + 10));
    expect(await t.app.store.sso.deleteProvider(p.id)).toBe(true);
    expect(await t.app.store.sso.deleteProvider(p.id)).toBe(false);
    expect(await t.app.store.sso.getIdentity(p.id, 'z')).toBeUndefined();
    expect(await t.app.store.sso.getState('z-state')).toBeUndefined();
    expect(await t.app.store.sso.getExchangeCode('z-code')).toBeUndefined();
    expect(await t.app.store.users.get(userId)).toBeDefined();
  });

  it('sealed columns: scanned in id order by pages, replaced only when unchanged', async () => {
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = await t.app.store.sealed.scan(SSO_CLIENT_SECRET, after, 2);
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(2);
      seen.push(...page.map((r) => r.id));
      after = page.at(-1)!.id;
    }
    const all = (await t.app.store.sso.listProviders()).map((p) => p.id).sort();
    // Every row exactly once (the order is the database's collation).
    expect([...seen].sort()).toEqual(all);
    const first = (await t.app.store.sso.getProvider(all[0]!))!;
    expect(await t.app.store.sealed.replace(SSO_CLIENT_SECRET, first.id, 'stale', 'v1.new')).toBe(false);
    expect(await t.app.store.sealed.replace(SSO_CLIENT_SECRET, first.id, first.client_secret_sealed, 'v1.new')).toBe(true);
    expect((await t.app.store.sso.getProvider(first.id))!.client_secret_sealed).toBe('v1.new');
  });
});
