/**
 * The bootstrap admin (RUSTCHAT_ADMIN_USER / RUSTCHAT_ADMIN_PASSWORD) and `create-admin`, in
 * process on both stores. The real `rustchat serve` path is covered by test/durability.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STORES, startApp, type TestApp } from '../helpers/app.js';
import { login, registerUser } from '../helpers/factories.js';

describe.each(STORES)('bootstrap admin (%s)', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(kind);
  });
  afterAll(async () => t?.close());

  it('creates the configured admin once, and not again', async () => {
    const before = await t.app.store.users.count();
    expect(await t.app.services.accounts.bootstrapAdmin('Chief.Admin@Example.com', 'the chief passphrase')).toBe('created');
    expect(await t.app.services.accounts.bootstrapAdmin('chief.admin@example.com', 'a different passphrase')).toBe('exists');
    expect(await t.app.store.users.count()).toBe(before + 1);
    const token = await login(t.api, 'chief.admin@example.com', 'the chief passphrase');
    const me = (await t.api.get('/api/v1/auth/me', token)).body;
    expect(me).toMatchObject({ role: 'system_admin', email: 'chief.admin@example.com', username: 'chief.admin' });
    // The second call did not touch the password.
    expect((await t.api.post('/api/v1/auth/login', { email: 'chief.admin@example.com', password: 'a different passphrase' })).status).toBe(401);
  });

  it('finds a free username when the e-mail\'s local part is taken or reserved', async () => {
    const taken = await registerUser(t.api, 'boss');
    expect(await t.app.services.accounts.bootstrapAdmin(`${taken.username}@corp.example`, 'another chief passphrase')).toBe('created');
    const made = await t.app.store.users.getByLogin(`${taken.username}@corp.example`);
    expect(made?.username).toBe(`${taken.username.slice(0, 17)}-1`);
    expect(await t.app.services.accounts.bootstrapAdmin('admin@corp.example', 'yet another passphrase')).toBe('created');
    expect((await t.app.store.users.getByLogin('admin@corp.example'))?.username).toBe('sysadmin');
  });

  it('create-admin makes an admin with the chosen username, once', async () => {
    expect(await t.app.services.accounts.createAdmin('Named@Example.com', 'named-admin', 'named admin passphrase')).toBe('created');
    expect(await t.app.services.accounts.createAdmin('named@example.com', 'other-name', 'named admin passphrase')).toBe('exists');
    expect(await t.app.store.users.getByLogin('named@example.com')).toMatchObject({ username: 'named-admin', role: 'system_admin', email_verified: 1 });
    expect(await t.app.store.users.getByLogin('other-name')).toBeUndefined();
  });

  it('refuses a weak password and creates nothing', async () => {
    const before = await t.app.store.users.count();
    await expect(t.app.services.accounts.bootstrapAdmin('weak.admin@example.com', 'password')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(t.app.services.accounts.createAdmin('weak2@example.com', 'weakling', 'short')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await expect(t.app.services.accounts.bootstrapAdmin('not-an-email', 'a fine passphrase')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    expect(await t.app.store.users.count()).toBe(before);
  });
});
