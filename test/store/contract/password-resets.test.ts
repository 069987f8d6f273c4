/**
 * The store contract for password-reset tokens, on SQLite and PostgreSQL (see harness.ts): a
 * token works once (also under concurrency), never after expiry, and the per-account mail
 * throttle counts right when requests race.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PasswordResetToken } from '../../../src/store/store.js';
import { STORES } from '../../helpers/app.js';
import { contract } from './harness.js';

describe.each(STORES)('store contract: password-reset tokens (%s)', (kind) => {
  const { store, user } = contract(kind);

  const token = (userId: string, overrides: Partial<PasswordResetToken> = {}): PasswordResetToken => ({
    token_hash: randomUUID(), user_id: userId, created_at: 1_000, expires_at: 2_000, used_at: null, ...overrides,
  });

  it('a live token is readable until it expires; an unknown one never', async () => {
    const u = await user();
    const t = token(u.id);
    await store.passwordResets.create(t);
    expect(await store.passwordResets.getLive(t.token_hash, 1_999)).toEqual(t);
    expect(await store.passwordResets.getLive(t.token_hash, 2_000)).toBeUndefined();
    expect(await store.passwordResets.getLive(randomUUID(), 1_500)).toBeUndefined();
  });

  it('a token is used once: of concurrent uses exactly one gets the user', async () => {
    const u = await user();
    const t = token(u.id);
    await store.passwordResets.create(t);
    const results = await Promise.all(Array.from({ length: 8 }, () => store.passwordResets.use(t.token_hash, 1_500)));
    expect(results.filter((r) => r !== undefined)).toEqual([u.id]);
    expect(await store.passwordResets.use(t.token_hash, 1_600)).toBeUndefined();
    expect(await store.passwordResets.getLive(t.token_hash, 1_600)).toBeUndefined();
  });

  it('an expired token cannot be used', async () => {
    const u = await user();
    const t = token(u.id, { expires_at: 2_000 });
    await store.passwordResets.create(t);
    expect(await store.passwordResets.use(t.token_hash, 2_000)).toBeUndefined();
    expect(await store.passwordResets.use(t.token_hash, 1_999)).toBe(u.id);
  });

  it('using all of a user\'s tokens leaves other users\' alone', async () => {
    const u = await user();
    const other = await user();
    const t1 = token(u.id);
    const t2 = token(u.id);
    const theirs = token(other.id);
    for (const x of [t1, t2, theirs]) await store.passwordResets.create(x);
    await store.passwordResets.useAllForUser(u.id, 1_100);
    expect(await store.passwordResets.use(t1.token_hash, 1_200)).toBeUndefined();
    expect(await store.passwordResets.use(t2.token_hash, 1_200)).toBeUndefined();
    expect(await store.passwordResets.use(theirs.token_hash, 1_200)).toBe(other.id);
  });

  it('issue() stores at most `max` tokens per user since `since`, older ones not counted', async () => {
    const u = await user();
    await store.passwordResets.create(token(u.id, { created_at: 100 }));
    expect(await store.passwordResets.issue(token(u.id, { created_at: 1_000 }), 500, 2)).toBe(true);
    expect(await store.passwordResets.issue(token(u.id, { created_at: 1_001 }), 500, 2)).toBe(true);
    const refused = token(u.id, { created_at: 1_002 });
    expect(await store.passwordResets.issue(refused, 500, 2)).toBe(false);
    expect(await store.passwordResets.getLive(refused.token_hash, 1_500)).toBeUndefined();
    // Another user has a budget of their own.
    expect(await store.passwordResets.issue(token((await user()).id, { created_at: 1_000 }), 500, 2)).toBe(true);
  });

  it('concurrent issue() calls in transactions never store more than `max`', async () => {
    const u = await user();
    const max = 3;
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.transaction((tx) => tx.passwordResets.issue(token(u.id, { created_at: 1_000 + i }), 0, max))));
    expect(results.filter(Boolean)).toHaveLength(max);
  });
});
