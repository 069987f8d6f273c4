/**
 * `rustchat rotate-encryption-key` (contract §2): every sealed value (the registry in
 * store/sealed.ts) is re-encrypted under the new key, reading the old ones with the
 * previous key; an interrupted run is finished by running it again; afterwards the server
 * works with the new key alone — including a login that was half-way when the key changed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, strongSecret, type StoreKind } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/services.js';
import { SecretBox } from '../../src/security/crypto.js';
import { rotateEncryptionKey } from '../../src/services/key-rotation.js';
import { SEALED_COLUMNS, SSO_CLIENT_SECRET, type SealedColumn } from '../../src/store/sealed.js';
import type { SealedValueStore } from '../../src/store/sealed.js';
import { Browser } from './helpers/browser.js';
import { SITE, SITE_HOST, exchange, signIn, startSsoApp, type SsoApp } from './helpers/harness.js';
import { startOidcIdp, type TestIdp } from './helpers/oidc-idp.js';

async function allSealed(store: SealedValueStore): Promise<{ column: SealedColumn; id: string; value: string }[]> {
  const out: { column: SealedColumn; id: string; value: string }[] = [];
  for (const column of SEALED_COLUMNS) for (const row of await store.scan(column, '', 10_000)) out.push({ column, ...row });
  return out;
}

function opens(box: SecretBox, row: { column: SealedColumn; id: string; value: string }): boolean {
  try {
    box.open(row.value, row.column.aad(row.id));
    return true;
  } catch {
    return false;
  }
}

describe.each(STORES)('encryption key rotation (%s)', (kind: StoreKind) => {
  const keyA = strongSecret();
  const keyB = strongSecret();
  let location: { dataDir?: string; databaseUrl?: string };
  let drop: (() => Promise<void>) | undefined;
  let s: SsoApp;
  let idp: TestIdp;
  const hosts = new Map<string, string>();
  const halfway = new Browser(hosts);
  let pendingCallback: URL;

  beforeAll(async () => {
    if (kind === 'postgres') {
      const db = await createTestDatabase();
      location = { databaseUrl: db.url };
      drop = db.drop;
    } else {
      location = { dataDir: mkdtempSync(join(tmpdir(), 'rustchat-rotate-')) };
    }
    s = await startSsoApp(kind, { ...location, env: { RUSTCHAT_ENCRYPTION_KEY: keyA } });
    idp = await startOidcIdp({ redirectUris: [s.callbackUrl('kc')], users: [{ sub: 'alice', email: 'alice@corp.example', email_verified: true }] });
    await s.addProvider({ provider_key: 'kc', provider_type: 'oidc', display_name: 'KC', issuer_url: idp.issuer, client_id: idp.clientId, client_secret: idp.clientSecret, auto_provision: true });
    for (let i = 0; i < 3; i++) {
      await s.addProvider({ provider_key: `other${i}`, provider_type: 'oidc', display_name: `Other ${i}`, issuer_url: `https://sso${i}.corp.example`, client_id: 'c', client_secret: `secret-${i}` });
    }
    // A login started before the rotation: its PKCE verifier is sealed under the old key.
    for (const [k, v] of s.hosts) hosts.set(k, v);
    pendingCallback = (await signIn(halfway, 'kc', { login: 'alice', stopAtCallback: true })).callback!;
  });
  afterAll(async () => {
    await idp?.close();
    await s?.close();
    await drop?.();
    if (location?.dataDir !== undefined) rmSync(location.dataDir, { recursive: true, force: true });
  });

  it('an interrupted rotation is finished by running it again', async () => {
    const store = s.t.app.store.sealed;
    const rows = await allSealed(store);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(new Set(rows.map((r) => r.column.table))).toEqual(new Set(['sso_providers', 'oauth_states']));
    const rotating = new SecretBox(keyB, keyA);
    const onlyB = new SecretBox(keyB);
    expect(rows.every((r) => opens(new SecretBox(keyA), r) && !opens(onlyB, r))).toBe(true);

    // Interrupted after two rows (each committed on its own).
    const first = await rotateEncryptionKey(store, rotating, { maxRotations: 2, batchSize: 2 });
    expect(first).toMatchObject({ rotated: 2, complete: false, failed: [] });
    expect((await allSealed(store)).filter((r) => opens(onlyB, r))).toHaveLength(2);

    const second = await rotateEncryptionKey(store, rotating, { batchSize: 2 });
    expect(second).toMatchObject({ rotated: rows.length - 2, alreadyCurrent: 2, complete: true, failed: [] });
    const after = await allSealed(store);
    expect(after.every((r) => opens(onlyB, r))).toBe(true);
    // Same plaintexts as before, now under the new key.
    for (const before of rows) {
      const now = after.find((r) => r.column === before.column && r.id === before.id)!;
      expect(now.value).not.toBe(before.value);
      expect(onlyB.open(now.value, now.column.aad(now.id))).toBe(new SecretBox(keyA).open(before.value, before.column.aad(before.id)));
    }

    const third = await rotateEncryptionKey(store, rotating);
    expect(third).toMatchObject({ rotated: 0, alreadyCurrent: rows.length, complete: true });
  });

  it('a value that cannot be opened is reported and left alone; a value changed meanwhile is not overwritten', async () => {
    const store = s.t.app.store.sealed;
    const target = (await store.scan(SSO_CLIENT_SECRET, '', 1))[0]!;
    const stranger = new SecretBox(strongSecret()).seal('x', SSO_CLIENT_SECRET.aad(target.id));
    expect(await store.replace(SSO_CLIENT_SECRET, target.id, 'not-the-stored-value', stranger)).toBe(false);
    expect(await store.replace(SSO_CLIENT_SECRET, target.id, target.value, stranger)).toBe(true);
    const report = await rotateEncryptionKey(store, new SecretBox(keyB, keyA));
    expect(report.failed).toEqual([{ table: 'sso_providers', column: 'client_secret_sealed', id: target.id, reason: expect.stringMatching(/unknown key/) }]);
    expect((await store.scan(SSO_CLIENT_SECRET, '', 1))[0]!.value).toBe(stranger);
    expect(await store.replace(SSO_CLIENT_SECRET, target.id, stranger, target.value)).toBe(true);
  });

  it('a server that cannot open a secret (new key, previous key not given) refuses the sign-in politely', async () => {
    // The running server still has only the old key, and everything is now under the new one.
    const res = await s.browser().get(`${SITE}/api/v1/oauth2/kc/login`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/login?error=misconfigured');
    expect(s.t.logs.text()).toContain('client secret cannot be decrypted');
  });

  it('the server restarted with only the new key finishes the pending login and signs in again', async () => {
    await s.close();
    s = await startSsoApp(kind, { ...location, env: { RUSTCHAT_ENCRYPTION_KEY: keyB } });
    for (const [k, v] of s.hosts) hosts.set(k, v);
    expect(hosts.get(SITE_HOST)).toBe(s.hosts.get(SITE_HOST));
    const res = await halfway.get(pendingCallback.href);
    expect(res.status).toBe(302);
    const code = new URL(res.headers.location!, SITE).searchParams.get('code');
    expect(code, res.headers.location).toBeTruthy();
    expect((await exchange(halfway, code!)).status).toBe(200);
    const fresh = s.browser();
    const again = await signIn(fresh, 'kc', { login: 'alice' });
    expect((await exchange(fresh, again.code!)).status).toBe(200);
  });
});

describe('rustchat rotate-encryption-key (the command)', () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const keyA = strongSecret();
  const keyB = strongSecret();
  const jwt = strongSecret();
  const dataDir = mkdtempSync(join(tmpdir(), 'rustchat-rotate-cli-'));
  let providerId: string;

  const run = (env: Record<string, string>) =>
    new Promise<{ code: number; out: string }>((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'rotate-encryption-key'], {
        cwd: root, timeout: 120_000,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', RUSTCHAT_DATA_DIR: dataDir, RUSTCHAT_JWT_SECRET: jwt, RUSTCHAT_LOG_LEVEL: 'info', ...env },
      }, (err, stdout, stderr) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, out: `${stdout}${stderr}` }));
    });

  beforeAll(async () => {
    const t = await startApp('sqlite', { dataDir, env: { RUSTCHAT_ENCRYPTION_KEY: keyA, RUSTCHAT_JWT_SECRET: jwt } });
    await t.app.services.accounts.createAdmin('root@corp.example', 'rootadmin', 'root-admin-password-1');
    const admin = (await t.api.post('/api/v1/auth/login', { email: 'root@corp.example', password: 'root-admin-password-1' })).body.token;
    const res = await t.api.post('/api/v1/admin/sso', { provider_key: 'kc', provider_type: 'oidc', display_name: 'KC', issuer_url: 'https://sso.corp.example', client_id: 'c', client_secret: 'the-client-secret-value' }, admin);
    providerId = res.body.id;
    await t.close();
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('without the previous key: reports the unreadable value and exits 1, printing no secret', async () => {
    const r = await run({ RUSTCHAT_ENCRYPTION_KEY: keyB });
    expect(r.code).toBe(1);
    expect(r.out).toContain('RUSTCHAT_ENCRYPTION_KEY_PREVIOUS is not set');
    expect(r.out).toContain(providerId);
    for (const secret of [keyA, keyB, jwt, 'the-client-secret-value']) expect(r.out).not.toContain(secret);
  });

  it('with the previous key: re-encrypts and exits 0; a second run has nothing left to do', async () => {
    const first = await run({ RUSTCHAT_ENCRYPTION_KEY: keyB, RUSTCHAT_ENCRYPTION_KEY_PREVIOUS: keyA });
    expect(first.code, first.out).toBe(0);
    expect(first.out).toContain('"rotated":1');
    for (const secret of [keyA, keyB, jwt, 'the-client-secret-value']) expect(first.out).not.toContain(secret);
    const second = await run({ RUSTCHAT_ENCRYPTION_KEY: keyB, RUSTCHAT_ENCRYPTION_KEY_PREVIOUS: keyA });
    expect(second.code).toBe(0);
    expect(second.out).toContain('"rotated":0');
    expect(second.out).toContain('"already_current":1');

    const t = await startApp('sqlite', { dataDir, env: { RUSTCHAT_ENCRYPTION_KEY: keyB, RUSTCHAT_JWT_SECRET: jwt } });
    try {
      const row = (await t.app.store.sso.getProvider(providerId))!;
      expect(new SecretBox(keyB).open(row.client_secret_sealed, SSO_CLIENT_SECRET.aad(providerId))).toBe('the-client-secret-value');
    } finally {
      await t.close();
    }
  });
});
