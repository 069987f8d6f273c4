/**
 * The store contract for sealed values, on SQLite and PostgreSQL (see harness.ts): a secret
 * sealed into its column comes back intact, the rotation scan sees every sealed value once,
 * and replace() is a real compare-and-set, so key rotation is correct on both.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rotateEncryptionKey } from '../../../src/services/key-rotation.js';
import { SecretBox } from '../../../src/security/crypto.js';
import { OAUTH_PKCE_VERIFIER, SSO_CLIENT_SECRET, type SealedValueStore } from '../../../src/store/sealed.js';
import { STORES } from '../../helpers/app.js';
import { strongSecret } from '../../helpers/env.js';
import { newProvider } from '../../helpers/store.js';
import { contract } from './harness.js';

async function scanAll(sealed: SealedValueStore, column = SSO_CLIENT_SECRET, batch = 2) {
  const rows = [];
  for (let after = ''; ;) {
    const page = await sealed.scan(column, after, batch);
    if (page.length === 0) return rows;
    rows.push(...page);
    after = page.at(-1)!.id;
  }
}

describe.each(STORES)('store contract: sealed values (%s)', (kind) => {
  const { store } = contract(kind);
  const keyA = strongSecret();
  const keyB = strongSecret();

  /** A provider whose client secret is sealed under `box`, as the SSO service stores it. */
  async function providerWithSecret(box: SecretBox, secret: string) {
    const id = randomUUID();
    await store.sso.createProvider(newProvider({ id, client_secret_sealed: box.seal(secret, SSO_CLIENT_SECRET.aad(id)) }));
    return id;
  }

  it('round-trips a sealed secret, bound to its row', async () => {
    const box = new SecretBox(keyA);
    const id = await providerWithSecret(box, 'sëcret-✓');
    const stored = (await store.sso.getProvider(id))!.client_secret_sealed;
    expect(box.open(stored, SSO_CLIENT_SECRET.aad(id))).toBe('sëcret-✓');
    // The AAD names the row: the same value copied to another row does not open there.
    expect(() => box.open(stored, SSO_CLIENT_SECRET.aad(randomUUID()))).toThrow();
  });

  it('scans a sealed column in pages, each value once', async () => {
    const box = new SecretBox(keyA);
    for (let i = 0; i < 5; i++) await providerWithSecret(box, `s${i}`);
    const rows = await scanAll(store.sealed);
    // Each value exactly once (the order is the database's collation of the id column).
    const ids = rows.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const providers = await store.sso.listProviders();
    expect(ids.sort()).toEqual(providers.map((p) => p.id).sort());
    for (const r of rows) expect(r.value).toBe(providers.find((p) => p.id === r.id)!.client_secret_sealed);
    expect(await store.sealed.scan(SSO_CLIENT_SECRET, ids.at(-1)!, 10)).toEqual([]);
  });

  it('replace is compare-and-set: a value changed meanwhile is not overwritten', async () => {
    const box = new SecretBox(keyA);
    const id = await providerWithSecret(box, 'one');
    const current = (await store.sso.getProvider(id))!.client_secret_sealed;
    const next = box.seal('two', SSO_CLIENT_SECRET.aad(id));
    expect(await store.sealed.replace(SSO_CLIENT_SECRET, id, 'not-the-current-value', next)).toBe(false);
    expect((await store.sso.getProvider(id))!.client_secret_sealed).toBe(current);
    const both = await Promise.all([store.sealed.replace(SSO_CLIENT_SECRET, id, current, next), store.sealed.replace(SSO_CLIENT_SECRET, id, current, box.seal('three', SSO_CLIENT_SECRET.aad(id)))]);
    expect(both.filter(Boolean)).toHaveLength(1);
    expect(await store.sealed.replace(SSO_CLIENT_SECRET, randomUUID(), current, next)).toBe(false);
  });

  it('key rotation over the store re-seals every value under the new key, resumably', async () => {
    const old = new SecretBox(keyA);
    const secrets = new Map<string, string>();
    for (let i = 0; i < 4; i++) {
      const secret = `rot-${i}-${randomUUID()}`;
      secrets.set(await providerWithSecret(old, secret), secret);
    }
    const verifierState = { state_hash: randomUUID(), browser_hash: 'b', nonce: 'n', redirect_to: '/', created_at: 1, expires_at: 2, used: 0 };
    const providerId = [...secrets.keys()][0]!;
    await store.sso.createState({ ...verifierState, provider_id: providerId, pkce_verifier_sealed: old.seal('verifier', OAUTH_PKCE_VERIFIER.aad(verifierState.state_hash)) });

    const rotating = new SecretBox(keyB, keyA);
    const first = await rotateEncryptionKey(store.sealed, rotating, { maxRotations: 2, batchSize: 2 });
    expect(first).toMatchObject({ rotated: 2, complete: false, failed: [] });
    const second = await rotateEncryptionKey(store.sealed, rotating, { batchSize: 2 });
    expect(second.complete).toBe(true);
    expect(second.failed).toEqual([]);

    const onlyNew = new SecretBox(keyB);
    for (const [id, secret] of secrets) expect(onlyNew.open((await store.sso.getProvider(id))!.client_secret_sealed, SSO_CLIENT_SECRET.aad(id))).toBe(secret);
    const verifier = (await store.sso.getState(verifierState.state_hash))!.pkce_verifier_sealed;
    expect(onlyNew.open(verifier, OAUTH_PKCE_VERIFIER.aad(verifierState.state_hash))).toBe('verifier');
    expect(await rotateEncryptionKey(store.sealed, rotating)).toMatchObject({ rotated: 0, complete: true });
  });
});
