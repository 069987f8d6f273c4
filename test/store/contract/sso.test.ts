/**
 * The store contract for single sign-on, on SQLite and PostgreSQL (see harness.ts): the
 * one-time guarantees the login flow relies on hold in the store itself, under concurrency,
 * whatever the database.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExchangeCode, OAuthState } from '../../../src/domain/sso.js';
import { UniqueViolation } from '../../../src/store/errors.js';
import { STORES } from '../../helpers/app.js';
import { newProvider } from '../../helpers/store.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: single sign-on (%s)', (kind) => {
  const { store, user } = contract(kind);

  const state = (providerId: string, overrides: Partial<OAuthState> = {}): OAuthState => ({
    state_hash: randomUUID(), provider_id: providerId, browser_hash: randomUUID(), pkce_verifier_sealed: 'v1.k.iv.verifier', nonce: randomUUID(),
    redirect_to: '/', created_at: 1_000, expires_at: 2_000, used: 0, ...overrides,
  });
  const code = (providerId: string, userId: string, overrides: Partial<ExchangeCode> = {}): ExchangeCode => ({
    code_hash: randomUUID(), user_id: userId, provider_id: providerId, redirect_to: '/', session_id: null, created_at: 1_000, expires_at: 2_000,
    consumed_at: null, browser_hash: randomUUID(), ...overrides,
  });

  it('stores providers, keeps provider_key unique, lists them by display name, updates and deletes', async () => {
    const b = newProvider({ display_name: `zz-B ${randomUUID()}` });
    const a = newProvider({ display_name: `zz-A ${randomUUID()}` });
    await store.sso.createProvider(b);
    await store.sso.createProvider(a);
    expect(await store.sso.getProvider(a.id)).toEqual(a);
    expect(await store.sso.getProviderByKey(b.provider_key)).toEqual(b);
    await expect(store.sso.createProvider(newProvider({ provider_key: a.provider_key }))).rejects.toBeInstanceOf(UniqueViolation);
    const listed = (await store.sso.listProviders()).map((p) => p.id);
    expect(listed.indexOf(a.id)).toBeLessThan(listed.indexOf(b.id));
    expect(await store.sso.updateProvider(a.id, { enabled: 0, scopes: 'openid' }, 5_000)).toEqual({ ...a, enabled: 0, scopes: 'openid', updated_at: 5_000 });
    await expect(store.sso.updateProvider(a.id, { provider_key: b.provider_key }, 6_000)).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.sso.updateProvider(randomUUID(), { enabled: 0 }, 1)).toBeUndefined();
    expect(await store.sso.deleteProvider(b.id)).toBe(true);
    expect(await store.sso.deleteProvider(b.id)).toBe(false);
    expect(await store.sso.getProvider(b.id)).toBeUndefined();
  });

  it('links an identity once per (provider, subject) and finds it from either side', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const u = await user();
    const identity = { provider_id: p.id, subject: `sub-${randomUUID()}`, user_id: u.id, email: u.email, created_at: 1, last_login_at: 1 };
    await store.sso.createIdentity(identity);
    await expect(store.sso.createIdentity({ ...identity, user_id: (await user()).id })).rejects.toBeInstanceOf(UniqueViolation);
    expect(await store.sso.getIdentity(p.id, identity.subject)).toEqual(identity);
    expect(await store.sso.getIdentityOfUser(p.id, u.id)).toEqual(identity);
    await store.sso.touchIdentity(p.id, identity.subject, 'new@example.com', 99);
    expect(await store.sso.getIdentity(p.id, identity.subject)).toEqual({ ...identity, email: 'new@example.com', last_login_at: 99 });
    expect(await store.sso.getIdentity(p.id, 'other-subject')).toBeUndefined();
  });

  it('a login state is consumed once: of concurrent callbacks exactly one gets it', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const s = state(p.id);
    await store.sso.createState(s);
    expect(await store.sso.getState(s.state_hash)).toEqual(s);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.sso.consumeState(s.state_hash)));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toEqual([{ ...s, used: 1 }]);
    expect(await store.sso.consumeState(s.state_hash)).toBeUndefined();
    expect(await store.sso.consumeState(randomUUID())).toBeUndefined();
  });

  it('an exchange code is consumed once under concurrency, records the session it started, and never after expiry', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const u = await user();
    const c = code(p.id, u.id);
    await store.sso.createExchangeCode(c);
    const sessions = Array.from({ length: 8 }, () => randomUUID());
    const results = await Promise.all(sessions.map((sid) => store.sso.consumeExchangeCode(c.code_hash, sid, 1_500)));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    expect(winner).toEqual({ ...c, consumed_at: 1_500, session_id: winner.session_id });
    expect(sessions).toContain(winner.session_id);
    expect(await store.sso.getExchangeCode(c.code_hash)).toEqual(winner);
    expect(await store.sso.consumeExchangeCode(c.code_hash, randomUUID(), 1_600)).toBeUndefined();

    const expired = code(p.id, u.id, { expires_at: 2_000 });
    await store.sso.createExchangeCode(expired);
    expect(await store.sso.consumeExchangeCode(expired.code_hash, randomUUID(), 2_000)).toBeUndefined();
    expect((await store.sso.getExchangeCode(expired.code_hash))?.consumed_at).toBeNull();
  });

  it('an exchange code keeps its browser binding, and can be burned without a session (once)', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const u = await user();
    const bound = code(p.id, u.id, { browser_hash: 'browser-hash' });
    const unbound = code(p.id, u.id, { browser_hash: null });
    await store.sso.createExchangeCode(bound);
    await store.sso.createExchangeCode(unbound);
    expect(await store.sso.getExchangeCode(bound.code_hash)).toEqual(bound);
    expect((await store.sso.getExchangeCode(unbound.code_hash))!.browser_hash).toBeNull();
    expect(await store.sso.consumeExchangeCode(bound.code_hash, null, 1_500)).toEqual({ ...bound, consumed_at: 1_500, session_id: null });
    expect(await store.sso.consumeExchangeCode(bound.code_hash, 'late-session', 1_600)).toBeUndefined();
  });

  it('purges expired states and codes only', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const u = await user();
    const oldState = state(p.id, { expires_at: 100 });
    const liveState = state(p.id, { expires_at: 10_000 });
    const oldCode = code(p.id, u.id, { expires_at: 100 });
    const liveCode = code(p.id, u.id, { expires_at: 10_000 });
    await store.sso.createState(oldState);
    await store.sso.createState(liveState);
    await store.sso.createExchangeCode(oldCode);
    await store.sso.createExchangeCode(liveCode);
    await store.sso.purgeExpired(5_000, 5_000);
    expect(await store.sso.getState(oldState.state_hash)).toBeUndefined();
    expect(await store.sso.consumeState(oldState.state_hash)).toBeUndefined();
    expect(await store.sso.getState(liveState.state_hash)).toEqual(liveState);
    expect(await store.sso.getExchangeCode(oldCode.code_hash)).toBeUndefined();
    expect(await store.sso.getExchangeCode(liveCode.code_hash)).toEqual(liveCode);
  });

  it('deleting a provider takes its identities, states and codes with it', async () => {
    const p = newProvider();
    await store.sso.createProvider(p);
    const u = await user();
    const identity = { provider_id: p.id, subject: 's', user_id: u.id, email: u.email, created_at: 1, last_login_at: 1 };
    const s = state(p.id);
    const c = code(p.id, u.id);
    await store.sso.createIdentity(identity);
    await store.sso.createState(s);
    await store.sso.createExchangeCode(c);
    expect(await store.sso.deleteProvider(p.id)).toBe(true);
    expect(await store.sso.getIdentity(p.id, 's')).toBeUndefined();
    expect(await store.sso.getState(s.state_hash)).toBeUndefined();
    expect(await store.sso.getExchangeCode(c.code_hash)).toBeUndefined();
    expect(await store.users.get(u.id)).toBeDefined();
  });
});
